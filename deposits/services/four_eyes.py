"""Deposits' actions under four-eyes (approvals): what each one is, how it is carried out once
approved, and the ops entry points that route through the mechanism. Registered in
`DepositsConfig.ready()`.

- deposits.adjustment: the signed amount (absolute), and a daily limit per maker of what they
  adjusted alone; carried out by `_post_adjustment`.
- deposits.forfeit: what is available when asked; approval forfeits what is available then.
- deposits.requirement_override: how far it lowers the shop's requirement (raising never
  waits); carried out by `override_set`.
- deposits.requirement_rule: no amount, every change of a rule waits; `requirement_rule_save`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from approvals import registry
from approvals.models import FourEyesRequest
from approvals.payloads import row_from_payload, row_payload
from approvals.services import four_eyes_route, request_create
from common.templatetags.money import money
from deposits.models import Account, AdjustmentRequest, ShopRequirementOverride
from deposits.services.operations import (
    adjustment_carry_out,
    adjustments_alone_since,
    forfeit_carry_out,
)
from deposits.services.requirements import override_set, requirement_rule_save
from shops.models import Shop


def _money(amount_minor: int | None, currency: str) -> str:
    """As the admin writes money (common.admin.money_text): "¥ 4,730.00", "—" for none."""
    return money(amount_minor, currency)


def override_set_or_request(
    *,
    shop: Shop,
    amount_minor: int,
    reason: str,
    actor: AbstractBaseUser,
    now: datetime,
    expires_at: datetime | None = None,
) -> ShopRequirementOverride | FourEyesRequest:
    """Set a shop's requirement by hand: at once when it raises the requirement or lowers it by
    no more than the threshold, else a request for a second person."""
    account = Account.objects.filter(shop=shop).first()
    current = account.required_minor if account is not None else 0
    lowered_by = max(current - amount_minor, 0)
    return four_eyes_route(
        action="deposits.requirement_override",
        maker=actor,
        reason=reason,
        now=now,
        amount_minor=lowered_by,
        currency=shop.currency,
        subject=shop,
        subject_label=shop.name,
        payload={
            "shop_id": shop.pk,
            "amount_minor": amount_minor,
            "required_when_asked_minor": current,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
        carry_out=lambda: override_set(
            shop=shop,
            amount_minor=amount_minor,
            reason=reason,
            actor=actor,
            now=now,
            expires_at=expires_at,
        ),
    )


def _override_carry_out(
    *, request: FourEyesRequest, checker: AbstractBaseUser, now: datetime, note: str = ""
) -> ShopRequirementOverride:
    expires = request.payload.get("expires_at")
    return override_set(
        shop=Shop.objects.get(pk=request.payload["shop_id"]),
        amount_minor=request.payload["amount_minor"],
        reason=request.reason,
        actor=request.maker,
        now=now,
        expires_at=parse_datetime(expires) if expires else None,
    )


def requirement_rule_request(
    *, rule: Any, actor: AbstractBaseUser, now: datetime, reason: str, changed_fields: list[str]
) -> FourEyesRequest:
    """A new or changed requirement rule, kept for a second person (every rule change waits
    unless `deposits.requirement_rule` is off: then the admin saves it at once as before)."""
    return request_create(
        action="deposits.requirement_rule",
        maker=actor,
        reason=reason,
        now=now,
        payload=row_payload(rule, changed_fields=changed_fields),
        amount_minor=getattr(rule, "amount_minor", None),
        currency=getattr(rule, "currency", "") or "",
        subject=rule if rule.pk else None,
        subject_label=str(rule),
    )


def requirement_rule_needs_four_eyes() -> bool:
    return registry.above_threshold("deposits.requirement_rule", None)


def _rule_carry_out(
    *, request: FourEyesRequest, checker: AbstractBaseUser, now: datetime, note: str = ""
) -> Any:
    rule = row_from_payload(request.payload)
    requirement_rule_save(
        rule=rule,
        actor=request.maker,
        now=now,
        changed_fields=request.payload.get("changed_fields") or [],
    )
    return rule


def _describe_adjustment(request: FourEyesRequest) -> list[tuple[Any, str]]:
    return [
        (_("account"), request.subject_label),
        (_("amount (signed)"), _money(request.payload.get("amount_minor"), request.currency)),
    ]


def _describe_forfeit(request: FourEyesRequest) -> list[tuple[Any, str]]:
    account = Account.objects.filter(pk=request.payload.get("account_id")).first()
    return [
        (_("account"), request.subject_label),
        (
            _("available when asked"),
            _money(request.payload.get("available_when_asked_minor"), request.currency),
        ),
        (
            _("available now (what approval forfeits)"),
            _money(account.available_minor, account.currency) if account else "—",
        ),
    ]


def _describe_override(request: FourEyesRequest) -> list[tuple[Any, str]]:
    return [
        (_("shop"), request.subject_label),
        (
            _("requirement when asked"),
            _money(request.payload.get("required_when_asked_minor"), request.currency),
        ),
        (_("new requirement"), _money(request.payload.get("amount_minor"), request.currency)),
        (_("expires at"), request.payload.get("expires_at") or "—"),
    ]


def _describe_rule(request: FourEyesRequest) -> list[tuple[Any, str]]:
    fields = request.payload.get("fields", {})
    currency = fields.get("currency") or request.currency or "CNY"
    lines: list[tuple[Any, str]] = [(_("rule"), request.subject_label)]
    for name, value in sorted(fields.items()):
        if name in {"created_by_id", "created_at"}:
            continue
        text = (
            _money(value, currency)
            if name.endswith("_minor") and isinstance(value, int)
            else ("—" if value in (None, "") else str(value))
        )
        lines.append((name.removesuffix("_minor").removesuffix("_id").replace("_", " "), text))
    return lines


def register_four_eyes() -> None:
    registry.register(
        registry.ActionKind(
            action=AdjustmentRequest.ACTION,
            label=_("Manual adjustment"),
            execute=adjustment_carry_out,
            threshold_key="deposits.adjustment",
            daily_limit_key="deposits.adjustment_daily",
            spent_since=adjustments_alone_since,
            model=AdjustmentRequest,
            describe=_describe_adjustment,
        )
    )
    registry.register(
        registry.ActionKind(
            action="deposits.forfeit",
            label=_("Forfeiture"),
            execute=forfeit_carry_out,
            threshold_key="deposits.forfeit",
            describe=_describe_forfeit,
        )
    )
    registry.register(
        registry.ActionKind(
            action="deposits.requirement_override",
            label=_("Requirement override"),
            execute=_override_carry_out,
            threshold_key="deposits.requirement_override",
            describe=_describe_override,
        )
    )
    registry.register(
        registry.ActionKind(
            action="deposits.requirement_rule",
            label=_("Requirement rule change"),
            execute=_rule_carry_out,
            threshold_key="deposits.requirement_rule",
            describe=_describe_rule,
        )
    )
