"""The beat task hands each due claim to one per-claim task, once while it is pending; the
per-claim task does the claim's step."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from claims import tasks
from claims.models import ClaimStatus
from tests.claims.test_deadlines import file, partner, shop  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db]


def test_the_scan_enqueues_one_task_per_due_claim_and_not_again_while_pending(
    partner,  # noqa: F811
    shop,  # noqa: F811
    monkeypatch,
):
    cache.clear()
    due = [file(partner, shop, reason="FALSE_SHIPMENT"), file(partner, shop, consumer="b-2")]
    sent: list[int] = []
    monkeypatch.setattr(
        tasks.process_deadline, "apply_async", lambda kwargs: sent.append(kwargs["claim_id"])
    )

    assert tasks.scan_deadlines() == 2  # filed in November: long due by the real clock
    assert tasks.scan_deadlines() == 2

    assert sorted(sent) == sorted(c.pk for c in due)


def test_the_per_claim_task_does_the_step_once(partner, shop):  # noqa: F811
    claim = file(partner, shop, reason="FALSE_SHIPMENT")

    assert tasks.process_deadline.run(claim_id=claim.pk) == "escalated"
    assert tasks.process_deadline.run(claim_id=claim.pk) == "nothing"

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
