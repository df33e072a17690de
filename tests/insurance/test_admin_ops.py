"""Ops close a stuck application through the service with a reason, and every save of an
insurance product in the admin leaves an audit row (who, when, before and after)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from insurance.models import InsuranceApplication, InsuranceProduct, Policy, ProductChange
from partners.models import Event
from tests.factories import make_user
from tests.insurance.test_policies import PAID_AT, accepted_policy, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(client):
    user = make_user("ops-insurance", staff=True)
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client, user


def close(client, application, reason: str):
    response = client.post(
        reverse("admin:insurance_insuranceapplication_changelist"),
        {"action": "close", "_selected_action": [str(application.pk)], "reason": reason},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


class TestCloseAStuckApplication:
    def test_an_accepted_unpaid_one_expires_and_its_policy_is_cancelled(
        self, ops, api, insurer_api
    ):
        client, user = ops
        policy = accepted_policy(api, insurer_api, at=timezone.now())

        messages = close(client, policy.application, "merchant will pay cash instead")

        application = InsuranceApplication.objects.get(pk=policy.application_id)
        policy.refresh_from_db()
        assert (application.status, policy.status) == ("EXPIRED", "CANCELLED"), messages
        assert application.closed_reason == "merchant will pay cash instead"
        assert application.closed_by == user
        event = Event.objects.filter(type="insurance.application_expired").first()
        assert event.data["status"] == "EXPIRED"
        assert event.data["policy"]["status"] == "CANCELLED"

    def test_without_a_reason_nothing_changes(self, ops, api, insurer_api):
        client, _ = ops
        policy = accepted_policy(api, insurer_api, at=timezone.now())

        messages = close(client, policy.application, "  ")

        assert any("type a reason" in m for m in messages)
        assert InsuranceApplication.objects.get(pk=policy.application_id).status == "ACCEPTED"

    def test_a_paid_policys_application_is_refused_and_left_alone(self, ops, api, insurer_api):
        client, _ = ops
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        pay(policy, policy.premium_minor, now=PAID_AT)

        messages = close(client, policy.application, "by mistake")

        assert any("only an unpaid one" in m for m in messages)
        assert Policy.objects.get(pk=policy.pk).status == "ACTIVE"
        assert not Event.objects.filter(type="insurance.application_expired").exists()


def test_a_product_save_is_audited_with_who_when_before_and_after(ops):
    client, user = ops
    current = InsuranceProduct.objects.filter(code="perf-bond").order_by("-effective_from")[0]
    upcoming = InsuranceProduct.objects.create(
        code="perf-bond",
        name_zh=current.name_zh,
        name_en=current.name_en,
        premium_rate_bps=300,
        coverage_share_bps=10_000,
        term_days=365,
        recovery_days=15,
        effective_from=(timezone.now() + timedelta(days=30)).replace(microsecond=0),
    )
    upcoming.categories.set(current.categories.all())
    url = reverse("admin:insurance_insuranceproduct_change", args=[upcoming.pk])
    form = {
        "code": "perf-bond",
        "name_zh": upcoming.name_zh,
        "name_en": upcoming.name_en,
        "insurer": "",
        "premium_rate_bps": "280",
        "coverage_share_bps": "10000",
        "term_days": "365",
        "recovery_days": "15",
        "categories": [str(pk) for pk in current.categories.values_list("pk", flat=True)],
        "new_merchant_days": "90",
        "stable_min_days": "180",
        "counterfeit_lookback_days": "365",
        "effective_from_0": f"{timezone.localtime(upcoming.effective_from):%Y-%m-%d}",
        "effective_from_1": f"{timezone.localtime(upcoming.effective_from):%H:%M:%S}",
        "is_active": "on",
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "1000",
    }

    response = client.post(url, form)
    again = client.post(url, form)  # saved again unchanged: no second row

    assert response.status_code == 302, response.content.decode()[:3000]
    assert again.status_code == 302
    change = ProductChange.objects.get(product=upcoming)
    assert change.actor == user
    assert change.changed_fields == ["premium_rate_bps"]
    assert (change.before["premium_rate_bps"], change.after["premium_rate_bps"]) == (300, 280)
    assert change.after["categories"] == sorted(current.categories.values_list("code", flat=True))
