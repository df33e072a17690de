"""A withdrawal the merchant can trace: its reference, its payout status (requested, sent,
paid, or failed with the reason and the money back in the deposit) and the account it goes to.

Persona: the owner of a live flagship shop with ¥ 12,000.00 above its ¥ 50,000.00 requirement,
whose payout account (招商银行, ending in 6789) is bound.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from common.errors import InvalidInput, InvalidTransition, WouldCauseShortfall
from deposits import services
from deposits.models import Account, LedgerTransaction, Withdrawal
from tests.factories import fund, make_member, make_shop
from tests.pages import page_html

pytestmark = pytest.mark.django_db

YUAN = 100
SURPLUS = 12_000 * YUAN


@pytest.fixture
def rich_shop(now):  # type: ignore[no-untyped-def]
    shop, account = make_shop(now=now - timedelta(days=30))
    fund(account, account.required_minor + SURPLUS, now=now - timedelta(days=30))
    services.payout_account_bind(
        shop_id=shop.pk, account_tail="6789", bank_name="招商银行", now=now - timedelta(days=30)
    )
    return shop, account


def withdraw(account: Account, amount_minor: int, key: str, now):  # type: ignore[no-untyped-def]
    return services.deposit_withdraw(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency="CNY",
        idempotency_key=key,
        now=now,
    )


class TestTheReference:
    def test_a_withdrawal_gets_a_short_unique_reference_and_the_bound_accounts_tail(
        self, rich_shop, now
    ):
        shop, account = rich_shop

        first = withdraw(account, 1_000 * YUAN, "w-1", now)
        second = withdraw(account, 2_000 * YUAN, "w-2", now)

        a, b = first.transaction.withdrawal, second.transaction.withdrawal
        assert re.fullmatch(r"WD-2026-\d{6}", a.reference) and a.reference != b.reference
        assert a.reference == f"WD-2026-{first.transaction.pk:06d}"
        assert (a.status, a.bank_account_tail, a.amount_minor) == ("REQUESTED", "6789", 100_000)

    def test_a_replay_finds_the_same_withdrawal(self, rich_shop, now):
        shop, account = rich_shop

        first = withdraw(account, 1_000 * YUAN, "w-1", now)
        again = withdraw(account, 1_000 * YUAN, "w-1", now)

        assert again.replayed
        assert Withdrawal.objects.count() == 1
        assert again.transaction.withdrawal.reference == first.transaction.withdrawal.reference

    def test_a_refused_withdrawal_has_no_payout_and_its_key_stays_refused(self, rich_shop, now):
        shop, account = rich_shop

        with pytest.raises(WouldCauseShortfall):
            withdraw(account, SURPLUS + 1, "w-too-much", now)
        with pytest.raises(WouldCauseShortfall):
            withdraw(account, SURPLUS + 1, "w-too-much", now)

        assert not Withdrawal.objects.exists()
        refused = LedgerTransaction.objects.get(idempotency_key="w-too-much")
        assert (refused.status, refused.error_code) == ("FAILED", "would_cause_shortfall")

    def test_without_a_bound_account_the_tail_is_left_empty(self, now):
        shop, account = make_shop(now=now)
        fund(account, account.required_minor + 100, now=now)

        result = withdraw(account, 100, "w-unbound", now)

        assert result.transaction.withdrawal.bank_account_tail == ""

    def test_an_account_tail_is_four_digits(self, rich_shop, now):
        shop, _ = rich_shop
        with pytest.raises(InvalidInput) as refused:
            services.payout_account_bind(shop_id=shop.pk, account_tail="62220", now=now)
        assert "account_tail" in refused.value.fields


class TestThePayout:
    def test_sent_then_paid(self, rich_shop, now):
        shop, account = rich_shop
        ref = withdraw(account, 1_000 * YUAN, "w-1", now).transaction.withdrawal.reference

        sent = services.withdrawal_payout_sent(
            reference=ref, provider_ref="PO-1", now=now + timedelta(hours=1)
        )
        again = services.withdrawal_payout_sent(reference=ref, now=now + timedelta(hours=2))
        paid = services.withdrawal_payout_paid(reference=ref, now=now + timedelta(days=1))

        assert (sent.status, sent.provider_ref, sent.sent_at) == (
            "SENT",
            "PO-1",
            now + timedelta(hours=1),
        )
        assert again.sent_at == now + timedelta(hours=1)  # a repeated report changes nothing
        assert (paid.status, paid.paid_at) == ("PAID", now + timedelta(days=1))
        with pytest.raises(InvalidTransition):
            services.withdrawal_payout_failed(reference=ref, reason="late", now=now)

    def test_a_failed_payout_keeps_its_reason_and_puts_the_money_back(self, rich_shop, now):
        shop, account = rich_shop
        account.refresh_from_db()
        before = account.posted_minor
        ref = withdraw(account, 1_000 * YUAN, "w-1", now).transaction.withdrawal.reference
        services.withdrawal_payout_sent(reference=ref, now=now)

        failed = services.withdrawal_payout_failed(
            reference=ref, reason="收款账户已销户 (account closed)", now=now + timedelta(hours=3)
        )
        twice = services.withdrawal_payout_failed(reference=ref, reason="again", now=now)

        account.refresh_from_db()
        assert account.posted_minor == before
        assert (failed.status, failed.failure_reason) == (
            "FAILED",
            "收款账户已销户 (account closed)",
        )
        assert failed.reversal.kind == "REVERSAL"
        assert failed.reversal.reverses_id == failed.transaction_id
        assert twice.reversal_id == failed.reversal_id  # reversed once
        assert services.ledger_check_run(record=False).ok
        with pytest.raises(InvalidTransition):
            services.withdrawal_payout_paid(reference=ref, now=now)

    def test_a_failure_needs_a_reason(self, rich_shop, now):
        shop, account = rich_shop
        ref = withdraw(account, 100, "w-1", now).transaction.withdrawal.reference
        with pytest.raises(InvalidInput):
            services.withdrawal_payout_failed(reference=ref, reason=" ", now=now)
        assert Withdrawal.objects.get(reference=ref).status == "REQUESTED"


def client_for(user, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


class TestOnTheDashboard:
    def test_the_confirmation_names_the_reference_and_the_account(self, rich_shop):
        shop, account = rich_shop
        client = client_for(make_member(shop))
        url = reverse("dashboard:withdraw", args=[shop.public_id])
        form = page_html(client.get(url))
        key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', form)[1]

        response = client.post(url, {"amount": "1000.00", "idempotency_key": key}, follow=True)

        page = page_html(response)
        withdrawal = Withdrawal.objects.get()
        assert "account ending in 6789" in form and "招商银行" in form
        assert (
            f"Withdrawal of ¥ 1,000.00 requested, reference {withdrawal.reference}: the payment "
            "provider pays it to your bound account ending in 6789."
        ) in page

    def test_the_shop_page_lists_withdrawals_with_status_reason_and_account(self, rich_shop, now):
        shop, account = rich_shop
        paid = withdraw(account, 1_000 * YUAN, "w-1", now).transaction.withdrawal
        failed = withdraw(account, 500 * YUAN, "w-2", now).transaction.withdrawal
        services.withdrawal_payout_paid(reference=paid.reference, now=now)
        services.withdrawal_payout_failed(
            reference=failed.reference, reason="account closed", now=now
        )

        html = (
            client_for(make_member(shop))
            .get(reverse("dashboard:shop_detail", args=[shop.public_id]))
            .content.decode()
        )

        payouts = html[html.index('id="withdrawals"') :].split("</section>")[0]
        assert paid.reference in payouts and failed.reference in payouts
        assert "Paid" in payouts and "Failed: account closed" in payouts
        assert "account ending in 6789" in payouts
        ledger = html[html.index('class="card flush ledger"') :]
        assert paid.reference in ledger and failed.reference in ledger

    def test_in_chinese(self, rich_shop, now):
        shop, account = rich_shop
        withdraw(account, 1_000 * YUAN, "w-1", now)

        html = (
            client_for(make_member(shop), "zh-hans")
            .get(reverse("dashboard:shop_detail", args=[shop.public_id]))
            .content.decode()
        )

        assert "尾号 6789 的账户" in html and "已申请" in html

    def test_staff_without_the_deposit_permission_see_no_withdrawals(self, rich_shop, now):
        shop, account = rich_shop
        withdraw(account, 1_000 * YUAN, "w-1", now)

        html = (
            client_for(make_member(shop, role="VIEWER"))
            .get(reverse("dashboard:shop_detail", args=[shop.public_id]))
            .content.decode()
        )

        assert 'id="withdrawals"' not in html and "WD-" not in html
