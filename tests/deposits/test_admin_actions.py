"""Ops follow and move a shop's money in the admin; every action goes through a service with
the acting user and a reason, and a refusal is a message, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from deposits import services
from deposits.models import Account, AdjustmentRequest, LedgerTransaction
from tests.factories import fund, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(client):
    ops = make_user("ops-admin", staff=True)
    client.force_login(ops)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the texts asserted below are English
    client.ops = ops
    return client


def run_action(client, model: str, action: str, ids: list[int], **extra: str):
    url = reverse(f"admin:deposits_{model}_changelist")
    data = {"action": action, "_selected_action": [str(i) for i in ids], **extra}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


class TestAccountActions:
    def test_an_adjustment_posts_with_the_ops_user_and_reason(self, ops_client):
        _, account = make_shop(now=timezone.now())

        messages = run_action(
            ops_client,
            "account",
            "adjust",
            [account.pk],
            amount="120.50",
            reason="Bank fee refunded",
        )

        account.refresh_from_db()
        assert account.posted_minor == 12_050
        tx = LedgerTransaction.objects.get(account=account, kind="ADJUSTMENT")
        assert (tx.actor, tx.reason) == (ops_client.ops, "Bank fee refunded")
        assert any("adjusted" in m for m in messages)

    def test_an_action_without_a_reason_changes_nothing_and_says_why(self, ops_client):
        _, account = make_shop(now=timezone.now())

        messages = run_action(ops_client, "account", "adjust", [account.pk], amount="10")

        assert any("reason" in m.lower() for m in messages)
        assert not LedgerTransaction.objects.filter(account=account).exists()

    def test_a_malformed_amount_is_a_message_not_an_error_page(self, ops_client):
        _, account = make_shop(now=timezone.now())

        messages = run_action(
            ops_client, "account", "adjust", [account.pk], amount="12.345", reason="typo"
        )

        assert any("decimal places" in m for m in messages)

    def test_a_large_adjustment_waits_for_another_person(self, ops_client, settings):
        settings.FOUR_EYES_THRESHOLDS_MINOR = {
            **settings.FOUR_EYES_THRESHOLDS_MINOR,
            "deposits.adjustment": 1_000,
        }
        _, account = make_shop(now=timezone.now())

        run_action(ops_client, "account", "adjust", [account.pk], amount="500", reason="migration")
        request = AdjustmentRequest.objects.get()
        own = run_action(ops_client, "adjustmentrequest", "approve", [request.pk])

        assert any("different person" in m for m in own)
        other = make_user("second-ops", staff=True)
        ops_client.force_login(other)
        run_action(ops_client, "adjustmentrequest", "approve", [request.pk])
        account.refresh_from_db()
        assert account.posted_minor == 50_000

    def test_a_large_debit_the_deposit_cannot_cover_is_refused_with_a_message(
        self, ops_client, settings
    ):
        settings.FOUR_EYES_THRESHOLDS_MINOR = {
            **settings.FOUR_EYES_THRESHOLDS_MINOR,
            "deposits.adjustment": 1_000,
        }
        _, account = make_shop(now=timezone.now())
        fund(account, 100_00, now=timezone.now())

        messages = run_action(
            ops_client, "account", "adjust", [account.pk], amount="-500", reason="fee"
        )

        # Money as the admin writes it elsewhere (¥ 100.00), not "100.00 CNY".
        assert any("exceeds the available deposit (¥ 100.00)" in m for m in messages), messages
        assert not AdjustmentRequest.objects.exists()

    def test_the_refusal_is_in_chinese_for_an_admin_reading_chinese(self, ops_client, settings):
        settings.FOUR_EYES_THRESHOLDS_MINOR = {
            **settings.FOUR_EYES_THRESHOLDS_MINOR,
            "deposits.adjustment": 1_000,
        }
        _, account = make_shop(now=timezone.now())
        fund(account, 100_00, now=timezone.now())
        ops_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

        messages = run_action(
            ops_client, "account", "adjust", [account.pk], amount="-500", reason="fee"
        )

        assert any("调整金额超过可用保证金（¥ 100.00）" in m for m in messages), messages

    def test_forfeiture_and_refund_follow_the_rules(self, ops_client):
        now = timezone.now()
        shop, account = make_shop(now=now)
        fund(account, 5_000, now=now)

        refused = run_action(ops_client, "account", "refund_on_exit", [account.pk])
        run_action(ops_client, "account", "forfeit", [account.pk], reason="Counterfeit clearance")

        assert any("closed shop" in m for m in refused)
        account.refresh_from_db()
        assert account.posted_minor == 0

    def test_a_forfeiture_with_an_amount_typed_is_refused_and_takes_nothing(self, ops_client):
        _, account = make_shop(now=timezone.now())
        fund(account, 4_730_00, now=timezone.now())

        messages = run_action(
            ops_client, "account", "forfeit", [account.pk], amount="100.00", reason="Counterfeit"
        )

        assert any("leave Amount empty" in m for m in messages), messages
        account.refresh_from_db()
        assert account.posted_minor == 4_730_00
        assert not LedgerTransaction.objects.filter(account=account, kind="FORFEIT").exists()

    def test_a_forfeiture_records_the_amount_it_took(self, ops_client):
        _, account = make_shop(now=timezone.now())
        fund(account, 4_730_00, now=timezone.now())

        run_action(ops_client, "account", "forfeit", [account.pk], reason="Counterfeit")

        tx = LedgerTransaction.objects.get(account=account, kind="FORFEIT")
        assert tx.amount_minor == 4_730_00
        account.refresh_from_db()
        assert account.posted_minor == 0

    def test_a_refused_refund_can_be_clicked_again_once_its_reason_is_gone(self, ops_client):
        past = timezone.now() - timedelta(days=90)
        shop, account = make_shop(now=past)
        fund(account, 5_000, now=past)
        hold = services.hold_place(
            account_id=account.pk,
            amount_minor=1_000,
            currency="CNY",
            reason="Claim C-1",
            reference="C-1",
            expires_at=timezone.now() + timedelta(days=3),
            idempotency_key="hold-c-1",
            now=past,
        )
        services.shop_exit_confirm(shop=shop, now=past)

        refused = run_action(ops_client, "account", "refund_on_exit", [account.pk])
        services.hold_release(hold_id=hold.pk, idempotency_key="release-c-1", now=timezone.now())
        refunded = run_action(ops_client, "account", "refund_on_exit", [account.pk])

        assert any("Holds for open claims" in m for m in refused)
        assert any("refunded" in m for m in refunded)
        account.refresh_from_db()
        assert account.posted_minor == 0

    def test_a_system_account_is_not_adjusted_and_ops_are_told_why(self, ops_client):
        _, account = make_shop(now=timezone.now())
        fund(account, 1_000, now=timezone.now())  # creates the CNY system accounts
        system = Account.objects.get(kind="SYSTEM", system_code="ADJUSTMENTS", currency="CNY")
        before = LedgerTransaction.objects.count()

        messages = run_action(
            ops_client, "account", "adjust", [system.pk], amount="10", reason="Wrong row"
        )

        assert any("No such deposit account" in m for m in messages), messages
        assert LedgerTransaction.objects.count() == before


class TestLedgerScreens:
    def test_an_ops_user_can_follow_one_shops_money_from_top_up_to_refund(self, ops_client):
        now = timezone.now() - timedelta(days=90)
        shop, account = make_shop(now=now)
        fund(account, 50_000_00, now=now)
        services.deposit_deduct(
            account_id=account.pk,
            amount_minor=150_00,
            currency="CNY",
            reason="延迟发货赔付",
            reference="ORDER-42",
            idempotency_key="adm-d",
            now=now,
        )
        services.shop_exit_confirm(shop=shop, now=now)
        services.deposit_refund_on_exit(
            account_id=account.pk, idempotency_key="adm-r", now=timezone.now()
        )

        page = ops_client.get(reverse("admin:deposits_account_change", args=[account.pk]))
        entries = ops_client.get(reverse("admin:deposits_entry_changelist") + "?q=ORDER-42")

        body = page.content.decode()
        for text in ("Top-up", "Deduction", "Refund on exit", "ORDER-42", "-¥ 150.00"):
            assert text in body
        assert entries.status_code == 200 and "ORDER-42" in entries.content.decode()

    def test_entries_cannot_be_added_changed_or_deleted_in_the_admin(self, ops_client):
        _, account = make_shop(now=timezone.now())
        fund(account, 100, now=timezone.now())
        entry_id = account.entries.get().pk

        add = ops_client.get(reverse("admin:deposits_entry_add"))
        delete = ops_client.post(
            reverse("admin:deposits_entry_delete", args=[entry_id]), {"post": "yes"}
        )

        assert add.status_code == 403
        assert delete.status_code == 403
        assert account.entries.count() == 1


class TestAdminShowsMoneyReadably:
    def test_system_accounts_show_the_sum_of_their_entries(self, ops_client):
        _, account = make_shop(now=timezone.now())
        fund(account, 12_345, now=timezone.now())

        page = ops_client.get(reverse("admin:deposits_account_changelist") + "?kind__exact=SYSTEM")

        assert "-¥ 123.45" in page.content.decode()  # payments clearing

    def test_the_shop_page_links_to_its_deposit_and_entries_read_in_currency(self, ops_client):
        shop, account = make_shop(now=timezone.now())
        fund(account, 12_345, now=timezone.now())

        shop_page = ops_client.get(reverse("admin:shops_shop_change", args=[shop.pk]))
        entries = ops_client.get(reverse("admin:deposits_entry_changelist"))

        assert reverse("admin:deposits_account_change", args=[account.pk]) in (
            shop_page.content.decode()
        )
        assert "¥ 123.45" in entries.content.decode()
