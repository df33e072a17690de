"""The Content-Security-Policy header: strict on the site's own pages, with the admin's and the
API docs' named exceptions only on their paths (common/csp.py)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part.strip()}


def test_the_sign_in_page_allows_no_inline_script_style_or_framing(client):
    policy = directives(client.get("/accounts/login/"))

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


def test_the_admin_gets_eval_for_alpine_and_inline_styles_but_never_inline_script(client):
    policy = directives(client.get("/admin/login/"))

    assert policy["script-src"] == ["'self'", "'unsafe-eval'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]


def test_the_api_answers_carry_the_policy_too(client):
    response = client.get("/api/v1/shops/")

    assert directives(response)["default-src"] == ["'self'"]


def test_swagger_ui_takes_its_start_script_from_a_file_not_inline(client):
    page = client.get("/api/v1/docs/").content.decode()
    script = client.get("/api/v1/docs/?script=")

    assert "<script>" not in page
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_redoc_starts_from_its_element_without_an_inline_script(client):
    page = client.get("/api/v1/redoc/").content.decode()

    assert "<redoc spec-url=" in page
    assert "<script>" not in page


STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
}
INLINE = {
    "a script element without src": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "an event-handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
    "a style element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
}


def test_every_dashboard_page_has_the_strict_policy_and_nothing_inline_it_would_refuse(
    client, settings
):
    """Every page of tests/dashboard_pages.PAGES, as its merchant sees it: the header is the
    strict one (no path of the dashboard picks up the admin's or the docs' exceptions), and the
    HTML has nothing the browser would refuse under it (the browser suite sees the refusals,
    only on the pages it walks and only where Chromium runs)."""
    from django.utils import timezone

    from tests.dashboard_pages import PAGES, build_world

    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    world = build_world(now=timezone.now())
    wrong: dict[str, list[str]] = {}
    for page in PAGES:
        if page.name != "login":
            client.force_login(world.owner)
        path = page.path(world)
        if page.form is not None:
            path = client.post(path, page.form)["Location"]
        response = client.get(path)
        assert response.status_code == 200, page.name
        policy = directives(response)
        found = [f"{k}: {policy.get(k)}" for k, v in STRICT.items() if policy.get(k) != v]
        html = response.content.decode()
        found += [what for what, pattern in INLINE.items() if pattern.search(html)]
        if found:
            wrong[page.name] = found
        client.logout()
    assert wrong == {}
