"""The audit trail: every change to a tracked row is recorded by a trigger, with who and where."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import (
    AuditEvent,
    GuaranteeEvent,
    ShopEvent,
    ShopRestrictionEvent,
    UserEvent,
    UserGroupEvent,
)
from deposits import services as deposit_services
from deposits.models import Entry, Guarantee
from deposits.tasks import expire_due_guarantees
from shops.models import Shop, ShopRestriction
from tests.factories import fund, make_shop, make_user
from tests.partners.api_client import make_api, register_shop

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres(reason="the audit trail is written by PostgreSQL triggers"),
]


def _last_event(model, obj_id):  # type: ignore[no-untyped-def]
    return model.objects.filter(pgh_obj_id=obj_id).select_related("pgh_context").latest("pgh_id")


def test_a_freeze_from_the_admin_is_recorded_with_the_staff_user_and_the_request_id(now):
    shop, _ = make_shop(now=now)
    ops_user = make_user("ops-anna", staff=True)
    client = Client()
    client.force_login(ops_user)

    response = client.post(
        reverse("admin:shops_shop_changelist"),
        {"action": "freeze", "_selected_action": [shop.pk], "reason": "fraud check"},
        headers={"X-Request-Id": "req-freeze-1"},
    )

    assert response.status_code == 302
    restriction = ShopRestriction.objects.get(shop=shop, kind="FROZEN")
    event = _last_event(ShopRestrictionEvent, restriction.pk)
    assert event.pgh_label == "insert"
    assert event.reason == "fraud check"
    assert event.pgh_context.metadata["user"] == ops_user.pk
    assert event.pgh_context.metadata["request_id"] == "req-freeze-1"
    [row] = AuditEvent.objects.across(ShopRestrictionEvent).filter(user=ops_user.pk)
    assert row.request_id == "req-freeze-1"


def test_a_change_by_raw_sql_is_recorded_with_no_user(now):
    shop, _ = make_shop(now=now)

    with connection.cursor() as cursor:
        cursor.execute("UPDATE shops_shop SET name = %s WHERE id = %s", ["Renamed by SQL", shop.pk])

    event = _last_event(ShopEvent, shop.pk)
    assert event.name == "Renamed by SQL"
    assert event.pgh_context is None
    [row] = AuditEvent.objects.across(ShopEvent).filter(
        pgh_obj_id=str(shop.pk), pgh_slug=f"audit.ShopEvent:{event.pgh_id}"
    )
    assert row.pgh_diff["name"] == [shop.name, "Renamed by SQL"]
    assert row.user_id is None


def test_a_shop_registered_through_the_partner_api_carries_the_partner_key(db):
    api = make_api("Tmall")

    body = register_shop(api)

    shop = Shop.objects.get(public_id=body["id"])
    created = ShopEvent.objects.filter(pgh_obj_id=shop.pk, pgh_label="insert").get()
    assert created.pgh_context.metadata["partner_key"] == api.api_key.prefix
    assert created.pgh_context.metadata["user"] is None


def test_a_celery_task_change_carries_the_task_name(now):
    past = timezone.now() - timedelta(days=10)
    _, account = make_shop(now=past)
    guarantee = deposit_services.guarantee_register(
        account_id=account.pk,
        amount_minor=50_000,
        currency="CNY",
        valid_from=past,
        valid_to=past + timedelta(days=1),
        source_kind=Guarantee.SourceKind.BANK_GUARANTEE,
        source_ref="BG-audit-1",
        now=past,
    )

    expire_due_guarantees.apply()

    guarantee.refresh_from_db()
    assert guarantee.status == Guarantee.Status.EXPIRED
    event = _last_event(GuaranteeEvent, guarantee.pk)
    assert event.status == Guarantee.Status.EXPIRED
    assert event.pgh_context.metadata["task"] == "deposits.tasks.expire_due_guarantees"


def test_ledger_postings_write_no_audit_event_but_the_entries(now):
    _, account = make_shop(now=now)
    before = AuditEvent.objects.across("audit.AccountEvent").filter(pgh_obj_id=str(account.pk))
    count = before.count()

    fund(account, 10_000, now=now)

    assert account.posted_minor == 10_000
    assert Entry.objects.filter(account=account).count() == 1
    assert before.count() == count


def test_staff_rights_and_group_membership_are_recorded(db):
    from django.contrib.auth.models import Group

    user = make_user("clerk")
    group = Group.objects.create(name="audit-test-team")

    user.is_staff = True
    user.save()
    user.groups.add(group)

    assert _last_event(UserEvent, user.pk).is_staff is True
    assert "password" not in {f.name for f in UserEvent._meta.fields}
    membership = UserGroupEvent.objects.get(user_id=user.pk, group_id=group.pk)
    assert membership.pgh_label == "insert"


def test_the_history_tab_shows_who_changed_what(now):
    shop, _ = make_shop(now=now)
    ops_user = make_user("ops-ben", staff=True)
    client = Client()
    client.force_login(ops_user)
    client.post(
        reverse("admin:shops_shop_changelist"),
        {"action": "freeze", "_selected_action": [shop.pk], "reason": "fraud check"},
        headers={"X-Request-Id": "req-tab-1"},
    )

    restriction = ShopRestriction.objects.get(shop=shop)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE shops_shop SET name = 'Renamed by SQL' WHERE id = %s", [shop.pk])

    restriction_tab = client.get(
        reverse("admin:shops_shoprestriction_history", args=[restriction.pk])
    )
    shop_tab = client.get(
        reverse("admin:shops_shop_history", args=[shop.pk]), headers={"Accept-Language": "en"}
    )

    assert restriction_tab.status_code == 200
    html = restriction_tab.content.decode()
    assert "ops-ben" in html
    assert "req-tab-1" in html
    assert "fraud check" in html
    assert shop_tab.status_code == 200
    html = shop_tab.content.decode()
    assert f"{shop.name} → Renamed by SQL" in html
    assert "No user (direct database change)" in html


def test_the_audit_page_lists_filters_and_searches_events(now):
    shop, _ = make_shop(now=now)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE shops_shop SET name = 'Found by id' WHERE id = %s", [shop.pk])
    client = Client()
    client.force_login(make_user(staff=True))
    url = reverse("admin:audit_auditevent_changelist")

    everything = client.get(url)
    by_id = client.get(url, {"q": str(shop.pk), "model": "audit.ShopEvent"})
    by_actor = client.get(url, {"actor": "none", "model": "audit.ShopEvent"})

    assert everything.status_code == 200
    assert by_id.status_code == 200
    assert "Found by id" in by_id.content.decode()
    assert by_actor.status_code == 200
    assert "Found by id" in by_actor.content.decode()
