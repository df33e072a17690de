"""The four-eyes list in the admin: "waiting for me", the payload as money, approve and reject
with a reason; and the money actions of other screens routed through it."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from approvals.models import FourEyesRequest, RequestStatus
from deposits import services
from deposits.models import Account
from tests.approvals.helpers import in_role
from tests.factories import fund, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():  # type: ignore[no-untyped-def]
    """The admin reads the real clock: requests made at a fixed past moment would be expired."""
    return timezone.now()


LIST = "admin:approvals_foureyesrequest_changelist"


def act(client, url: str, action: str, ids: list[int], **extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    data = {"action": action, "_selected_action": [str(i) for i in ids], **extra}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def english(client):  # type: ignore[no-untyped-def]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_an_adjustment_from_the_account_screen_waits_then_a_supervisor_approves_it(english, now):
    client = english
    _, account = make_shop(now=now)
    client.force_login(in_role("finance", "fiona"))

    said = act(
        client,
        reverse("admin:deposits_account_changelist"),
        "adjust",
        [account.pk],
        amount="15000",
        reason="Duplicate payment returned",
    )

    assert any("waiting for a second person" in m for m in said), said
    request = FourEyesRequest.objects.get()
    assert Account.objects.get(pk=account.pk).posted_minor == 0

    client.force_login(in_role("supervisor", "sam"))
    waiting = client.get(reverse(LIST), {"waiting_for_me": "yes"}).content.decode()
    page = client.get(
        reverse("admin:approvals_foureyesrequest_change", args=[request.pk])
    ).content.decode()
    assert "¥ 15,000.00" in waiting and "fiona" in waiting
    assert "Duplicate payment returned" in page and "¥ 15,000.00" in page

    said = act(client, reverse(LIST), "approve", [request.pk])

    assert any("approved and carried out" in m for m in said), said
    assert Account.objects.get(pk=account.pk).posted_minor == 1_500_000


def test_the_maker_is_told_they_cannot_approve_their_own(english, now):
    client = english
    _, account = make_shop(now=now)
    sam = in_role("supervisor", "sam")
    request = services.deposit_adjust(
        account_id=account.pk,
        amount_minor=1_500_000,
        reason="x",
        actor=sam,
        idempotency_key="a",
        now=now,
    )
    client.force_login(sam)

    said = act(client, reverse(LIST), "approve", [request.pk])
    mine = client.get(reverse(LIST), {"waiting_for_me": "yes"}).content.decode()

    assert any("different person" in m for m in said), said
    assert FourEyesRequest.objects.get().status == RequestStatus.PENDING
    assert "0 four-eyes requests" in mine or "0 results" in mine


def test_a_rejection_needs_a_reason_and_keeps_it(english, now):
    client = english
    _, account = make_shop(now=now)
    request = services.deposit_adjust(
        account_id=account.pk,
        amount_minor=1_500_000,
        reason="x",
        actor=in_role("finance"),
        idempotency_key="a",
        now=now,
    )
    client.force_login(in_role("supervisor"))

    act(client, reverse(LIST), "reject", [request.pk])
    assert FourEyesRequest.objects.get().status == RequestStatus.PENDING
    act(client, reverse(LIST), "reject", [request.pk], reason="Bank has not confirmed.")

    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert request.check_note == "Bank has not confirmed."
    assert Account.objects.get(pk=account.pk).posted_minor == 0


def test_a_large_forfeiture_from_the_account_screen_waits(english, now):
    client = english
    _, account = make_shop(now=now)
    fund(account, 2_000_000, now=now)
    client.force_login(in_role("finance"))

    said = act(
        client,
        reverse("admin:deposits_account_changelist"),
        "forfeit",
        [account.pk],
        reason="Counterfeits",
    )

    assert any("waiting for a second person" in m for m in said), said
    assert Account.objects.get(pk=account.pk).available_minor == 2_000_000
    assert FourEyesRequest.objects.get().action == "deposits.forfeit"


def test_a_requirement_rule_added_in_the_admin_waits_for_a_second_person(english, now):
    client = english
    client.force_login(in_role("supervisor"))
    url = reverse("admin:deposits_baserequirementrule_add")

    response = client.post(
        url,
        {
            "shop_type": "FLAGSHIP",
            "trademark_status": "REGISTERED",
            "amount_minor": "9000000",
            "currency": "CNY",
            "effective_from_0": "2030-01-01",
            "effective_from_1": "00:00:00",
            "note": "2030 tariff",
        },
        follow=True,
    )

    assert response.status_code == 200
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("waits for a second person" in m for m in said), said
    request = FourEyesRequest.objects.get()
    assert request.action == "deposits.requirement_rule" and request.reason == "2030 tariff"


def test_a_partner_key_with_money_scopes_is_issued_on_approval_and_shown_to_the_approver(
    english, now
):
    import hashlib
    import re

    from partners.models import ApiKey, Scope
    from partners.services import partner_get_or_create

    client = english
    partner = partner_get_or_create(name="Tmall")
    maker = make_user("mia", staff=True)  # issuing keys is a superuser's (no role has add_apikey)
    client.force_login(maker)

    response = client.post(
        reverse("admin:partners_apikey_add"),
        {"partner": partner.pk, "name": "prod", "scopes": [Scope.DEPOSITS_WRITE]},
        follow=True,
    )

    assert response.status_code == 200
    assert not ApiKey.objects.filter(partner=partner).exists()
    request = FourEyesRequest.objects.get(action="partners.money_key")

    client.force_login(in_role("supervisor", "sam"))
    said = act(client, reverse(LIST), "approve", [request.pk])

    key = ApiKey.objects.get(partner=partner)
    [raw] = re.findall(r"ddk_[0-9a-f]{8}_[A-Za-z0-9_-]+", " ".join(said))
    assert hashlib.sha256(raw.encode()).hexdigest() == key.key_hash
    assert key.scopes == [Scope.DEPOSITS_WRITE] and key.created_by == maker
    assert raw not in str(FourEyesRequest.objects.get().payload)


def test_a_request_past_its_expiry_reads_as_expired_to_an_auditor_without_being_written(
    english, now
):
    client = english
    _, account = make_shop(now=now)
    client.force_login(in_role("finance", "fiona"))
    act(
        client,
        reverse("admin:deposits_account_changelist"),
        "adjust",
        [account.pk],
        amount="15000",
        reason="Duplicate payment returned",
    )
    FourEyesRequest.objects.update(expires_at=now - timezone.timedelta(minutes=1))
    client.force_login(in_role("auditor", "audra"))

    listed = client.get(reverse(LIST))
    pending = client.get(reverse(LIST), {"status_now": "PENDING"})
    expired = client.get(reverse(LIST), {"status_now": "EXPIRED"})

    assert listed.status_code == 200
    assert "Expired" in listed.content.decode()
    assert pending.context["cl"].result_count == 0
    assert expired.context["cl"].result_count == 1
    # Reading is not deciding: the sweep (or an approval attempt) writes EXPIRED, not a page view.
    assert FourEyesRequest.objects.get().status == RequestStatus.PENDING
