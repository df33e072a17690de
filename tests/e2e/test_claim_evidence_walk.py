"""A claim's evidence in a real browser, in Chinese and in English: the consumer's file listed,
the merchant uploads a waybill with a note, a renamed executable is refused naming the field.
Screenshots go to var/screenshots/ for people to look at."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from claims import services as claim_services
from claims.models import ClaimEvidence, Party
from deposits import services
from partners.services import partner_get_or_create
from shops.models import MerchantUser
from tests.claims.evidence_files import EXE, PDF, PNG, evidence_dir, upload
from tests.e2e.conftest import pass_two_factor

__all__ = ["evidence_dir"]
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OWNER = ("lanting", "lanting-Passw0rd-2026")


@pytest.fixture
def claim():  # type: ignore[no-untyped-def]
    now = timezone.now()
    partner = partner_get_or_create(name="Tmall")
    shop, account = services.shop_register(
        merchant_email="owner@lanting.example",
        merchant_name="苏州兰亭服饰有限公司",
        name="兰亭服饰旗舰店",
        shop_type="FLAGSHIP",
        trademark_status="REGISTERED",
        category_codes=["apparel"],
        external_ref="lt-flagship",
        partner_id=partner.pk,
        now=now,
    )
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=5_300_000,
        currency="CNY",
        payment_ref="lt-pay-1",
        idempotency_key="lt-pay-1",
        now=now,
    )
    user = get_user_model().objects.create_user(OWNER[0], "owner@lanting.example", OWNER[1])
    MerchantUser.objects.create(user=user, merchant=shop.merchant, role="OWNER")
    claim, _ = claim_services.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref="TM-CLAIM-0412",
        reason="LATE_SHIPMENT",
        order_ref="TB-20261130-0412",
        order_paid_minor=25_900,
        currency="CNY",
        order_paid_at=now - timezone.timedelta(days=3),
        order_shipped_at=None,
        consumer_ref="buyer-8812",
        description="Not shipped 48 hours after payment.",
        now=now,
    )
    claim_services.claim_escalate(claim=claim, now=now)
    claim_services.evidence_add(
        claim=claim,
        party=Party.CONSUMER,
        upload=upload(PNG, "chat-screenshot.png"),
        note="The seller promised shipment within 24 hours.",
        now=now,
        actor_label="Tmall",
    )
    return claim


def _log_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", OWNER[0])
    page.fill("#id_password", OWNER[1])
    page.click(".auth-card form button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("en-US", "en")])
def test_the_merchant_adds_evidence_and_a_bad_file_is_refused(
    live_server, new_page, screenshot, claim, tmp_path, locale, lang
):
    page = new_page(locale=locale)
    _log_in(page, live_server.url)
    if lang == "en":
        page.context.add_cookies(
            [{"name": "django_language", "value": "en", "url": live_server.url}]
        )
    page.goto(f"{live_server.url}/claims/{claim.public_id}/evidence/")
    assert "chat-screenshot.png" in page.inner_text(".evidence-panel")

    bad = tmp_path / "waybill.pdf"
    bad.write_bytes(EXE)
    page.set_input_files("#id_file", str(bad))
    page.click(".evidence-upload button[type=submit]")
    page.wait_for_load_state()
    error = page.inner_text(".evidence-upload .form-error")
    assert ("文件：" if lang == "zh" else "File: ") in error
    screenshot(page, f"claim-evidence-refused-{lang}")

    good = tmp_path / "waybill-scan.pdf"
    good.write_bytes(PDF)
    page.set_input_files("#id_file", str(good))
    page.fill(
        "#id_note",
        "顺丰运单，付款次日已揽收。" if lang == "zh" else "Courier picked up a day after payment.",
    )
    page.click(".evidence-upload button[type=submit]")
    page.wait_for_load_state()

    assert "waybill-scan.pdf" in page.inner_text(".evidence-panel")
    assert ClaimEvidence.objects.filter(party=Party.MERCHANT).count() == 1
    screenshot(page, f"claim-evidence-{lang}")


def test_ops_preview_evidence_and_mark_the_complaint_malicious(
    live_server, new_page, screenshot, claim
):
    get_user_model().objects.create_superuser("ops-li", "li@ops.example", "ops-Passw0rd-2026")
    claim_services.evidence_add(
        claim=claim,
        party=Party.MERCHANT,
        upload=upload(PDF, "waybill.pdf"),
        note="Picked up a day after payment.",
        now=timezone.now(),
        actor_label="lanting",
    )
    page = new_page(locale="en-US")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ops-li")
    page.fill("#id_password", "ops-Passw0rd-2026")
    page.press("#id_password", "Enter")
    page.wait_for_load_state()
    pass_two_factor(page, live_server.url, "ops-li")

    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    assert page.locator("img[src*='preview=1']").count() == 1
    assert page.evaluate("document.querySelector(\"img[src*='preview=1']\").naturalWidth") == 48
    screenshot(page, "admin-claim-evidence")

    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/mark-malicious/")
    page.fill("#id_reason", "The same chat screenshot in 12 claims against 5 shops.")
    screenshot(page, "admin-claim-mark-malicious")
    page.click("#claim-ops-form button[type=submit]")
    page.wait_for_load_state()

    claim.refresh_from_db()
    assert claim.outcome == "REJECTED"
    page.goto(f"{live_server.url}/admin/claims/consumerflag/?state=active")
    assert "buyer-8812" in page.content()
    screenshot(page, "admin-blacklist")
