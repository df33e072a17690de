"""A ledger reason the product wrote itself reads in the reader's language on the merchant's
statement; a reason someone typed is shown as typed (deposits.domain.entry_reasons)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from deposits import services
from deposits.domain.entry_reasons import entry_reason_text
from deposits.models import LedgerTransaction, TransactionKind
from shops.models import MerchantUser
from tests.factories import make_member, make_shop

# (stored by the product, English, Chinese)
WORDINGS = [
    ("充值", "Top-up", "充值"),
    ("保证金提现", "Withdrawal of surplus", "提取超额保证金"),
    ("保证金退款", "Deposit refunded on exit", "退出时退还保证金"),
    ("提现失败 WD-20261201-7: account closed", "Withdrawal WD-20261201-7 failed: account closed",
     "提现 WD-20261201-7 失败：account closed"),
    ("撤销: posted twice", "Reversed: posted twice", "撤销：posted twice"),
    ("Claim TB-4410 (LATE_SHIPMENT)", "Claim TB-4410 (Late shipment)", "索赔 TB-4410（延迟发货）"),
    ("Claim TB-4410 (COUNTERFEIT) beyond its hold",
     "Claim TB-4410 (Counterfeit goods), beyond its hold",
     "索赔 TB-4410（假冒商品），超出冻结金额部分"),
    ("保费 insurance premium", "Insurance premium", "保费"),
    ("退保退费 premium refund on surrender", "Premium refunded on surrender", "退保退还保费"),
    ("policy PB-2026-0007 surrendered", "Policy PB-2026-0007 surrendered",
     "保单 PB-2026-0007 已退保"),
    ("Insurer's advance for claim TB-9 (policy PB-2026-0007)",
     "Insurer's advance for claim TB-9 (policy PB-2026-0007)",
     "保险公司为索赔 TB-9 垫付（保单 PB-2026-0007）"),
    ("Repayment of the advance for claim TB-9", "Repayment of the advance for claim TB-9",
     "偿还索赔 TB-9 的保险垫付"),
    ("撤销: advance for claim TB-9 reversed (appeal upheld)",
     "Reversed: advance for claim TB-9 reversed (appeal upheld)",
     "撤销：索赔 TB-9 的保险垫付已撤销（appeal upheld）"),
]  # fmt: skip


@pytest.mark.parametrize(("stored", "english", "chinese"), WORDINGS)
def test_the_products_own_wordings_read_in_the_active_language(stored, english, chinese):
    with translation.override("en"):
        assert entry_reason_text(stored) == english
    with translation.override("zh-hans"):
        assert entry_reason_text(stored) == chinese


@pytest.mark.parametrize(
    "typed",
    ["消费者赔付", "Consumer refund for order 77", "Claim without a code", "撤销", ""],
)
def test_a_typed_reason_is_shown_as_typed_in_either_language(typed):
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert entry_reason_text(typed) == typed


def test_a_claim_reason_code_the_claims_app_does_not_know_stays_a_code():
    with translation.override("en"):
        assert entry_reason_text("Claim TB-1 (NEW_REASON)") == "Claim TB-1 (NEW_REASON)"


@pytest.fixture
def reversed_deduction(client):  # type: ignore[no-untyped-def]
    """An owner signed in; their shop's deduction reversed by ops ("撤销: posted twice")."""
    at = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    shop, account = make_shop(now=at, merchant_email="owner@reasons.example")
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=100_000,
        currency="CNY",
        payment_ref=f"R-PAY-{uuid.uuid4()}",
        idempotency_key=f"r-top-up-{uuid.uuid4()}",
        now=at,
    )
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=5_000,
        currency="CNY",
        reason="消费者赔付",
        reference="ORDER-5",
        idempotency_key=f"r-deduct-{uuid.uuid4()}",
        now=at,
    )
    deduction = LedgerTransaction.objects.get(account=account, kind=TransactionKind.DEDUCTION)
    services.transaction_reverse(
        transaction_id=deduction.pk,
        reason="posted twice",
        actor=None,
        idempotency_key=f"r-reverse-{uuid.uuid4()}",
        now=at,
    )
    client.force_login(make_member(shop, role=MerchantUser.Role.OWNER))
    return shop


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [("en", "Reversed: posted twice", "撤销"), ("zh-hans", "撤销：posted twice", "Reversed")],
)
def test_the_statement_and_its_csv_say_a_reversal_in_the_readers_language(
    client, reversed_deduction, language, shown, not_shown
):
    shop = reversed_deduction
    client.cookies["django_language"] = language
    params = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    page = client.get(reverse("dashboard:statement", args=[shop.public_id]), params)
    assert page.status_code == 200
    assert shown in page.content.decode()
    response = client.get(reverse("dashboard:statement_csv", args=[shop.public_id]), params)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    reasons = [row[3] for row in rows[1:]]
    assert shown in reasons
    assert "消费者赔付" in reasons  # typed by the partner: as typed
    assert not any(r.startswith(not_shown) for r in reasons)
