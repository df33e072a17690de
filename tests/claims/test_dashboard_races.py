"""The merchant's answers racing, with real threads on PostgreSQL: a double click sends the same
POST twice at once, or two colleagues answer differently at once. The claim's row lock makes one
act; the other finds the claim moved on and is told so, and the money moves once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims.models import ClaimStatus
from deposits.models import Hold
from deposits.services import ledger_check_run
from partners.services import partner_get_or_create
from shops.models import MerchantUser
from tests.claims.test_dashboard import file
from tests.factories import fund, make_member, make_shop

pytestmark = [
    pytest.mark.postgres(reason="row locks under concurrent threads"),
    pytest.mark.django_db(transaction=True),
]


def post_together(*posts):
    """Send every (client, url, data) at once; return each response or exception."""
    barrier = threading.Barrier(len(posts))
    results: list[object] = [None] * len(posts)

    def run(i, client, url, data):
        try:
            barrier.wait()
            results[i] = client.post(url, data)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *p)) for i, p in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def partner():  # type: ignore[no-untyped-def]
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner):  # type: ignore[no-untyped-def]
    opened = timezone.now() - timedelta(days=30)
    shop, account = make_shop(now=opened, partner_id=partner.pk)
    fund(account, 5_000_000, now=opened)
    return shop


@pytest.fixture
def answerers(shop):  # type: ignore[no-untyped-def]
    owner = make_member(shop, role=MerchantUser.Role.OWNER)
    colleague = make_member(shop, role=MerchantUser.Role.CLAIMS)
    return logged_in(owner), logged_in(owner), logged_in(colleague)


class TestDoubleSubmitAtOnce:
    def test_two_contests_at_once_escalate_once_with_one_hold(self, partner, shop, answerers):
        first, second, _ = answerers
        for _ in range(3):
            claim = file(partner, shop)
            url = reverse("claims:contest", args=[claim.public_id])

            results = post_together(
                (first, url, {"note": "Shipped on day 1"}),
                (second, url, {"note": "Shipped on day 1"}),
            )

            assert [getattr(r, "status_code", r) for r in results] == [302, 302]
            claim.refresh_from_db()
            assert claim.status == ClaimStatus.IN_REVIEW
            assert claim.events.filter(action="escalated").count() == 1
            assert Hold.objects.filter(reference=f"claim:{claim.public_id}").count() == 1
        assert ledger_check_run().ok

    def test_a_settlement_racing_a_contest_leaves_one_answer(self, partner, shop, answerers):
        first, _, colleague = answerers
        for _ in range(3):
            claim = file(partner, shop)

            results = post_together(
                (first, reverse("claims:settle", args=[claim.public_id]), {}),
                (colleague, reverse("claims:contest", args=[claim.public_id]), {"note": "No"}),
            )

            assert [getattr(r, "status_code", r) for r in results] == [302, 302]
            claim.refresh_from_db()
            actions = [e.action for e in claim.events.all()]
            assert actions in (["filed", "settled"], ["filed", "escalated"])
            holds = Hold.objects.filter(reference=f"claim:{claim.public_id}").count()
            assert holds == (1 if claim.status == ClaimStatus.IN_REVIEW else 0)
        assert ledger_check_run().ok
