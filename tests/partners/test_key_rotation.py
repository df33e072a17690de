"""Partner key rotation (issue 16, section 4): a successor key, an overlap in which both keys
work, the old key refused after it; the partner rotating its own key through the API, ops
rotating one in the admin (money keys under four-eyes), the audit trail, and races."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from audit.models import ApiKeyEvent
from common.errors import ApiKeyAlreadyRotated, InvalidInput, InvalidTransition, NotFound
from partners import services
from partners.models import ApiKey, IdempotencyRecord, Scope
from tests.partners.api_client import Api, make_api

pytestmark = pytest.mark.django_db

SHOPS = "/api/v1/shops/"


class Clock:
    """The time every `timezone.now()` answers (authentication reads it): moved by the test."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch, now) -> Clock:  # type: ignore[no-untyped-def]
    clock = Clock(now)
    monkeypatch.setattr("django.utils.timezone.now", clock)
    return clock


def rotate_path(api: Api) -> str:
    return f"/api/v1/api-keys/{api.api_key.prefix}/rotate/"


def with_key(api: Api, raw: str) -> Api:
    return Api(
        partner=api.partner,
        api_key=ApiKey.objects.get(key_hash=services.hash_key(raw)),
        raw_key=raw,
    )


def live_keys(partner_id: int, at: datetime) -> list[ApiKey]:
    return [
        key
        for key in ApiKey.objects.filter(partner_id=partner_id, revoked_at__isnull=True)
        if key.expires_at is None or key.expires_at > at
    ]


class TestRotationThroughTheApi:
    def test_both_keys_work_inside_the_overlap_and_the_old_one_is_refused_after_it(self, clock):
        old = make_api("Tmall", scopes=[Scope.SHOPS_READ])

        response = old.post(rotate_path(old), {"overlap_hours": 2})

        assert response.status_code == 201, response.content
        body = response.json()
        new = with_key(old, body["key"])
        assert body["replaces"] == {
            "prefix": old.api_key.prefix,
            "expires_at": (clock.at + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
        }
        clock.advance(hours=1, minutes=59)
        assert old.get(SHOPS).status_code == 200
        assert new.get(SHOPS).status_code == 200

        clock.advance(minutes=1)
        refused = old.get(SHOPS)
        assert refused.status_code == 401
        assert refused.json()["code"] == "not_authenticated"
        assert "expired" in refused.json()["detail"]
        assert new.get(SHOPS).status_code == 200

    def test_the_default_overlap_is_24_hours(self, clock):
        old = make_api("Tmall", scopes=[Scope.SHOPS_READ])

        old.post(rotate_path(old))

        old.api_key.refresh_from_db()
        assert old.api_key.expires_at == clock.at + timedelta(hours=24)

    @pytest.mark.parametrize("hours", [-1, 169])
    def test_an_overlap_outside_0_to_168_hours_is_refused_and_nothing_is_issued(self, hours):
        old = make_api("Tmall", scopes=[Scope.SHOPS_READ])

        response = old.post(rotate_path(old), {"overlap_hours": hours})

        assert response.status_code == 400
        assert "overlap_hours" in response.json()["fields"]
        assert ApiKey.objects.filter(partner=old.partner).count() == 1

    def test_the_successor_has_the_same_scopes_and_label_and_only_it_is_returned_once(self):
        old = make_api("Tmall", scopes=[Scope.SHOPS_READ, Scope.CLAIMS_READ])

        body = old.post(rotate_path(old), key="rotate-1").json()

        new = ApiKey.objects.get(prefix=body["prefix"])
        assert new.scopes == [Scope.SHOPS_READ, Scope.CLAIMS_READ] == body["scopes"]
        assert new.name == old.api_key.name and new.replaces_id == old.api_key.pk
        assert new.key_hash == hashlib.sha256(body["key"].encode()).hexdigest()
        stored = IdempotencyRecord.objects.get(key="rotate-1").response_body
        assert body["key"] not in stored

    def test_a_replay_of_the_same_request_answers_without_the_key(self):
        old = make_api("Tmall", scopes=[Scope.SHOPS_READ])
        first = old.post(rotate_path(old), key="rotate-1").json()

        replay = old.post(rotate_path(old), key="rotate-1")

        assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
        assert replay.json() == {**first, "key": None}
        assert ApiKey.objects.filter(partner=old.partner).count() == 2

    def test_a_key_already_rotated_is_refused(self):
        old = make_api("Tmall", scopes=[Scope.SHOPS_READ])
        old.post(rotate_path(old))

        again = old.post(rotate_path(old))

        assert again.status_code == 409
        assert again.json()["code"] == "key_already_rotated"
        assert ApiKey.objects.filter(partner=old.partner).count() == 2

    def test_another_partners_key_is_not_found_and_left_alone(self, clock):
        victim = make_api("Tmall", scopes=[Scope.SHOPS_READ])
        other = make_api("JD", scopes=[Scope.SHOPS_READ])

        response = other.post(rotate_path(victim))

        assert response.status_code == 404
        victim.api_key.refresh_from_db()
        assert victim.api_key.expires_at is None
        assert ApiKey.objects.count() == 2

    def test_a_key_cannot_rotate_another_key_of_its_own_partner(self):
        # It would be handed that key's successor, and with it that key's scopes.
        money = make_api("Tmall", scopes=[Scope.DEPOSITS_WRITE])
        reader = Api(
            partner=money.partner,
            **_issue(money.partner, [Scope.SHOPS_READ]),
        )

        response = reader.post(rotate_path(money))

        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert ApiKey.objects.filter(partner=money.partner).count() == 2

    def test_a_revoked_key_can_neither_call_nor_rotate(self, now):
        api = make_api("Tmall", scopes=[Scope.SHOPS_READ])
        services.api_key_revoke(api_key=api.api_key, now=now, reason="leaked")

        assert api.post(rotate_path(api)).status_code == 401
        with pytest.raises(InvalidTransition):
            services.api_key_rotate(api_key_id=api.api_key.pk, now=now)


def _issue(partner: Any, scopes: list[str]) -> dict[str, Any]:
    from django.utils import timezone

    issued = services.api_key_create(partner=partner, now=timezone.now(), scopes=scopes)
    return {"api_key": issued.api_key, "raw_key": issued.raw}


class TestTheRotationService:
    def test_a_lineage_never_has_three_usable_keys(self, now):
        first = make_api("Tmall", scopes=[Scope.SHOPS_READ]).api_key
        second = services.api_key_rotate(api_key_id=first.pk, now=now).api_key

        third = services.api_key_rotate(api_key_id=second.pk, now=now + timedelta(hours=1)).api_key

        first.refresh_from_db()
        assert first.expires_at == now + timedelta(hours=1)  # its overlap ended at once
        later = now + timedelta(hours=1, seconds=1)
        assert {k.pk for k in live_keys(first.partner_id, later)} == {second.pk, third.pk}

    def test_rotation_never_extends_a_keys_life(self, now):
        partner = services.partner_get_or_create(name="Tmall")
        ends = now + timedelta(hours=5)
        old = services.api_key_create(
            partner=partner, now=now, scopes=[Scope.SHOPS_READ], expires_at=ends
        ).api_key

        new = services.api_key_rotate(api_key_id=old.pk, now=now, overlap_hours=24).api_key

        old.refresh_from_db()
        assert old.expires_at == ends and new.expires_at == ends

    def test_the_wrong_partner_is_told_not_found(self, now):
        key = make_api("Tmall", scopes=[Scope.SHOPS_READ]).api_key
        other = services.partner_get_or_create(name="JD")

        with pytest.raises(NotFound):
            services.api_key_rotate(api_key_id=key.pk, now=now, partner_id=other.pk)
        assert not ApiKey.objects.filter(replaces=key).exists()

    def test_an_overlap_above_the_configured_maximum_is_refused(self, now, settings):
        settings.PARTNER_KEY_ROTATION_MAX_OVERLAP_HOURS = 48
        key = make_api("Tmall", scopes=[Scope.SHOPS_READ]).api_key

        with pytest.raises(InvalidInput):
            services.api_key_rotate(api_key_id=key.pk, now=now, overlap_hours=49)
        services.api_key_rotate(api_key_id=key.pk, now=now, overlap_hours=48)

    @pytest.mark.postgres(reason="the audit trail is written by PostgreSQL triggers")
    def test_the_audit_trail_has_the_new_key_and_the_old_keys_new_expiry(self, now):
        key = make_api("Tmall", scopes=[Scope.SHOPS_READ]).api_key

        new = services.api_key_rotate(api_key_id=key.pk, now=now, overlap_hours=3).api_key

        inserted = ApiKeyEvent.objects.get(pgh_obj_id=new.pk, pgh_label="insert")
        assert inserted.replaces_id == key.pk
        updated = ApiKeyEvent.objects.filter(pgh_obj_id=key.pk, pgh_label="update").last()
        assert updated is not None and updated.expires_at == now + timedelta(hours=3)


@pytest.mark.postgres(reason="row locks under concurrent threads")
@pytest.mark.django_db(transaction=True)
class TestConcurrentRotations:
    def test_rotations_at_once_issue_one_successor_and_leave_two_usable_keys(self, now):
        from tests.deposits.test_ledger_concurrency import run_concurrently

        key = make_api("Tmall", scopes=[Scope.SHOPS_READ]).api_key

        results = run_concurrently(
            [lambda: services.api_key_rotate(api_key_id=key.pk, now=now) for _ in range(6)]
        )

        issued = [r for r in results if isinstance(r, services.IssuedKey)]
        refused = [r for r in results if isinstance(r, ApiKeyAlreadyRotated)]
        assert len(issued) == 1 and len(refused) == 5, results
        assert len(live_keys(key.partner_id, now + timedelta(seconds=1))) == 2
        assert ApiKey.objects.filter(partner_id=key.partner_id).count() == 2


class TestRotationInTheAdmin:
    def _act(self, client, ids: list[int], **extra: str) -> list[str]:  # type: ignore[no-untyped-def]
        from tests.approvals.test_admin import act

        return act(client, reverse("admin:partners_apikey_changelist"), "rotate", ids, **extra)

    def test_a_supervisor_rotates_a_key_without_money_scopes_and_is_shown_it_once(
        self, client, clock
    ):
        from tests.approvals.helpers import in_role

        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        old = make_api("Tmall", scopes=[Scope.SHOPS_READ])
        client.force_login(in_role("supervisor", "sam"))

        said = self._act(client, [old.api_key.pk], reason="yearly rotation", overlap_hours="6")

        [raw] = re.findall(r"ddk_[0-9a-f]{8}_[A-Za-z0-9_-]+", " ".join(said))
        assert with_key(old, raw).get(SHOPS).status_code == 200
        old.api_key.refresh_from_db()
        assert old.api_key.expires_at == clock.at + timedelta(hours=6)

    def test_rotation_needs_a_reason(self, client):
        from tests.approvals.helpers import in_role

        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        old = make_api("Tmall", scopes=[Scope.SHOPS_READ])
        client.force_login(in_role("supervisor", "sam"))

        said = self._act(client, [old.api_key.pk], reason="")

        assert any("reason" in line for line in said)
        assert ApiKey.objects.count() == 1

    def test_a_money_key_is_rotated_when_a_second_supervisor_approves_who_alone_sees_it(
        self, client, clock
    ):
        from approvals.models import FourEyesRequest
        from tests.approvals.helpers import in_role
        from tests.approvals.test_admin import act

        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        old = make_api("Tmall", scopes=[Scope.DEPOSITS_WRITE])
        client.force_login(in_role("supervisor", "mia"))

        made = self._act(client, [old.api_key.pk], reason="leak suspected", overlap_hours="1")

        assert not re.search(r"ddk_[0-9a-f]{8}_", " ".join(made))
        assert ApiKey.objects.count() == 1
        request = FourEyesRequest.objects.get(action="partners.money_key_rotation")

        client.force_login(in_role("supervisor", "sam"))
        said = act(
            client, reverse("admin:approvals_foureyesrequest_changelist"), "approve", [request.pk]
        )

        [raw] = re.findall(r"ddk_[0-9a-f]{8}_[A-Za-z0-9_-]+", " ".join(said))
        new = ApiKey.objects.get(key_hash=services.hash_key(raw))
        assert new.replaces_id == old.api_key.pk and new.scopes == [Scope.DEPOSITS_WRITE]
        assert raw not in str(FourEyesRequest.objects.get().payload)
        old.api_key.refresh_from_db()
        assert old.api_key.expires_at == clock.at + timedelta(hours=1)

    def test_a_supervisor_issues_a_key_and_a_money_key_waits_for_a_second_person(self, client):
        from approvals.models import FourEyesRequest
        from tests.approvals.helpers import in_role

        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        partner = services.partner_get_or_create(name="Tmall")
        client.force_login(in_role("supervisor", "mia"))
        add = reverse("admin:partners_apikey_add")

        plain = client.post(
            add, {"partner": partner.pk, "name": "read", "scopes": [Scope.SHOPS_READ]}
        )
        money = client.post(
            add, {"partner": partner.pk, "name": "pay", "scopes": [Scope.DEPOSITS_WRITE]}
        )

        assert plain.status_code == 302 and money.status_code == 302
        assert list(ApiKey.objects.values_list("name", flat=True)) == ["read"]
        assert FourEyesRequest.objects.get().action == "partners.money_key"


def test_a_rotated_keys_page_names_its_successor_and_the_successors_names_it(client, now):
    from tests.approvals.helpers import in_role

    old = make_api("Tmall", scopes=[Scope.SHOPS_READ]).api_key
    new = services.api_key_rotate(api_key_id=old.pk, now=now).api_key
    client.force_login(in_role("auditor", "ada"))

    old_page = client.get(reverse("admin:partners_apikey_change", args=[old.pk]))
    new_page = client.get(reverse("admin:partners_apikey_change", args=[new.pk]))

    assert old_page.status_code == 200 and new_page.status_code == 200
    assert new.prefix in old_page.content.decode()
    assert old.prefix in new_page.content.decode()
