"""A shop's profile decides its requirement: its currency is fixed once its deposit account exists,
and a change of type, trademark status or categories is recomputed at once, by the requirement
service, with the acting user and a reason in the audit (RuleChange)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from common.errors import InvalidInput
from deposits import services
from deposits.models import RuleChange
from deposits.services.onboarding import shop_profile_change
from shops.models import Shop
from tests.factories import fund, make_shop, make_user

pytestmark = pytest.mark.django_db
YUAN = 100


@pytest.fixture
def ops_client(client):  # type: ignore[no-untyped-def]
    ops = make_user("ops-admin", staff=True)
    client.force_login(ops)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.ops = ops
    return client


def shop_form(client, shop: Shop) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The shop's change form as the page shows it, ready to post back (inlines included)."""
    page = client.get(reverse("admin:shops_shop_change", args=[shop.pk]))
    form = page.context["adminform"].form
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = field.prepare_value(value) if name != "categories" else value
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


def post_shop(client, shop: Shop, **changes: object):  # type: ignore[no-untyped-def]
    data = {**shop_form(client, shop), **changes}
    return client.post(reverse("admin:shops_shop_change", args=[shop.pk]), data)


class TestShopAdmin:
    def test_currency_cannot_change_once_money_has_moved(self, ops_client):
        now = timezone.now()
        shop, account = make_shop(now=now)
        fund(account, 50_000 * YUAN, now=now)

        post_shop(ops_client, shop, currency="USD", reason="Merchant asked")
        services.requirements_recompute(now=timezone.now(), shop_ids=[shop.pk])

        shop.refresh_from_db()
        account.refresh_from_db()
        assert shop.currency == "CNY"
        assert account.required_minor == 50_000 * YUAN
        assert account.coverage.withdrawable_minor == 0

    def test_the_currency_is_shown_but_not_editable_once_the_account_exists(self, ops_client):
        shop, _ = make_shop(now=timezone.now())

        page = ops_client.get(reverse("admin:shops_shop_change", args=[shop.pk]))

        assert "currency" not in page.context["adminform"].form.fields
        assert "CNY" in page.content.decode()

    def test_a_change_that_lowers_the_requirement_is_refused_without_a_reason(self, ops_client):
        now = timezone.now()
        shop, account = make_shop(now=now, shop_type="FRANCHISE")
        fund(account, 100_000 * YUAN, now=now)

        response = post_shop(ops_client, shop, shop_type="FLAGSHIP")

        assert response.status_code == 200  # the form again, with the reason asked for
        shop.refresh_from_db()
        account.refresh_from_db()
        assert shop.shop_type == "FRANCHISE"
        assert account.required_minor == 100_000 * YUAN
        assert not RuleChange.objects.exists()

    def test_a_profile_change_is_recomputed_at_once_and_audited_with_the_reason(self, ops_client):
        now = timezone.now()
        shop, account = make_shop(now=now, shop_type="FRANCHISE")
        fund(account, 100_000 * YUAN, now=now)

        response = post_shop(
            ops_client, shop, shop_type="FLAGSHIP", reason="Brand authorisation received"
        )

        assert response.status_code == 302, response.content.decode()[:3000]
        shop.refresh_from_db()
        account.refresh_from_db()
        assert shop.shop_type == "FLAGSHIP"
        assert account.required_minor == 50_000 * YUAN
        audit = RuleChange.objects.get()
        assert audit.actor == ops_client.ops
        assert "Brand authorisation received" in audit.description
        assert "FRANCHISE → FLAGSHIP" in audit.description
        assert audit.shops_changed == 1

    def test_a_name_change_needs_no_reason_and_leaves_the_requirement(self, ops_client):
        shop, account = make_shop(now=timezone.now())

        response = post_shop(ops_client, shop, name="New name")

        assert response.status_code == 302
        shop.refresh_from_db()
        assert shop.name == "New name"
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert not any("recomputed" in m for m in messages)


class TestShopProfileChange:
    def test_refuses_a_new_currency_naming_the_field(self, now):
        shop, _ = make_shop(now=now)

        with pytest.raises(InvalidInput) as refused:
            shop_profile_change(
                shop_id=shop.pk,
                actor=make_user(staff=True),
                reason="Merchant asked",
                now=now,
                currency="USD",
            )

        assert "fixed once money has moved" in refused.value.fields["currency"][0]
        shop.refresh_from_db()
        assert shop.currency == "CNY"

    def test_refuses_an_unknown_category_and_keeps_the_requirement(self, now):
        shop, account = make_shop(now=now, currency="CNY")

        with pytest.raises(InvalidInput) as refused:
            shop_profile_change(
                shop_id=shop.pk,
                actor=make_user(staff=True),
                reason="Reclassified",
                now=now,
                category_codes=["no-such-category"],
            )

        assert "categories" in refused.value.fields
        account.refresh_from_db()
        assert account.required_minor == 50_000 * YUAN


@pytest.mark.postgres(reason="the ledger's triggers (the shop currency trigger)")
class TestShopCurrencyInTheDatabase:
    def test_an_update_of_the_currency_is_refused_once_the_account_exists(self, now):
        shop, _ = make_shop(now=now)

        with pytest.raises(DatabaseError, match="currency: fixed once money has moved"):
            with transaction.atomic():
                Shop.objects.filter(pk=shop.pk).update(currency="USD")

        shop.refresh_from_db()
        assert shop.currency == "CNY"
