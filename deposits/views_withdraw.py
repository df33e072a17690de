"""Merchant dashboard: withdrawing surplus from the deposit (domain.md §3).

The page shows a form with the whole surplus as the default amount and a one-time key in a hidden
field; the POST makes one `deposit_withdraw` call with that key, so a double submit withdraws once,
and redirects to the shop page (PRG). Refusals become form errors in the merchant's language.

Kept apart from views.py so the withdrawal's helpers (the "why nothing can be withdrawn"
sentence, the error wording) live in one place; views.py imports `withdraw_shop_context`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import (
    CurrencyMismatch,
    DomainError,
    InsufficientFunds,
    InvalidInput,
    ShopFrozen,
    WouldCauseShortfall,
)
from common.money import CURRENCY_EXPONENTS, Money
from common.templatetags.money import money
from deposits import services
from deposits.models import Account
from deposits.selectors import DepositSummary, deposit_summary, shops_with_accounts_for_merchant
from shops.models import MerchantUser, RestrictionKind, Shop, ShopStatus
from shops.selectors import membership_for_user

WITHDRAW_KEY_PREFIX = "dashboard-withdraw:"


def withdraw_blocker(shop: Shop, deposit: DepositSummary) -> str:
    """Why nothing can be withdrawn now, as one sentence for the merchant; "" when something can."""
    amount = lambda minor: money(minor, deposit.currency)  # noqa: E731
    if shop.status == ShopStatus.CLOSED:
        if not deposit.posted_minor:
            return gettext(
                "This shop has exited, so nothing can be withdrawn: its deposit has been refunded."
            )
        return gettext(
            "This shop has exited, so nothing can be withdrawn: the platform's operations team "
            "refunds what is left once the exit period has passed."
        )
    if shop.restrictions.filter(kind=RestrictionKind.FROZEN, lifted_at__isnull=True).exists():
        return gettext(
            "The platform's operations team has frozen this shop: nothing can be withdrawn "
            "until they lift the freeze."
        )
    if deposit.withdrawable_minor > 0:
        return ""
    if deposit.debt_minor:
        return gettext("Nothing can be withdrawn while the shop owes %(debt)s to the platform.") % {
            "debt": amount(deposit.debt_minor)
        }
    if deposit.shortfall_minor:
        if shop.status == ShopStatus.ONBOARDING:
            return gettext("Nothing can be withdrawn before the deposit is paid in full.")
        return gettext("Nothing can be withdrawn while the deposit is short by %(amount)s.") % {
            "amount": amount(deposit.shortfall_minor)
        }
    if deposit.held_minor:
        return gettext(
            "The deposit must stay at %(required)s and open claims hold %(held)s: there is "
            "nothing above that to withdraw."
        ) % {"required": amount(deposit.required_minor), "held": amount(deposit.held_minor)}
    return gettext(
        "The deposit must stay at %(required)s: there is nothing above it to withdraw."
    ) % {"required": amount(deposit.required_minor)}


def withdraw_shop_context(
    membership: MerchantUser, shop: Shop, account: Account | None
) -> dict[str, Any]:
    """What the shop page needs for its "Withdraw surplus" button or the sentence replacing it."""
    if account is None or not membership.may_manage_deposit:
        return {"may_withdraw": False, "withdraw_blocker": ""}
    deposit = deposit_summary(account)
    blocker = withdraw_blocker(shop, deposit)
    if shop.status == ShopStatus.CLOSED and not deposit.posted_minor:
        # The closed-shop banner already says the deposit has been refunded.
        return {"may_withdraw": False, "withdraw_blocker": ""}
    return {"may_withdraw": not blocker, "withdraw_blocker": blocker}


def amount_error(exc: InvalidInput, currency: str) -> str:
    """Money.parse speaks English to the API; the dashboard says the same in the page's language
    (the withdrawal and the sandbox top-up forms)."""
    text = ((exc.fields or {}).get("amount") or [exc.detail])[0]
    if "decimal places" in text:
        return gettext("At most %(places)s decimal places for %(currency)s.") % {
            "places": CURRENCY_EXPONENTS[currency],
            "currency": currency,
        }
    if text == "Amount is too large.":
        return gettext("The amount is too large.")
    return gettext("Enter a number such as 1000.00.")


def _refusal_message(exc: DomainError, deposit: DepositSummary) -> str:
    """The service's refusal in plain words, with amounts from the account as it is now."""
    amount = lambda minor: money(minor, deposit.currency)  # noqa: E731
    if isinstance(exc, WouldCauseShortfall):
        return gettext(
            "This would leave the deposit below the required %(required)s. At most %(most)s can "
            "be withdrawn now."
        ) % {"required": amount(deposit.required_minor), "most": amount(deposit.withdrawable_minor)}
    if isinstance(exc, InsufficientFunds):
        if deposit.held_minor:
            return gettext(
                "Only %(available)s is available: %(held)s is held for open claims. At most "
                "%(most)s can be withdrawn now."
            ) % {
                "available": amount(deposit.available_minor),
                "held": amount(deposit.held_minor),
                "most": amount(deposit.withdrawable_minor),
            }
        return gettext(
            "Only %(available)s is available. At most %(most)s can be withdrawn now."
        ) % {
            "available": amount(deposit.available_minor),
            "most": amount(deposit.withdrawable_minor),
        }
    if isinstance(exc, ShopFrozen):
        return gettext(
            "The platform's operations team has frozen this shop: nothing can be withdrawn "
            "until they lift the freeze."
        )
    if isinstance(exc, CurrencyMismatch):
        return gettext("The amount must be in %(currency)s, the deposit's currency.") % {
            "currency": deposit.currency
        }
    return gettext("The withdrawal could not be made. Check the amount and try again.")


def _new_key() -> str:
    return uuid.uuid4().hex


@login_required
def withdraw(request: HttpRequest, shop_id: str) -> HttpResponse:
    """Withdraw surplus: GET shows the form, POST makes one `deposit_withdraw` call (PRG)."""
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    shop = shops_with_accounts_for_merchant(membership.merchant).filter(public_id=shop_id).first()
    if shop is None:
        raise Http404  # another merchant's shop looks exactly like a missing one
    if not membership.may_manage_deposit:
        return render(request, "dashboard/withdraw_forbidden.html", {"shop": shop}, status=403)
    account = Account.objects.filter(shop=shop).first()
    if account is None:
        raise Http404
    deposit = deposit_summary(account)
    errors: dict[str, list[str]] = {}
    status = 200
    key = _new_key()
    amount_text = Money(deposit.withdrawable_minor, account.currency).major_str().replace(",", "")
    closed = shop.status == ShopStatus.CLOSED

    if request.method == "POST" and closed:
        status = 409  # nothing to do: refunds on exit are ops' job, the page says so
    elif request.method == "POST":
        amount_text = request.POST.get("amount", "").strip()
        posted_key = request.POST.get("idempotency_key", "")
        try:
            uuid.UUID(posted_key)
        except ValueError:
            posted_key = ""
        try:
            if not posted_key:
                raise InvalidInput(
                    fields={"__all__": [gettext("The form has expired. Check and confirm again.")]}
                )
            try:
                amount = Money.parse(amount_text, account.currency)
            except InvalidInput as exc:
                raise InvalidInput(
                    fields={"amount": [amount_error(exc, account.currency)]}
                ) from None
            if amount.amount_minor < 1:
                raise InvalidInput(fields={"amount": [gettext("Enter an amount above zero.")]})
            result = services.deposit_withdraw(
                account_id=account.pk,
                amount_minor=amount.amount_minor,
                currency=amount.currency,
                idempotency_key=WITHDRAW_KEY_PREFIX + posted_key,
                now=timezone.now(),
                actor=request.user,
            )
        except InvalidInput as exc:
            # Ours are already in the page's language; one from the service is not.
            if exc.fields and set(exc.fields) <= {"amount", "__all__"}:
                errors = exc.fields
            else:
                errors = {"__all__": [_refusal_message(exc, deposit)]}
            status = 400
        except DomainError as exc:
            # A refused key stays refused (a replay raises the same error): the re-shown form
            # carries a fresh key, so a corrected amount is a new request.
            account.refresh_from_db()
            deposit = deposit_summary(account)
            field = (
                "amount" if isinstance(exc, WouldCauseShortfall | InsufficientFunds) else "__all__"
            )
            errors = {field: [_refusal_message(exc, deposit)]}
            status = exc.http_status
        else:
            shown = money(result.transaction.amount_minor, account.currency)
            if result.replayed:
                messages.info(
                    request,
                    gettext("This withdrawal of %(amount)s was already requested.")
                    % {"amount": shown},
                )
            else:
                messages.success(
                    request,
                    gettext(
                        "Withdrawal of %(amount)s requested: the payment provider pays it to "
                        "your bound payment account."
                    )
                    % {"amount": shown},
                )
            return redirect("dashboard:shop_detail", shop.public_id)

    return render(
        request,
        "dashboard/withdraw.html",
        {
            "shop": shop,
            "deposit": deposit,
            "amount_text": amount_text,
            "idempotency_key": key,
            "errors": errors,
            "closed": closed,
            "blocker": withdraw_blocker(shop, deposit),
        },
        status=status,
    )
