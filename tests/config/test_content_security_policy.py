"""The Content-Security-Policy header: strict on the site's own pages, with the admin's and the
API docs' named exceptions only on their paths (common/csp.py)."""

from __future__ import annotations

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
