"""Ops free text that reaches the merchant word for word (a ledger entry's reason on the
statement, a freeze's reason in the notice, a claim note on its timeline) says so next to the
field, and so does the message asking for a missing reason."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from deposits.models import LedgerTransaction
from shops.models import ShopRestriction
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.django_db

STATEMENT = "The merchant sees this reason on their statement."
NOTICE = "The merchant reads this reason word for word in their notice and e-mail."
TIMELINE = "The merchant reads this note on the claim&#x27;s timeline, as typed."


@pytest.fixture
def ops_client(client):
    client.force_login(make_user("ops-words", staff=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def action_bar(client, changelist: str) -> str:
    html = client.get(changelist).content.decode()
    start = html.index('id="changelist-actions"')
    return html[start : html.index("</select>", start) + 2000]


@pytest.mark.parametrize(
    ("changelist", "said"),
    [
        ("/admin/deposits/account/", STATEMENT),
        ("/admin/deposits/ledgertransaction/", STATEMENT),
        ("/admin/deposits/withdrawal/", STATEMENT),
        ("/admin/shops/shop/", NOTICE),
        ("/admin/claims/claim/", TIMELINE),
    ],
)
def test_the_action_bar_says_who_reads_the_reason(ops_client, changelist, said):
    make_shop(now=timezone.now())

    assert said in action_bar(ops_client, changelist)


def test_ops_only_reasons_do_not_claim_the_merchant_reads_them(ops_client):
    bar = action_bar(ops_client, "/admin/deposits/adjustmentrequest/")

    assert STATEMENT not in bar and "Reason" in bar


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_an_adjustment_without_a_reason_asks_for_one_the_merchant_will_read(ops_client):
    _, account = make_shop(now=timezone.now())

    response = ops_client.post(
        "/admin/deposits/account/",
        {"action": "adjust", "_selected_action": [account.pk], "amount": "10"},
        follow=True,
    )

    assert messages_of(response) == [
        "Nothing was done: select the accounts again, type a reason in the action bar and run "
        f"the action again. {STATEMENT}"
    ]
    assert not LedgerTransaction.objects.filter(account=account).exists()


def test_a_freeze_without_a_reason_says_the_notice_quotes_it(ops_client):
    shop, _ = make_shop(now=timezone.now())

    response = ops_client.post(
        "/admin/shops/shop/", {"action": "freeze", "_selected_action": [shop.pk]}, follow=True
    )

    assert any(NOTICE in m for m in messages_of(response))
    assert not ShopRestriction.objects.filter(shop=shop).exists()
