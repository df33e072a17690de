"""Partners' API keys: create_partner_key, hashed storage, authentication, scopes, last use."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners import services
from partners.models import ApiKey, Partner, Scope
from tests.partners.api_client import Api, make_api

pytestmark = pytest.mark.django_db


def run_command(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_partner_key", *args, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


class TestCreatePartnerKeyCommand:
    def test_prints_the_key_alone_on_the_last_line_and_it_works(self):
        lines = run_command("Tmall")

        key = lines[-1]
        assert key.startswith("ddk_") and " " not in key
        partner = Partner.objects.get(name="Tmall")
        api_key = ApiKey.objects.get(partner=partner)
        assert api_key.scopes == Scope.values
        api = Api(partner=partner, api_key=api_key, raw_key=key)
        assert api.get("/api/v1/shops/").status_code == 200

    def test_reuses_the_partner_and_adds_a_key(self):
        first = run_command("Tmall")[-1]
        second = run_command("Tmall", "--label", "second")[-1]

        assert first != second
        assert Partner.objects.filter(name="Tmall").count() == 1
        assert ApiKey.objects.filter(partner__name="Tmall").count() == 2

    def test_scopes_and_expiry_options(self):
        run_command(
            "Insurer", "--kind", "INSURER", "--scopes", "shops:read", "--expires-in-days", "30"
        )

        api_key = ApiKey.objects.get(partner__name="Insurer")
        assert api_key.scopes == ["shops:read"]
        assert api_key.partner.kind == "INSURER"
        assert api_key.expires_at > timezone.now() + timedelta(days=29)


class TestStorage:
    def test_only_the_sha256_of_the_key_is_stored(self):
        api = make_api("Tmall")

        row = ApiKey.objects.filter(pk=api.api_key.pk).values().get()

        assert row["key_hash"] == hashlib.sha256(api.raw_key.encode()).hexdigest()
        assert api.raw_key.startswith(row["prefix"] + "_")
        assert not any(api.raw_key == value for value in row.values())

    def test_authentication_is_one_indexed_query_then_none_while_the_key_is_remembered(self):
        api = make_api("Tmall")

        with CaptureQueriesContext(connection) as first:
            api.get("/api/v1/shops/")
        with CaptureQueriesContext(connection) as next_one:
            api.get("/api/v1/webhook-endpoints/")

        auth_queries = [q for q in first if "partners_apikey" in q["sql"]]
        assert len(auth_queries) == 2  # the lookup, and the first use written (last_used_at)
        assert "key_hash" in auth_queries[0]["sql"]
        assert not [q for q in next_one if "partners_apikey" in q["sql"]]

    @override_settings(PARTNER_API_KEY_CACHE_SECONDS=0)
    def test_without_remembering_every_request_looks_its_key_up(self):
        api = make_api("Tmall")
        api.get("/api/v1/shops/")

        with CaptureQueriesContext(connection) as queries:
            api.get("/api/v1/webhook-endpoints/")

        auth_queries = [q for q in queries if "partners_apikey" in q["sql"]]
        assert len(auth_queries) == 1
        assert "key_hash" in auth_queries[0]["sql"]


class TestAuthentication:
    @pytest.mark.parametrize(
        "header",
        [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer ddk_nope_nope", "Bearer " + "x" * 500],
    )
    def test_a_missing_or_bad_key_is_401(self, api, header):
        headers = {} if header is None else {"Authorization": header}

        response = api.client.get("/api/v1/shops/", headers=headers)

        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_a_revoked_key_is_401(self, api):
        services.api_key_revoke(api_key=api.api_key, now=timezone.now(), reason="leaked")

        response = api.get("/api/v1/shops/")

        assert response.status_code == 401
        assert "revoked" in response.json()["detail"]

    def test_revoking_twice_is_refused(self, api):
        services.api_key_revoke(api_key=api.api_key, now=timezone.now(), reason="leaked")

        from common.errors import InvalidTransition

        with pytest.raises(InvalidTransition):
            services.api_key_revoke(api_key=api.api_key, now=timezone.now(), reason="again")

    def test_an_expired_key_is_401(self, api):
        ApiKey.objects.filter(pk=api.api_key.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )

        response = api.get("/api/v1/shops/")

        assert response.status_code == 401
        assert "expired" in response.json()["detail"]

    def test_an_inactive_partner_is_401(self, api):
        Partner.objects.filter(pk=api.partner.pk).update(is_active=False)

        assert api.get("/api/v1/shops/").status_code == 401

    def test_a_key_without_the_scope_is_403(self):
        api = make_api("Reader", scopes=[Scope.SHOPS_READ])

        read = api.get("/api/v1/shops/")
        write = api.post("/api/v1/shops/", {})
        hooks = api.get("/api/v1/webhook-endpoints/")

        assert read.status_code == 200
        assert write.status_code == hooks.status_code == 403
        assert write.json()["code"] == "permission_denied"
        assert "shops:write" in write.json()["detail"]

    def test_unknown_scopes_are_refused_at_creation(self):
        from common.errors import InvalidInput

        with pytest.raises(InvalidInput):
            services.api_key_create(
                partner=services.partner_get_or_create(name="P"),
                now=timezone.now(),
                scopes=["admin"],
            )


class TestLastUsed:
    def test_is_recorded_at_most_once_a_minute(self, api, now):
        key = api.api_key

        first = services.api_key_touch(api_key=key, now=now)
        soon = services.api_key_touch(api_key=key, now=now + timedelta(seconds=59))
        later = services.api_key_touch(api_key=key, now=now + timedelta(seconds=61))

        assert (first, soon, later) == (True, False, True)
        key.refresh_from_db()
        assert key.last_used_at == now + timedelta(seconds=61)

    def test_a_request_sets_it(self, api):
        api.get("/api/v1/shops/")

        api.api_key.refresh_from_db()
        assert api.api_key.last_used_at is not None
