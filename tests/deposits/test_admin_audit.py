"""Ops screens that change rules write through services, so every change leaves an audit row
(RuleChange: who, what, when) whether it takes effect now or later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deposits.models import BaseRequirementRule, RuleChange, ShortfallLadderStep
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.django_db
YUAN = 100


@pytest.fixture
def ops(client):
    user = make_user("ops-audit", staff=True)
    client.force_login(user)
    return client, user


def _local(when):
    return timezone.localtime(when)


def rule_form(amount_yuan: int, effective_from) -> dict[str, str]:
    local = _local(effective_from)
    return {
        "shop_type": "FLAGSHIP",
        "trademark_status": "REGISTERED",
        "currency": "CNY",
        "amount_minor": str(amount_yuan * YUAN),
        "effective_from_0": local.strftime("%Y-%m-%d"),
        "effective_from_1": local.strftime("%H:%M:%S"),
        "note": "2027 tariff",
    }


class TestRequirementRuleAdmin:
    # With four-eyes on (the default) a rule change first waits for a second person
    # (tests/approvals); here it is off, so the admin saves through the service at once.
    @pytest.fixture(autouse=True)
    def _four_eyes_off(self, settings):  # type: ignore[no-untyped-def]
        settings.FOUR_EYES_THRESHOLDS_MINOR = {
            **settings.FOUR_EYES_THRESHOLDS_MINOR,
            "deposits.requirement_rule": None,
        }

    def test_a_future_rule_is_audited_although_nothing_is_recomputed_yet(self, ops):
        client, user = ops
        starts = timezone.now() + timedelta(days=30)

        response = client.post(
            reverse("admin:deposits_baserequirementrule_add"), rule_form(60_000, starts)
        )

        assert response.status_code == 302
        rule = BaseRequirementRule.objects.get(amount_minor=60_000 * YUAN)
        assert rule.created_by == user
        change = RuleChange.objects.get()
        assert change.actor == user
        assert "takes effect" in change.description

    def test_a_rule_in_force_is_applied_at_once_and_audited(self, ops):
        client, user = ops
        _, account = make_shop(now=timezone.now())

        response = client.post(
            reverse("admin:deposits_baserequirementrule_add"),
            rule_form(60_000, timezone.now() - timedelta(minutes=1)),
        )

        assert response.status_code == 302
        account.refresh_from_db()
        assert account.required_minor == 60_000 * YUAN
        change = RuleChange.objects.get()
        assert (change.actor, change.shops_changed) == (user, 1)

    def test_withdrawing_a_future_rule_is_audited(self, ops):
        client, user = ops
        rule = BaseRequirementRule.objects.create(
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            amount_minor=70_000 * YUAN,
            effective_from=timezone.now() + timedelta(days=3),
        )

        client.post(
            reverse("admin:deposits_baserequirementrule_delete", args=[rule.pk]), {"post": "yes"}
        )

        assert not BaseRequirementRule.objects.filter(pk=rule.pk).exists()
        assert RuleChange.objects.get().description.startswith("Withdrew")


class TestLadderStepAdmin:
    def test_switching_a_step_off_on_its_page_is_audited_with_the_field(self, ops):
        client, user = ops
        step = ShortfallLadderStep.objects.get(code="restrict-marketing")

        response = client.post(
            reverse("admin:deposits_shortfallladderstep_change", args=[step.pk]),
            {
                "code": step.code,
                "position": step.position,
                "delay": str(step.delay.days) + " 00:00:00",
                "action": step.action,
                "restriction_kind": step.restriction_kind,
                "reminder_lead": str(step.reminder_lead.days) + " 00:00:00"
                if step.reminder_lead
                else "",
                "note": "paused during the festival",
            },
        )

        assert response.status_code == 302
        step.refresh_from_db()
        assert step.is_active is False
        change = RuleChange.objects.get()
        assert change.actor == user
        assert "is_active" in change.description and "restrict-marketing" in change.description

    def test_a_step_cannot_be_deleted(self, ops):
        client, _ = ops
        step = ShortfallLadderStep.objects.get(code="restrict-marketing")

        response = client.post(
            reverse("admin:deposits_shortfallladderstep_delete", args=[step.pk]), {"post": "yes"}
        )

        assert response.status_code == 403
        assert ShortfallLadderStep.objects.filter(pk=step.pk).exists()
