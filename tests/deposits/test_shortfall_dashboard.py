"""What a merchant sees of a shortfall, and the sandbox payment page that tops the deposit up.

Persona: the owner of a live flagship shop 1,000.00 short, with the marketing restriction already
applied (the case is 3 days old). Pages are requested in English.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.money import Money
from deposits import services
from deposits.models import Account, LedgerTransaction, ShortfallCase
from shops.models import Notification, Shop
from tests.deposits.test_shortfall import SHORT, evaluate, live_short_shop
from tests.factories import fund, make_member, make_shop
from tests.pages import page_html

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_sandbox(settings):
    settings.LANGUAGE_CODE = "en"
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False


@pytest.fixture
def short_shop() -> tuple[Shop, Account]:
    # Real time: the banner and the top-up run with timezone.now().
    opened = timezone.now() - timedelta(hours=73)
    shop, account = live_short_shop(opened)
    evaluate(shop, opened)
    evaluate(shop, opened + timedelta(hours=72))
    shop.refresh_from_db()
    assert shop.status == "RESTRICTED"
    return shop, account


def owner_client(shop: Shop, **kwargs) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **kwargs)
    client.force_login(make_member(shop, role="OWNER"))
    return client


def top_up_url(shop: Shop) -> str:
    return reverse("dashboard:sandbox_top_up", args=[shop.public_id])


def start_payment(client: Client, shop: Shop, amount: str) -> str:
    response = client.post(top_up_url(shop), {"amount": amount})
    assert response.status_code == 302
    return response["Location"]


class TestShortfallBanner:
    def test_the_shop_page_says_how_much_why_what_is_restricted_and_what_comes_next(
        self, short_shop
    ):
        shop, account = short_shop
        client = owner_client(shop)

        response = client.get(reverse("dashboard:shop_detail", args=[shop.public_id]))

        assert response.status_code == 200
        html = page_html(response)
        banner = html[
            html.index('id="shortfall"') : html.index("</section>", html.index('id="shortfall"'))
        ]
        assert "Your deposit is short by ¥ 1,000.00." in banner
        assert "the shop must keep ¥ 50,000.00" in banner
        assert "Latest deduction:" in banner and "虚假发货赔付" in banner
        assert "Marketing restricted" in banner and "since" in banner
        case = ShortfallCase.objects.get(shop=shop)
        hidden_at = timezone.localtime(case.opened_at + timedelta(days=15)).strftime(
            "%Y-%m-%d %H:%M"
        )
        assert (
            f"on {hidden_at}, the shop is hidden from search and stops taking new orders" in banner
        )
        assert "unless the deposit is topped up by ¥ 1,000.00" in banner
        assert top_up_url(shop) in banner
        # The generic banner is not shown twice.
        assert "Top up to keep selling" not in html

    def test_restrictions_read_in_the_pages_language_with_todays_amount(self, now):
        opened = timezone.now() - timedelta(hours=73)
        shop, account = live_short_shop(opened, language="zh-hans")  # texts stored in Chinese
        evaluate(shop, opened)
        evaluate(shop, opened + timedelta(hours=72))
        fund(account, 40_000, now=timezone.now())  # ¥400 of the ¥1,000 short
        client = owner_client(shop)

        html = page_html(client.get(reverse("dashboard:shop_detail", args=[shop.public_id])))
        table = html[html.index("Active restrictions") :]

        assert "Top up ¥ 600.00 to restore the deposit" in table
        assert "补缴" not in table and "¥ 1,000.00 to restore" not in table

    def test_lifted_restrictions_read_in_the_pages_language_too(self):
        opened = timezone.now() - timedelta(hours=73)
        shop, account = live_short_shop(opened, language="zh-hans")
        evaluate(shop, opened)
        evaluate(shop, opened + timedelta(hours=72))
        fund(account, SHORT, now=timezone.now())
        evaluate(shop, timezone.now())  # restored: the case resolves and its restrictions lift
        client = owner_client(shop)

        html = page_html(client.get(reverse("dashboard:shop_detail", args=[shop.public_id])))
        table = html[html.index("Lifted restrictions") :]

        assert "was short by ¥ 1,000.00 from" in table
        assert "Shortfall resolved:" in table
        assert "保证金不足已解决" not in table and "起不足" not in table

    def test_staff_without_the_deposit_permission_see_no_amounts_and_no_button(self, short_shop):
        shop, account = short_shop
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(make_member(shop, role="VIEWER"))

        html = page_html(client.get(reverse("dashboard:shop_detail", args=[shop.public_id])))

        banner = html[html.index('id="shortfall"') :]
        assert "This shop's deposit is short of what is required." in banner
        assert "1,000.00" not in banner.split("</section>")[0]
        assert top_up_url(shop) not in html
        assert "finance role" in banner

    def test_the_home_page_lists_short_shops_and_unread_notices(self, short_shop):
        shop, account = short_shop
        client = owner_client(shop)

        html = page_html(client.get(reverse("dashboard:home")))

        assert "1 shop&#x27;s deposit is short." in html or "1 shop's deposit is short." in html
        assert "short by ¥ 1,000.00" in html
        unread = Notification.objects.filter(merchant=shop.merchant).count()  # none read yet
        assert unread == 2  # the first notice and the marketing restriction
        assert f"{unread} unread notices" in html

    def test_a_healthy_shop_has_no_banner(self, now):
        shop, account = make_shop(now=now)
        client = owner_client(shop)

        html = page_html(client.get(reverse("dashboard:shop_detail", args=[shop.public_id])))

        assert 'id="shortfall"' not in html


class TestNotices:
    def test_lists_notices_and_marks_them_read_with_a_redirect(self, short_shop):
        shop, account = short_shop
        client = owner_client(shop)

        page = client.get(reverse("dashboard:notices"))
        marked = client.post(reverse("dashboard:notices"))

        assert page.status_code == 200
        assert "Marketing restricted: " + shop.name in page_html(page)
        assert marked.status_code == 302 and marked["Location"] == reverse("dashboard:notices")
        after = page_html(client.get(reverse("dashboard:notices")))
        assert 'class="unread"' not in after and "0 unread" in after


class TestSandboxTopUp:
    def test_the_page_is_marked_as_a_sandbox_and_prefilled_with_the_shortfall(self, short_shop):
        shop, account = short_shop
        client = owner_client(shop)

        response = client.get(top_up_url(shop))

        html = page_html(response)
        assert response.status_code == 200
        assert "Sandbox" in html and "no real money moves" in html
        assert 'value="1000.00"' in html

    def test_a_payment_credits_the_deposit_like_a_provider_callback_and_lifts_the_restriction(
        self, short_shop, django_capture_on_commit_callbacks
    ):
        shop, account = short_shop
        client = owner_client(shop)
        confirm_url = start_payment(client, shop, "1,000.00")
        payment_id = confirm_url.rstrip("/").split("/")[-1]

        confirm_page = client.get(confirm_url)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(confirm_url, {"idempotency_key": payment_id})

        assert "Sandbox" in page_html(confirm_page)
        assert response.status_code == 302
        assert response["Location"] == reverse("dashboard:shop_detail", args=[shop.public_id])
        tx = LedgerTransaction.objects.get(payment_ref=f"sandbox:{payment_id}")
        assert (tx.kind, tx.amount_minor, tx.idempotency_key) == (
            "TOP_UP",
            SHORT,
            f"sandbox-top-up:{payment_id}",
        )
        account.refresh_from_db()
        assert account.shortfall_minor == 0
        case = ShortfallCase.objects.get(shop=shop)
        assert (case.status, case.resolution) == ("RESOLVED", "TOP_UP")
        shop.refresh_from_db()
        assert shop.status == "ACTIVE"
        page = page_html(client.get(response["Location"]))
        assert "credited to the deposit" in page and 'id="shortfall"' not in page

    def test_the_payment_page_shows_the_unread_notices_badge_like_every_page(self, short_shop):
        shop, _ = short_shop
        client = owner_client(shop)
        unread = Notification.objects.filter(merchant=shop.merchant)  # none read yet

        html = page_html(client.get(top_up_url(shop)))

        assert unread.count() >= 1
        assert f'<span class="nav-count" title="Unread">{unread.count()}</span>' in html

    def test_a_double_submit_credits_once(self, short_shop):
        shop, account = short_shop
        client = owner_client(shop)
        confirm_url = start_payment(client, shop, "1000")
        payment_id = confirm_url.rstrip("/").split("/")[-1]

        first = client.post(confirm_url, {"idempotency_key": payment_id})
        second = client.post(confirm_url, {"idempotency_key": payment_id})

        assert first.status_code == second.status_code == 302
        assert LedgerTransaction.objects.filter(payment_ref=f"sandbox:{payment_id}").count() == 1
        account.refresh_from_db()
        assert account.posted_minor == account.required_minor  # credited exactly once
        follow = page_html(client.get(second["Location"]))
        assert "already credited" in follow

    def test_two_payments_are_two_credits(self, short_shop):
        shop, account = short_shop
        client = owner_client(shop)
        for amount in ("400", "600"):
            url = start_payment(client, shop, amount)
            client.post(url, {"idempotency_key": url.rstrip("/").split("/")[-1]})

        account.refresh_from_db()
        assert account.shortfall_minor == 0
        assert LedgerTransaction.objects.filter(payment_ref__startswith="sandbox:").count() == 2

    @pytest.mark.parametrize(
        "amount, message",
        [
            ("abc", "Enter a number such as 1000.00."),
            ("10.001", "At most 2 decimal places for CNY."),
            ("0", "Enter an amount above zero."),
            ("-5", "Enter an amount above zero."),
            ("", "Enter a number such as 1000.00."),
            ("1e5", "Enter a number such as 1000.00."),  # not ¥100,000.00
        ],
    )
    def test_a_bad_amount_is_an_error_naming_the_field(self, short_shop, amount, message):
        shop, account = short_shop
        client = owner_client(shop)

        response = client.post(top_up_url(shop), {"amount": amount})

        assert response.status_code == 400
        html = page_html(response)
        assert re.search(r"Amount: " + re.escape(message), html)
        assert 'aria-invalid="true"' in html
        assert not LedgerTransaction.objects.filter(payment_ref__startswith="sandbox:").exists()

    def test_an_amount_above_the_limit_is_refused_naming_the_field_and_the_limit(
        self, short_shop, settings
    ):
        settings.DEPOSIT_SANDBOX_TOP_UP_MAX_MAJOR = 1_000_000
        shop, account = short_shop
        client = owner_client(shop)

        response = client.post(top_up_url(shop), {"amount": "99999999999.00"})

        assert response.status_code == 400
        html = page_html(response)
        assert "Amount: at most ¥ 1,000,000.00 in one payment." in html
        assert 'aria-invalid="true"' in html and 'value="99999999999.00"' in html
        # The limit itself is payable, and goes on to the confirmation.
        assert client.post(top_up_url(shop), {"amount": "1000000.00"}).status_code == 302

    def test_the_limit_never_stops_a_shop_paying_its_own_requirement(self, short_shop, settings):
        settings.DEPOSIT_SANDBOX_TOP_UP_MAX_MAJOR = 1
        shop, account = short_shop
        account.refresh_from_db()
        client = owner_client(shop)
        limit = 2 * account.required_minor + account.debt_minor

        def pay(minor: int) -> int:
            amount = Money(minor, "CNY").major_str().replace(",", "")
            return client.post(top_up_url(shop), {"amount": amount}).status_code

        assert pay(limit) == 302
        assert pay(limit + 1) == 400

    def test_staff_without_the_deposit_permission_are_refused(self, short_shop):
        shop, account = short_shop
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(make_member(shop, role="VIEWER"))

        page = client.get(top_up_url(shop))
        post = client.post(top_up_url(shop), {"amount": "1000"})

        assert page.status_code == post.status_code == 403
        assert not LedgerTransaction.objects.filter(payment_ref__startswith="sandbox:").exists()

    def test_staff_with_the_permission_may_top_up(self, short_shop):
        shop, account = short_shop
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(make_member(shop, role="FINANCE"))

        assert client.get(top_up_url(shop)).status_code == 200

    def test_another_merchants_shop_is_not_found(self, short_shop, now):
        shop, account = short_shop
        other, _ = make_shop(now=now)
        client = owner_client(other)

        assert client.get(top_up_url(shop)).status_code == 404

    def test_a_payment_started_in_another_session_is_not_found(self, short_shop):
        shop, account = short_shop
        confirm_url = start_payment(owner_client(shop), shop, "1000")
        payment_id = confirm_url.rstrip("/").split("/")[-1]

        response = owner_client(shop).post(confirm_url, {"idempotency_key": payment_id})

        assert response.status_code == 404

    def test_a_payment_started_for_one_shop_is_not_found_under_another_of_the_merchants(
        self, short_shop, now
    ):
        shop, account = short_shop
        sibling, sibling_account = make_shop(
            now=now, merchant_email=shop.merchant.contact_email, partner_id=shop.partner_id
        )
        assert sibling.merchant_id == shop.merchant_id
        client = owner_client(shop)
        payment_id = start_payment(client, shop, "1000").rstrip("/").split("/")[-1]
        elsewhere = reverse(
            "dashboard:sandbox_top_up_confirm", args=[sibling.public_id, payment_id]
        )

        response = client.post(elsewhere, {"idempotency_key": payment_id})

        assert response.status_code == 404
        sibling_account.refresh_from_db()
        assert sibling_account.posted_minor == 0
        assert not LedgerTransaction.objects.filter(payment_ref=f"sandbox:{payment_id}").exists()

    def test_the_confirmation_needs_the_csrf_token(self, short_shop):
        shop, account = short_shop
        client = owner_client(shop, enforce_csrf_checks=True)
        page = client.get(top_up_url(shop))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page_html(page))[1]
        confirm_url = client.post(
            top_up_url(shop), {"amount": "1000", "csrfmiddlewaretoken": token}
        )["Location"]
        payment_id = confirm_url.rstrip("/").split("/")[-1]

        refused = client.post(confirm_url, {"idempotency_key": payment_id})

        assert refused.status_code == 403
        assert not LedgerTransaction.objects.filter(payment_ref__startswith="sandbox:").exists()

    def test_a_bad_amount_is_explained_in_the_pages_language(self, short_shop):
        shop, _ = short_shop
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(make_member(shop, role="OWNER"))

        response = client.post(top_up_url(shop), {"amount": "abc"})

        assert response.status_code == 400
        assert "请输入数字，例如 1000.00。" in page_html(response)

    def test_a_shop_that_has_exited_takes_no_new_payment(self, short_shop):
        shop, account = short_shop
        client = owner_client(shop)
        confirm_url = start_payment(client, shop, "100")  # started before the exit
        services.shop_exit_confirm(shop=shop, now=timezone.now())
        posted_before = Account.objects.get(pk=account.pk).posted_minor

        form = client.get(top_up_url(shop), follow=True)
        confirmed = client.post(
            confirm_url, {"idempotency_key": confirm_url.rstrip("/").split("/")[-1]}, follow=True
        )

        for response in (form, confirmed):
            assert response.redirect_chain[-1][0] == reverse(
                "dashboard:shop_detail", args=[shop.public_id]
            )
            assert "it cannot be topped up" in page_html(response)
        assert Account.objects.get(pk=account.pk).posted_minor == posted_before
        assert not LedgerTransaction.objects.filter(payment_ref__startswith="sandbox:").exists()

    def test_the_sandbox_is_off_unless_settings_allow_it(self, short_shop, settings):
        settings.DEPOSIT_SANDBOX_PAYMENTS = False
        shop, account = short_shop
        client = owner_client(shop)

        assert client.get(top_up_url(shop)).status_code == 404
        html = page_html(client.get(reverse("dashboard:shop_detail", args=[shop.public_id])))
        assert top_up_url(shop) not in html
        assert "Top up through your payment provider" in html
