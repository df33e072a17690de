"""The ops admin: every registered screen opens for a superuser, with data in it, and every model
of the project's own apps has a screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from deposits import services
from deposits.models import (
    Account,
    AdjustmentRequest,
    BaseRequirementRule,
    GmvRequirementSchedule,
    Hold,
    LedgerTransaction,
)
from partners.models import Partner
from partners.services import event_publish
from shops import services as shop_services
from shops.models import RestrictionKind, RestrictionSource
from tests.factories import fund, make_member, make_shop, make_user

PROJECT_APPS = ("common", "partners", "shops", "deposits", "insurance", "claims")
YUAN = 100


@pytest.fixture
def ops(client):  # type: ignore[no-untyped-def]
    user = make_user("ops-admin", staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def ledger_with_everything(ops, now):  # type: ignore[no-untyped-def]
    """At least one row behind every screen, made by the services ops and partners use."""
    partner = Partner.objects.create(name="Demo Marketplace", kind=Partner.Kind.MARKETPLACE)
    shop, account = make_shop(now=now, partner_id=partner.pk)
    make_member(shop)
    fund(account, 50_000 * YUAN, now=now)
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=150 * YUAN,
        currency="CNY",
        reason="延迟发货赔付",
        reference="ORDER-1",
        idempotency_key="admin-test-deduct",
        now=now,
    )
    services.hold_place(
        account_id=account.pk,
        amount_minor=1_000 * YUAN,
        currency="CNY",
        reason="假一赔四投诉",
        reference="CLAIM-1",
        expires_at=now + timedelta(days=10),
        idempotency_key="admin-test-hold",
        now=now,
    )
    services.deposit_adjust(
        account_id=account.pk,
        amount_minor=20_000 * YUAN,  # above the approval threshold: waits for a second person
        reason="补录线下缴款",
        actor=ops,
        idempotency_key="admin-test-adjust",
        now=now,
    )
    services.override_set(
        shop=shop, amount_minor=80_000 * YUAN, reason="高风险类目复核", actor=ops, now=now
    )
    GmvRequirementSchedule.objects.create(
        tiers=[{"min_gmv_minor": 0, "amount_minor": 0}], effective_from=now, created_by=ops
    )
    shop_services.restriction_add(
        shop=shop,
        kind=RestrictionKind.MARKETING,
        source=RestrictionSource.SHORTFALL,
        reason="保证金不足",
        now=now,
    )
    event_publish(partner_id=partner.pk, type="shop.restricted", data={"x": 1}, now=now)
    services.ledger_check_run(now=now)
    return shop, account


def _changelist_url(model) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.django_db
class TestAdminScreens:
    def test_every_registered_changelist_opens_and_searches(self, client, ledger_with_everything):
        failures = []

        for model, model_admin in admin.site._registry.items():
            url = _changelist_url(model)
            if model_admin.search_fields:
                url += "?q=x"
            response = client.get(url)
            if response.status_code != 200:
                failures.append((url, response.status_code))

        assert failures == []

    def test_the_deposit_accounts_list_shows_the_shop(self, client, ledger_with_everything):
        shop, account = ledger_with_everything

        response = client.get(_changelist_url(Account))

        assert response.status_code == 200
        assert response.context["cl"].result_count >= 1
        assert shop.name in response.content.decode()

    def test_the_deposit_account_change_page_opens(self, client, ledger_with_everything):
        _, account = ledger_with_everything

        response = client.get(reverse("admin:deposits_account_change", args=[account.pk]))

        assert response.status_code == 200
        content = response.content.decode()
        assert "延迟发货赔付" in content  # the ledger entries inline
        assert "假一赔四投诉" in content  # the holds inline

    def test_the_account_page_says_why_in_words_and_rules_list_money(
        self, client, ledger_with_everything
    ):
        _, account = ledger_with_everything

        page = client.get(
            reverse("admin:deposits_account_change", args=[account.pk]),
            headers={"Accept-Language": "en"},
        ).content.decode()
        rules = client.get(
            _changelist_url(BaseRequirementRule), headers={"Accept-Language": "en"}
        ).content.decode()

        assert "The platform set this amount for your shop: 高风险类目复核" in page
        assert "¥ 50,000.00" in rules and ">5000000<" not in rules

    def test_the_shop_change_page_opens(self, client, ledger_with_everything):
        shop, _ = ledger_with_everything

        response = client.get(reverse("admin:shops_shop_change", args=[shop.pk]))

        assert response.status_code == 200
        assert "保证金不足" in response.content.decode()  # the restrictions inline

    def test_ledger_hold_and_adjustment_screens_show_money_not_minor_units(
        self, client, ledger_with_everything
    ):
        _, account = ledger_with_everything
        deduction = LedgerTransaction.objects.get(idempotency_key="admin-test-deduct")

        transaction_page = client.get(
            reverse("admin:deposits_ledgertransaction_change", args=[deduction.pk])
        ).content.decode()
        holds = client.get(_changelist_url(Hold)).content.decode()
        adjustments = client.get(_changelist_url(AdjustmentRequest)).content.decode()
        adjustment_page = client.get(
            reverse(
                "admin:deposits_adjustmentrequest_change",
                args=[AdjustmentRequest.objects.get().pk],
            )
        ).content.decode()

        entry = deduction.entries.get(account=account)
        entry_page = client.get(
            reverse("admin:deposits_entry_change", args=[entry.pk])
        ).content.decode()

        assert "-¥ 150.00" in transaction_page and "¥ 49,850.00" in transaction_page
        assert transaction_page.count("¥ 150.00") >= 3  # requested, and both entries
        assert ">15000<" not in transaction_page
        assert "-¥ 150.00" in entry_page and "¥ 49,850.00" in entry_page
        assert ">-15000<" not in entry_page and "4985000" not in entry_page
        assert "-15000" not in transaction_page and "4985000" not in transaction_page
        assert "¥ 1,000.00" in holds and "100000" not in holds
        assert "¥ 20,000.00" in adjustments and "2000000" not in adjustments
        assert "¥ 20,000.00" in adjustment_page and "2000000" not in adjustment_page

    def test_a_merchant_login_cannot_open_the_admin(self, client, now):
        shop, _ = make_shop(now=now)
        client.force_login(make_member(shop))

        response = client.get(reverse("admin:index"))

        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


class TestAdminRegistration:
    def test_every_model_of_the_project_apps_has_an_admin_screen(self):
        models = [
            model for label in PROJECT_APPS for model in apps.get_app_config(label).get_models()
        ]

        missing = [m._meta.label for m in models if m not in admin.site._registry]

        assert models, "the project's apps define models"
        assert missing == []
