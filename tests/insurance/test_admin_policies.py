"""Ops see a policy's payments, e-policy and guarantee, download the e-policy, and surrender a
policy through the service with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from insurance import services
from insurance.models import PolicyStatus
from tests.factories import make_user
from tests.insurance.test_policies import PAID_AT, accepted_policy, pay, top_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(client):
    client.force_login(make_user("ops-insurance", staff=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_policy_page_shows_payments_document_and_guarantee(ops_client, api, insurer_api):
    policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
    pay(policy, 150_000, now=PAID_AT, ref="PAY-ADMIN-1")
    document = services.policy_document_issue(policy_id=policy.pk, now=PAID_AT)

    page = ops_client.get(reverse("admin:insurance_policy_change", args=[policy.pk]))
    download = ops_client.get(reverse("admin:insurance_policy_document", args=[policy.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "PAY-ADMIN-1" in html
    assert document.sha256 in html
    assert "¥ 50,000.00" in html
    assert download.status_code == 200
    assert download.content == bytes(document.pdf)


def test_staff_who_may_not_view_policies_do_not_get_the_e_policy(client, api, insurer_api):
    policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
    pay(policy, 150_000, now=PAID_AT, ref="PAY-ADMIN-2")
    services.policy_document_issue(policy_id=policy.pk, now=PAID_AT)
    no_role = make_user("staff-no-role")
    no_role.is_staff = True
    no_role.save()
    client.force_login(no_role)

    download = client.get(reverse("admin:insurance_policy_document", args=[policy.pk]))

    assert download.status_code == 404
    assert b"%PDF" not in download.content


def test_ops_surrender_with_a_reason(ops_client, api, insurer_api):
    policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
    top_up(policy.shop, 5_000_000, now=PAID_AT - timedelta(hours=1))
    pay(policy, 150_000, now=PAID_AT)

    response = ops_client.post(
        reverse("admin:insurance_policy_changelist"),
        {"action": "surrender", "_selected_action": [str(policy.pk)], "reason": "merchant asked"},
        follow=True,
    )

    assert response.status_code == 200
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.SURRENDERED, messages
    assert policy.surrender.reason == "merchant asked"
