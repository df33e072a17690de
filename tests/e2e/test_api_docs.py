"""A partner engineer opens the API docs: they render from this site alone, even where the
vendored bundles would reach out (Redoc's footer logo lives on cdn.redoc.ly)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/api/v1/redoc/", "/api/v1/docs/"])
def test_the_api_docs_render_without_asking_any_other_host(live_server, new_page, screenshot, path):
    page = new_page(locale="en-US")
    ours = urlparse(live_server.url).hostname
    elsewhere: dict[str, str] = {}  # URL -> how it ended ("sent" unless the browser stopped it)

    def on_request(request) -> None:  # type: ignore[no-untyped-def]
        url = urlparse(request.url)  # data: and blob: URLs never leave the page
        if url.scheme in ("http", "https") and url.hostname != ours:
            elsewhere[request.url] = "sent"

    def on_failed(request) -> None:  # type: ignore[no-untyped-def]
        if request.url in elsewhere:
            elsewhere[request.url] = request.failure or "failed"

    page.on("request", on_request)
    page.on("requestfailed", on_failed)

    page.goto(live_server.url + path)
    page.get_by_text("Deposit Desk partner API").first.wait_for()
    page.wait_for_load_state("networkidle")
    screenshot(page, "api-docs-" + path.strip("/").split("/")[-1])

    # Stopped by the page's Content-Security-Policy before any connection ("csp"); a request
    # that got as far as DNS would say net::ERR_NAME_NOT_RESOLVED here, or succeed elsewhere.
    assert all(outcome == "csp" for outcome in elsewhere.values()), elsewhere
