"""No raw wording reaches people: no API field names ("amount_minor: …") in the dashboard's
form errors, no "1 elements", no Python dicts or lists from commands; a field is named as the
person sees it, in their language."""

from __future__ import annotations

import re
from io import StringIO
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.admin import field_label
from common.errors import InvalidInput, error_text
from deposits import services
from deposits.models import Hold
from tests.deposits.test_shortfall_dashboard import start_payment
from tests.factories import fund, make_member, make_shop
from tests.partners.api_client import make_api, shop_body

pytestmark = pytest.mark.django_db

RAW = re.compile(r"amount_minor|__all__|elements|\{'|\['")


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False


def client_for(shop, language: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(make_member(shop))
    return client


def form_error(html: str) -> str:
    return re.search(r'<div class="form-error" role="alert">(.*?)</div></div>', html, re.S)[1]


@pytest.mark.parametrize(
    ("typed", "english", "chinese"),
    [
        ("abc", "Amount: Enter a number such as 1000.00.", "金额："),
        ("0", "Amount: Enter an amount above zero.", "金额："),
        ("1.001", "Amount: At most 2 decimal places for CNY.", "金额："),
    ],
)
def test_a_bad_amount_names_the_field_as_the_page_does_in_its_language(
    typed, english, chinese, now
):
    shop, account = make_shop(now=now)
    url = reverse("dashboard:sandbox_top_up", args=[shop.public_id])

    in_english = client_for(shop, "en").post(url, {"amount": typed}).content.decode()
    in_chinese = client_for(shop, "zh-hans").post(url, {"amount": typed}).content.decode()

    assert english in form_error(in_english)
    assert form_error(in_chinese).strip().startswith("<div>" + chinese)
    assert not RAW.search(form_error(in_english)) and not RAW.search(form_error(in_chinese))


def test_a_refused_sandbox_payment_is_explained_in_the_page_language(now):
    shop, account = make_shop(now=now)
    client = client_for(shop, "en")
    confirm_url = start_payment(client, shop, "100")
    payment_id = confirm_url.rstrip("/").split("/")[-1]
    # The provider's reference was already credited elsewhere: the service refuses it.
    other_shop, other_account = make_shop(now=now)
    services.deposit_top_up(
        account_id=other_account.pk,
        amount_minor=100,
        currency="CNY",
        payment_ref=f"sandbox:{payment_id}",
        idempotency_key="elsewhere",
        now=timezone.now(),
    )

    page = client.post(confirm_url, {"idempotency_key": payment_id}, follow=True)

    html = page.content.decode()
    assert "This payment has already been credited to another deposit." in html
    assert not RAW.search(html.split('class="messages"')[1].split("</ul>")[0])


def test_an_api_list_too_short_is_said_in_words_not_elements(db):
    api = make_api("Tmall")

    response = api.post("/api/v1/shops/", shop_body(categories=[]))

    assert response.status_code == 400
    assert response.json()["fields"]["categories"] == ["Give at least one category code."]


def test_commands_print_sentences_not_python_values():
    refusal = InvalidInput(
        "Unknown category codes.", fields={"merchant.email": ["Already registered."]}
    )

    assert error_text(refusal) == "Unknown category codes. merchant.email: Already registered."
    assert "{" not in error_text(refusal)


def test_ledger_check_prints_each_offending_row_on_its_own_line():
    failing = SimpleNamespace(
        problems=[{"check": "zero_sum", "examples": [["12", "CNY", "5"], ["13", "CNY", "-1"]]}],
        summary="ledger_check: 1 problem",
        ok=False,
    )
    out = StringIO()

    with (
        mock.patch(
            "deposits.management.commands.ledger_check.ledger_check_run", return_value=failing
        ),
        pytest.raises(SystemExit),
    ):
        call_command("ledger_check", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines == [
        "FAILED zero_sum: 2 example(s)",
        "  12 | CNY | 5",
        "  13 | CNY | -1",
        "ledger_check: 1 problem",
    ]


def test_create_partner_key_refusals_read_as_a_sentence():
    with (
        mock.patch(
            "partners.services.partner_get_or_create",
            side_effect=InvalidInput("Bad name.", fields={"name": ["Too long."]}),
        ),
        pytest.raises(CommandError, match=r"^Bad name\. name: Too long\.$"),
    ):
        call_command("create_partner_key", "x" * 10, stdout=StringIO())


def test_admin_refusals_name_fields_by_their_labels():
    assert field_label(Hold(), "amount_minor") == str(
        Hold._meta.get_field("amount_minor").verbose_name
    )
    assert field_label(Hold(), "expires_at") == str(Hold._meta.get_field("expires_at").verbose_name)
    assert field_label(object(), "merchant.email") == "merchant email"
    assert field_label(object(), "amount_minor") == "amount"


def test_fund_helper_still_works(now):  # the factories do not depend on what changed here
    shop, account = make_shop(now=now)
    assert fund(account, 100, now=now).posted_minor == 100
