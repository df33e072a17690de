"""A database that cannot be reached answers 503 with Retry-After (never a 500 or a traceback),
for partners in the API's error shape and for people as a short page in their language."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.urls import reverse

from tests.factories import make_user
from tests.partners.api_client import make_api

pytestmark = pytest.mark.django_db


def refuse(*args, **kwargs):
    raise OperationalError("FATAL:  sorry, too many clients already")


@pytest.fixture(autouse=True)
def responses_not_exceptions(client):
    # The test client re-raises a view's exception by default; a browser gets the response.
    client.raise_request_exception = False


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    # DEBUG would render Django's technical 500 page: the 503 must win there too.
    settings.DEBUG = request.param
    return request.param


def test_the_api_answers_503_with_retry_after_in_the_contracts_error_shape(
    client, monkeypatch, debug
):
    api = make_api("Tmall")
    monkeypatch.setattr(
        "partners.services.key_cache.selectors.api_key_by_hash", refuse, raising=True
    )

    response = client.get("/api/v1/shops/", HTTP_AUTHORIZATION=f"Bearer {api.raw_key}")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert "nothing was recorded" in body["detail"]
    assert "Traceback" not in response.content.decode()


def test_a_page_answers_503_in_the_readers_language_when_the_session_cannot_be_read(
    client, monkeypatch, debug
):
    client.cookies["sessionid"] = "x" * 32
    monkeypatch.setattr(
        "django.contrib.sessions.backends.db.SessionStore._get_session_from_db", refuse
    )

    response = client.get(reverse("dashboard:home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "briefly unavailable" in page and "Nothing you sent was recorded" in page


def test_a_connection_dropped_mid_request_is_a_503_too(client, monkeypatch):
    client.force_login(make_user())
    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", _interface_error)

    response = client.get(reverse("dashboard:home"))

    assert response.status_code == 503


def _interface_error(*args, **kwargs):
    raise InterfaceError("connection already closed")


def test_any_other_error_is_still_a_500(client, monkeypatch, settings):
    settings.DEBUG = False
    monkeypatch.setattr(
        "partners.services.key_cache.selectors.api_key_by_hash",
        lambda *a, **k: 1 / 0,
    )

    response = client.get("/api/v1/shops/", HTTP_AUTHORIZATION="Bearer dd_live_x")

    assert response.status_code == 500
    assert "Retry-After" not in response
