"""Merchant dashboard: withdrawing surplus from the deposit (domain.md §3).

The page shows a form with the whole withdrawable amount as the default and a one-time key in a
hidden field (deposits/forms.py: WithdrawForm); the POST makes one `deposit_withdraw` call with
that key, so a double submit withdraws once, and redirects to the shop page (PRG). Refusals
become form errors in the merchant's language, chosen by the domain error's `code`.

What can be withdrawn, and why nothing when nothing, is one decision:
`deposits.selectors.withdrawal_position`. The figure and the sentence on the shop page, the
withdraw panel and this page all come from it. views.py imports `withdraw_shop_context`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import DomainError
from common.money import Money
from common.templatetags.money import money
from deposits import services
from deposits.domain.coverage import WithdrawLimit
from deposits.forms import WithdrawForm
from deposits.models import Account
from deposits.selectors import (
    ShopBlock,
    WithdrawalPosition,
    payout_account_for_shop,
    shops_with_accounts_for_merchant,
    withdrawal_for_transaction,
    withdrawal_position,
    withdrawals_for_account,
)
from shops.models import MerchantUser, Shop, ShopStatus
from shops.selectors import membership_for_user

WITHDRAW_KEY_PREFIX = "dashboard-withdraw:"


def withdraw_blocker(shop: Shop, position: WithdrawalPosition) -> str:
    """Why nothing can be withdrawn now, as one sentence for the merchant; "" when something can."""
    deposit = position.deposit
    amount = lambda minor: money(minor, deposit.currency)  # noqa: E731
    limit = position.limit
    if limit == ShopBlock.CLOSED:
        if not deposit.posted_minor:
            return gettext(
                "This shop has exited, so nothing can be withdrawn: its deposit has been refunded."
            )
        return gettext(
            "This shop has exited, so nothing can be withdrawn: the platform's operations team "
            "refunds what is left once the exit period has passed."
        )
    if limit == ShopBlock.FROZEN:
        return gettext(
            "The platform's operations team has frozen this shop: nothing can be withdrawn "
            "until they lift the freeze."
        )
    if limit == WithdrawLimit.SURPLUS:
        return ""
    if limit == WithdrawLimit.DEBT:
        return gettext(
            "Nothing can be withdrawn while the shop owes %(debt)s to the platform (a deduction "
            "was larger than the deposit and the platform paid the difference). The next top-up "
            "pays the debt first."
        ) % {"debt": amount(deposit.debt_minor)}
    if limit == WithdrawLimit.SHORTFALL:
        if shop.status == ShopStatus.ONBOARDING:
            return gettext("Nothing can be withdrawn before the deposit is paid in full.")
        return gettext("Nothing can be withdrawn while the deposit is short by %(amount)s.") % {
            "amount": amount(deposit.shortfall_minor)
        }
    if limit == WithdrawLimit.HELD:
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
    """What the shop page needs: the withdrawable figure, and the "Withdraw surplus" button or
    the sentence replacing it, from one `withdrawal_position`."""
    if account is None:
        return {"may_withdraw": False, "withdraw_blocker": "", "withdrawal": None}
    position = withdrawal_position(shop, account)
    if not membership.may_manage_deposit:
        return {"may_withdraw": False, "withdraw_blocker": "", "withdrawal": position}
    # The withdrawals made and where each payout stands (only for those who see the deposit).
    payouts = withdrawals_for_account(account)
    if position.limit == ShopBlock.CLOSED and not position.deposit.posted_minor:
        # The closed-shop banner already says the deposit has been refunded.
        return {
            "may_withdraw": False,
            "withdraw_blocker": "",
            "withdrawal": position,
            "payouts": payouts,
        }
    return {
        "may_withdraw": position.can_withdraw,
        "withdraw_blocker": withdraw_blocker(shop, position),
        "withdrawal": position,
        "payouts": payouts,
    }


def _at_most(position: WithdrawalPosition) -> str:
    return money(position.withdrawable_minor, position.deposit.currency)


def _shortfall_refusal(shop: Shop, position: WithdrawalPosition) -> str:
    return gettext(
        "This would leave the deposit below the required %(required)s. At most %(most)s can "
        "be withdrawn now."
    ) % {
        "required": money(position.deposit.required_minor, position.deposit.currency),
        "most": _at_most(position),
    }


def _funds_refusal(shop: Shop, position: WithdrawalPosition) -> str:
    deposit = position.deposit
    amount = lambda minor: money(minor, deposit.currency)  # noqa: E731
    if deposit.held_minor:
        return gettext(
            "Only %(available)s is available: %(held)s is held for open claims. At most "
            "%(most)s can be withdrawn now."
        ) % {
            "available": amount(deposit.available_minor),
            "held": amount(deposit.held_minor),
            "most": _at_most(position),
        }
    return gettext("Only %(available)s is available. At most %(most)s can be withdrawn now.") % {
        "available": amount(deposit.available_minor),
        "most": _at_most(position),
    }


def _currency_refusal(shop: Shop, position: WithdrawalPosition) -> str:
    return gettext("The amount must be in %(currency)s, the deposit's currency.") % {
        "currency": position.deposit.currency
    }


# The service's refusals by their stable code (common/errors.py): (form field, sentence). The
# sentences read the account as it is after the refusal, so the amounts are the ones that hold.
_REFUSALS: dict[str, tuple[str, Callable[[Shop, WithdrawalPosition], str]]] = {
    "would_cause_shortfall": ("amount", _shortfall_refusal),
    "insufficient_funds": ("amount", _funds_refusal),
    # Frozen or closed since the page was shown: the position now says why, in the same words
    # as the shop page.
    "shop_frozen": ("__all__", withdraw_blocker),
    "shop_closed": ("__all__", withdraw_blocker),
}


def refusal(exc: DomainError, shop: Shop, position: WithdrawalPosition) -> tuple[str, str]:
    """(field, sentence) for a refusal of `deposit_withdraw`, in the page's language."""
    if exc.code in _REFUSALS:
        field, sentence = _REFUSALS[exc.code]
        return field, sentence(shop, position)
    if exc.code == "validation_error" and (exc.fields or {}).get("currency"):
        return "__all__", _currency_refusal(shop, position)
    return "__all__", gettext("The withdrawal could not be made. Check the amount and try again.")


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
    position = withdrawal_position(shop, account)
    status = 200
    closed = position.limit == ShopBlock.CLOSED
    form = WithdrawForm(currency=account.currency)
    amount_text = Money(position.withdrawable_minor, account.currency).major_str().replace(",", "")

    if request.method == "POST" and closed:
        status = 409  # nothing to do: refunds on exit are ops' job, the page says so
    elif request.method == "POST":
        form = WithdrawForm(request.POST, currency=account.currency)
        amount_text = form.typed_amount()
        if not form.is_valid():
            status = 400
        else:
            amount = form.cleaned_data["amount"]
            try:
                result = services.deposit_withdraw(
                    account_id=account.pk,
                    amount_minor=amount.amount_minor,
                    currency=amount.currency,
                    idempotency_key=WITHDRAW_KEY_PREFIX + form.cleaned_data["idempotency_key"],
                    now=timezone.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                # A refused key stays refused (a replay raises the same error): the re-shown
                # form carries a fresh key, so a corrected amount is a new request.
                account.refresh_from_db()
                shop.refresh_from_db()
                position = withdrawal_position(shop, account)
                closed = position.limit == ShopBlock.CLOSED
                field, sentence = refusal(exc, shop, position)
                form.add_error(None if field == "__all__" else field, sentence)
                status = exc.http_status
            else:
                _say_done(request, result, account.currency)
                return redirect("dashboard:shop_detail", shop.public_id)

    return render(
        request,
        "dashboard/withdraw.html",
        {
            "shop": shop,
            "deposit": position.deposit,
            "withdrawal": position,
            "amount_text": amount_text,
            "idempotency_key": WithdrawForm.new_key(),
            "errors": form.errors,
            "closed": closed,
            "blocker": withdraw_blocker(shop, position),
            "payout_account": payout_account_for_shop(shop),
        },
        status=status,
    )


def _say_done(request: HttpRequest, result: services.PostingResult, currency: str) -> None:
    """The confirmation names the withdrawal's reference (what the merchant quotes to support)
    and the account it is paid to."""
    shown = money(result.transaction.amount_minor, currency)
    withdrawal = withdrawal_for_transaction(result.transaction)
    reference = withdrawal.reference if withdrawal else ""
    if result.replayed:
        messages.info(
            request,
            gettext("This withdrawal of %(amount)s was already requested (reference %(ref)s).")
            % {"amount": shown, "ref": reference},
        )
    elif withdrawal and withdrawal.bank_account_tail:
        messages.success(
            request,
            gettext(
                "Withdrawal of %(amount)s requested, reference %(ref)s: the payment provider "
                "pays it to your bound account ending in %(tail)s. Its progress is listed under "
                "Withdrawals on the shop page."
            )
            % {"amount": shown, "ref": reference, "tail": withdrawal.bank_account_tail},
        )
    else:
        messages.success(
            request,
            gettext(
                "Withdrawal of %(amount)s requested, reference %(ref)s: the payment provider "
                "pays it to your bound payment account. Its progress is listed under "
                "Withdrawals on the shop page."
            )
            % {"amount": shown, "ref": reference},
        )
