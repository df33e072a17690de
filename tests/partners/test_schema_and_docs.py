"""OpenAPI 3 schema (validated, no warnings) and the docs UIs served from local static files."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client


def test_schema_validates_without_warnings(settings):
    settings.DEBUG = True
    out = StringIO()

    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)

    schema = yaml.safe_load(out.getvalue())
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/v1/shops/",
        "/api/v1/shops/{shop_id}/",
        "/api/v1/shops/{shop_id}/ledger/",
        "/api/v1/shops/{shop_id}/top-ups/",
        "/api/v1/shops/{shop_id}/deductions/",
        "/api/v1/shops/{shop_id}/holds/",
        "/api/v1/shops/{shop_id}/withdrawals/",
        "/api/v1/holds/{hold_id}/capture/",
        "/api/v1/holds/{hold_id}/release/",
        "/api/v1/webhook-endpoints/",
        "/api/v1/events/",
    } <= paths
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security") == [{"partnerKey": []}], (method, path)
            if method == "post":
                names = [p["name"] for p in operation["parameters"]]
                assert "Idempotency-Key" in names, path
                if "requestBody" in operation:  # release has no body
                    content = operation["requestBody"]["content"].values()
                    assert any("examples" in c for c in content), path
    assert schema["components"]["securitySchemes"]["partnerKey"]["scheme"] == "bearer"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_uis_load_their_assets_from_our_static_files(path):
    response = Client().get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_uis_show_the_product_s_favicon_not_their_own(path):
    html = Client().get(path).content.decode()

    icons = re.findall(r"<link[^>]*\brel=\"icon\"[^>]*>", html)
    hrefs = [re.search(r'href="([^"]+)"', icon)[1] for icon in icons]  # type: ignore[index]
    # As templates/base.html links it: the ICO at the site's root and the SVG, both ours.
    assert hrefs == ["/favicon.ico", static("img/favicon.svg")]
    assert "favicon-32x32.png" not in html and "swagger" not in " ".join(hrefs)


@pytest.mark.django_db
def test_schema_endpoint_serves_the_schema():
    response = Client().get("/api/v1/schema/")

    assert response.status_code == 200
    assert b"openapi: 3" in response.content
