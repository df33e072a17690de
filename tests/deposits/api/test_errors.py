"""Whatever a partner sends, the answer is a 4xx in the contract's shape, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.utils import translation

from tests.partners.api_client import funded_shop

pytestmark = pytest.mark.django_db


def deductions(shop):
    return f"/api/v1/shops/{shop['id']}/deductions/"


@pytest.fixture
def shop(api):
    return funded_shop(api)


class TestMalformedBodies:
    @pytest.mark.parametrize(
        "raw",
        [
            b"{",
            b'{"amount_minor": 1,}',
            b"\xff\xfe\x00garbage",
            b'{"amount_minor": NaN, "reason": "r", "reference": "o"}',
            b'{"amount_minor": Infinity}',
            b"[" * 100_000 + b"]" * 100_000,
            b'{"amount_minor": ' + b"9" * 5000 + b"}",
        ],
        ids=["truncated", "trailing-comma", "not-utf8", "nan", "infinity", "deep", "huge-int"],
    )
    def test_is_a_parse_error(self, api, shop, raw):
        response = api.post(deductions(shop), raw=raw)

        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"

    @pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null", b"true"])
    def test_json_that_is_not_an_object_is_a_validation_error(self, api, shop, raw):
        response = api.post(deductions(shop), raw=raw)

        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"

    def test_a_body_over_1_mib_is_a_413(self, api, shop):
        body = json.dumps({"amount_minor": 1, "reason": "x" * (1024 * 1024), "reference": "o"})

        response = api.post(deductions(shop), raw=body)

        assert response.status_code == 413
        assert response.json()["code"] == "request_too_large"

    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
    def test_the_parser_enforces_the_limit_even_without_content_length(self, api, shop, rf):
        from io import BytesIO

        from partners.api.errors import RequestTooLarge
        from partners.api.parsers import BoundedJSONParser

        with pytest.raises(RequestTooLarge):
            BoundedJSONParser().parse(BytesIO(b'{"a": "' + b"x" * 200 + b'"}'))

    def test_another_media_type_is_a_415(self, api, shop):
        response = api.post(deductions(shop), raw="amount_minor=1", content_type="text/plain")

        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"

    def test_form_posts_are_a_415(self, api, shop):
        response = api.post(
            deductions(shop),
            raw="amount_minor=1",
            content_type="application/x-www-form-urlencoded",
        )

        assert response.status_code == 415


class TestIdempotencyKeyHeader:
    def test_missing_key_is_idempotency_key_required(self, api, shop):
        response = api.post(deductions(shop), {"amount_minor": 1}, key=None)

        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"

    def test_blank_key_is_idempotency_key_required(self, api, shop):
        response = api.post(deductions(shop), {"amount_minor": 1}, key="   ")

        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"

    def test_a_key_over_255_characters_is_refused(self, api, shop):
        response = api.post(deductions(shop), {"amount_minor": 1}, key="k" * 256)

        assert response.status_code == 400
        assert "Idempotency-Key" in response.json()["fields"]

    def test_255_characters_are_fine(self, api, shop):
        response = api.post(
            deductions(shop), {"amount_minor": 1, "reason": "r", "reference": "o"}, key="k" * 255
        )

        assert response.status_code == 201


class TestRouting:
    def test_unknown_paths_are_json_404s(self, api):
        response = api.get("/api/v1/nothing-here/")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_a_missing_slash_is_a_json_404_with_a_hint(self, api, shop):
        response = api.post(f"/api/v1/shops/{shop['id']}/deductions", {"amount_minor": 1})

        assert response.status_code == 404
        assert "slash" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("path", "kind"),
        [
            ("/api/v1/shops/not-a-uuid/", "No such shop"),
            ("/api/v1/shops/42/deductions/", "No such shop"),
            ("/api/v1/holds/h-1/capture/", "No such hold"),
            ("/api/v1/webhook-endpoints/1/", "No such webhook endpoint"),
        ],
    )
    def test_an_id_that_is_not_a_uuid_is_a_404_naming_what_was_not_found(self, api, path, kind):
        response = api.get(path)

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert response.json()["detail"].startswith(kind)
        assert b'{"code":"not_found"' in response.content  # compact, like every API response

    def test_a_well_formed_id_under_an_unknown_path_is_still_no_such_endpoint(self, api, shop):
        response = api.get(f"/api/v1/shops/{shop['id']}/nothing-here/")

        assert response.json()["detail"] == "No such endpoint."

    @pytest.mark.parametrize(
        "path", ["/api/v1/shops/not-a-uuid/", "/api/v1/nothing-here/", "/api/v1/shops"]
    )
    def test_without_a_key_any_path_is_401_before_it_is_404(self, path):
        from django.test import Client

        response = Client().post(path, "{}", content_type="application/json")

        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_undocumented_methods_are_405(self, api, shop, method):
        response = getattr(api.client, method)(deductions(shop), headers=api.headers())

        assert response.status_code == 405
        assert response.json()["code"] == "method_not_allowed"

    def test_options_is_405(self, api, shop):
        response = api.client.options(deductions(shop), headers=api.headers())

        assert response.status_code == 405

    def test_only_json_is_served(self, api):
        response = api.get("/api/v1/shops/", Accept="text/html")

        assert response.status_code == 406
        assert response.json()["code"] == "not_acceptable"


class TestUnknownInput:
    def test_unknown_body_fields_are_named(self, api, shop):
        response = api.post(
            deductions(shop),
            {"amount_minor": 1, "reason": "r", "reference": "o", "allow_dept": True},
        )

        assert response.status_code == 400
        assert response.json()["fields"] == {"allow_dept": ["Unknown field."]}

    def test_unknown_nested_fields_are_named(self, api):
        from tests.partners.api_client import shop_body

        body = shop_body()
        body["merchant"] = {**body["merchant"], "phone": "123"}

        response = api.post("/api/v1/shops/", body)

        assert response.status_code == 400
        assert "merchant.phone" in response.json()["fields"]

    def test_a_service_refusal_reads_like_a_serializer_refusal(self, api):
        from tests.partners.api_client import shop_body

        by_service = api.post("/api/v1/shops/", shop_body(currency="JPY")).json()
        by_serializer = api.post("/api/v1/shops/", shop_body(currency="ZZZ")).json()

        assert by_service["detail"].startswith("Invalid request. currency: No deposit rules")
        assert by_serializer["detail"].startswith("Invalid request. currency: ")

    def test_unknown_query_parameters_are_named(self, api):
        response = api.get("/api/v1/shops/", {"stauts": "ACTIVE"})

        assert response.status_code == 400
        assert response.json()["fields"] == {"stauts": ["Unknown query parameter."]}

    def test_a_post_to_a_read_only_path_is_405_not_a_missing_key(self, api, shop):
        response = api.post(f"/api/v1/shops/{shop['id']}/", {}, key=None)

        assert response.status_code == 405

    def test_a_post_to_an_unknown_path_is_a_json_404_not_the_csrf_page(self, api):
        response = api.client.post("/api/v1/holds/null/release/", headers=api.headers())

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class TestLanguage:
    def test_details_are_english_unless_the_partner_asks(self, api):
        plain = api.client.get("/api/v1/shops/")
        chinese = api.client.get("/api/v1/shops/", headers={"Accept-Language": "zh-hans"})

        assert plain.json()["detail"] == "Authentication credentials were not provided."
        assert chinese.json()["detail"] != plain.json()["detail"]

    @pytest.mark.parametrize(
        ("path", "authorised", "status"),
        [
            ("/api/v1/shops/", True, 200),
            ("/api/v1/shops/", False, 401),
            ("/api/v1/no-such-thing/", True, 404),
        ],
        ids=["answered", "refused", "unknown-path"],
    )
    def test_an_english_answer_leaves_the_thread_in_its_own_language(
        self, api, path, authorised, status
    ):
        with translation.override("zh-hans"):
            response = api.client.get(path, headers=api.headers() if authorised else {})

            assert response.status_code == status
            assert response["Content-Language"] == "en"
            assert translation.get_language() == "zh-hans"

    def test_a_view_that_fails_leaves_the_thread_in_its_own_language(self, api, monkeypatch):
        def broken(view, request, *args, **kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr("deposits.api.views.ShopsView.get", broken)
        with translation.override("zh-hans"):
            with pytest.raises(RuntimeError):
                api.get("/api/v1/shops/")

            assert translation.get_language() == "zh-hans"
