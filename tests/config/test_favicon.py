"""/favicon.ico, which browsers ask for on every page: served by whitenoise from site_root/
(WHITENOISE_ROOT) before Django, in development (DEBUG, files found per request) and in
production (files indexed at start) alike; it was a 404 and a log line each time. The pages
link it and the SVG icon: the dashboard's base template and the admin's."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

ICO_MAGIC = b"\x00\x00\x01\x00"  # reserved 0, type 1 (icon)


@pytest.mark.parametrize("debug", [False, True], ids=["production", "development"])
def test_favicon_ico_is_served_from_the_site_root(settings, debug):
    settings.DEBUG = debug

    response = Client().get("/favicon.ico")

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(ICO_MAGIC)
    assert body == (django_settings.BASE_DIR / "site_root" / "favicon.ico").read_bytes()
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}


def test_the_dashboard_pages_link_both_icons():
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in page
    assert 'href="/static/img/favicon.svg" type="image/svg+xml"' in page
    assert finders.find("img/favicon.svg")


def test_the_admin_pages_link_both_icons():
    response = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'rel="icon" href="/favicon.ico"' in page
    assert 'rel="icon" href="/static/img/favicon.svg" type="image/svg+xml"' in page
