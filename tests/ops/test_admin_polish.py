"""The admin reads as words, not internal names: the apps in the sidebar, the four-eyes list's
number column, the queue's count, a claim's title and timeline; a reason forgotten says to select
the rows again; shops and merchants their ledgers protect offer no delete."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.utils import translation

from approvals.models import FourEyesRequest
from claims.models import ClaimEvent
from partners.services import partner_get_or_create
from shops.models import ShopRestriction
from tests.claims.ops_helpers import funded_shop, in_review, ops
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(client):
    client.force_login(make_user("ops-polish", staff=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_a_freeze_without_a_reason_says_to_select_the_shops_again(ops_client, now):
    shop, _ = make_shop(now=now)

    response = ops_client.post(
        "/admin/shops/shop/", {"action": "freeze", "_selected_action": [shop.pk]}, follow=True
    )

    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Nothing was done: select the shops again, type a reason")
    assert not ShopRestriction.objects.filter(shop=shop).exists()


class TestSidebar:
    RAW = ["Otp_Static", "Otp_Totp", "Axes", "Celery Results"]
    NAMED = {
        "otp_static": "Two-factor sign-in: backup codes",
        "otp_totp": "Two-factor sign-in: authenticator apps",
        "axes": "Sign-in attempts and lockouts",
        "django_celery_results": "Background task results",
    }

    def test_third_party_apps_are_named_for_people(self, ops_client):
        html = ops_client.get("/admin/shops/shop/").content.decode()

        for raw in self.RAW:
            assert f">{raw}<" not in html and f"> {raw} <" not in html.replace("\n", " ")
        for label, name in self.NAMED.items():
            assert name in html
            # the same app (label, tables, permissions), only named
            assert str(apps.get_app_config(label).verbose_name) == name

    def test_the_names_are_translatable(self):
        # gettext_lazy, so the zh-hans catalogue names them once compiled
        config = apps.get_app_config("axes")
        assert type(config.verbose_name).__name__ == "__proxy__"
        with translation.override("zh-hans"):
            assert str(config.verbose_name)


def test_the_four_eyes_list_names_its_number_column(ops_client, settings, now):
    settings.FOUR_EYES_THRESHOLDS_MINOR = {
        **settings.FOUR_EYES_THRESHOLDS_MINOR,
        "deposits.adjustment": 1_000,
    }
    _, account = make_shop(now=now)
    ops_client.post(
        "/admin/deposits/account/",
        {"action": "adjust", "_selected_action": [account.pk], "amount": "500", "reason": "x"},
    )
    assert FourEyesRequest.objects.count() == 1

    html = ops_client.get("/admin/approvals/foureyesrequest/").content.decode()

    assert "column-pk" not in html and ">Pk<" not in html
    assert re.search(r"column-number[^>]*>.*?No\.", html, re.S)


class TestClaims:
    @pytest.fixture
    def claim(self, now):
        partner = partner_get_or_create(name="Tmall")
        shop = funded_shop(partner, now)
        in_review(partner, shop, at=now, external_ref="C-OTHER")
        return in_review(partner, shop, at=now, external_ref="C-POLISH")

    def test_the_queue_counts_claims_waiting_on_ops(self, client, claim):
        client.force_login(ops())

        html = client.get("/admin/claims/queuedclaim/", HTTP_ACCEPT_LANGUAGE="en").content
        text = re.sub(r"\s+", " ", html.decode())

        assert "2 claims waiting on ops" in text and "claims queue" not in text

    def test_the_claim_page_reads_labels_not_codes(self, client, claim, now):
        ClaimEvent.objects.create(
            claim=claim, at=now, actor="MERCHANT", action="evidence added:MERCHANT"
        )
        client.force_login(ops())

        html = client.get(
            f"/admin/claims/claim/{claim.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()

        assert "C-POLISH (Late shipment, In review)" in html
        assert "LATE_SHIPMENT, IN_REVIEW" not in html
        assert "Evidence added by the merchant" in html
        assert "evidence added:MERCHANT" not in html


class TestNoDeleteWhereTheLedgerProtects:
    def test_shops_and_merchants_offer_no_bulk_delete(self, ops_client, now):
        make_shop(now=now)

        for changelist in ("/admin/shops/shop/", "/admin/shops/merchant/"):
            html = ops_client.get(changelist).content.decode()
            assert 'value="delete_selected"' not in html, changelist

    def test_a_shop_with_a_ledger_has_no_delete_button(self, ops_client, now):
        shop, _ = make_shop(now=now)

        html = ops_client.get(f"/admin/shops/shop/{shop.pk}/change/").content.decode()
        merchant_html = ops_client.get(
            f"/admin/shops/merchant/{shop.merchant_id}/change/"
        ).content.decode()

        assert f"/admin/shops/shop/{shop.pk}/delete/" not in html
        assert f"/admin/shops/merchant/{shop.merchant_id}/delete/" not in merchant_html
        assert ops_client.get(f"/admin/shops/shop/{shop.pk}/delete/").status_code == 403
