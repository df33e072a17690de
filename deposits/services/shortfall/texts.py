"""What the merchant reads about a shortfall, in the active language (callers wrap these in
`translation.override(merchant.language)`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from common.templatetags.money import money
from deposits.models import (
    Account,
    LadderAction,
    ShortfallCase,
)
from shops.models import RestrictionKind, Shop, ShopRestriction


def at(value: str | None) -> datetime | None:
    """A plan's ISO timestamp back to a datetime (plans are JSON)."""
    return datetime.fromisoformat(value) if value else None


def when_text(moment: datetime) -> str:
    """A moment as merchants read it: local time (the dashboard's zone) with its UTC offset."""
    local = timezone.localtime(moment)
    offset = local.utcoffset() or timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    minutes = rest // 60
    suffix = f"UTC{hours:+d}" + (f":{minutes:02d}" if minutes else "")
    return f"{local:%Y-%m-%d %H:%M} ({suffix})"


def step_description(item: dict[str, Any]) -> str:
    """What a ladder step does, as a clause: "… on <date>, <this>"."""
    action, kind = item["action"], item.get("kind") or ""
    if action == LadderAction.NOTIFY:
        return _("you receive another reminder")
    if action == LadderAction.OPS_REVIEW:
        return _("the platform reviews the shop for closure")
    if kind == RestrictionKind.MARKETING:
        return _("marketing for the shop is restricted (no promotions or campaigns)")
    if kind == RestrictionKind.NEW_LISTINGS:
        return _("the shop cannot list new items")
    if kind == RestrictionKind.SETTLEMENT_EXTENDED:
        return _("settlement of the shop's sales is extended")
    if kind == RestrictionKind.HIDDEN:
        return _("the shop is hidden from search and stops taking new orders")
    if kind == RestrictionKind.SUPERVISED:
        return _(
            "the shop is supervised: it and its items cannot be found until the deposit is paid"
        )
    return str(RestrictionKind(kind).label) if kind else ""


class ShortfallTexts:
    """Sentences about one case, in the active language."""

    def __init__(self, *, shop: Shop, account: Account, case: ShortfallCase):
        self.shop, self.account, self.case = shop, account, case
        self.amount = money(account.shortfall_minor, account.currency)

    def _next(self) -> str:
        later = [item for item in self.case.plan[self.case.step :]]
        if not later:
            return _("Please top up as soon as possible.")
        lines = [
            _("If the deposit is still short, on %(when)s %(what)s.")
            % {"when": when_text(at(item["due_at"])), "what": step_description(item)}  # type: ignore[arg-type]
            for item in later
        ]
        return " ".join(lines)

    def restriction_reason(self) -> str:
        return _(
            "The deposit of %(shop)s has been short by %(amount)s since %(since)s "
            "(shortfall case %(case)s)."
        ) % {
            "shop": self.shop.name,
            "amount": money(self.case.amount_minor, self.account.currency),
            "since": when_text(self.case.opened_at),
            "case": self.case.pk,
        }

    def past_reason(self) -> str:
        """Why a restriction of this case, now lifted, had been placed."""
        return _(
            "The deposit of %(shop)s was short by %(amount)s from %(since)s "
            "(shortfall case %(case)s)."
        ) % {
            "shop": self.shop.name,
            "amount": money(self.case.amount_at_open_minor, self.account.currency),
            "since": when_text(self.case.opened_at),
            "case": self.case.pk,
        }

    def lifted_because(self) -> str:
        if not self.case.resolution:
            return ""
        label = ShortfallCase.Resolution(self.case.resolution).label
        return _("Shortfall resolved: %(how)s.") % {"how": label}

    def lifts_when(self) -> str:
        return _(
            "Top up %(amount)s to restore the deposit; lifted automatically within seconds."
        ) % {"amount": self.amount}

    def step_notice(self, item: dict[str, Any]) -> tuple[str, str]:
        values = {"shop": self.shop.name, "amount": self.amount}
        required = money(self.account.required_minor, self.account.currency)
        if item["action"] == LadderAction.NOTIFY:
            title = _("Deposit short by %(amount)s: %(shop)s") % values
            body = _(
                "The deposit of your shop %(shop)s is %(amount)s below what is required "
                "(%(required)s). Please top up %(amount)s."
            ) % {**values, "required": required}
        elif item["action"] == LadderAction.OPS_REVIEW:
            title = _("Shop under review for closure: %(shop)s") % values
            body = _(
                "The deposit of %(shop)s has been short by %(amount)s since %(since)s. The "
                "platform now reviews whether the shop may stay open. Topping up %(amount)s "
                "ends the review."
            ) % {**values, "since": when_text(self.case.opened_at)}
        else:
            what = step_description(item)
            title = _("%(restriction)s: %(shop)s") % {
                "restriction": RestrictionKind(item["kind"]).label,
                "shop": self.shop.name,
            }
            body = _(
                "Because the deposit of %(shop)s is still short by %(amount)s, from now on "
                "%(what)s. This is lifted as soon as the deposit is topped up by %(amount)s."
            ) % {**values, "what": what}
        return str(title), f"{body}\n\n{self._next()}"

    def reminder_notice(self, item: dict[str, Any]) -> tuple[str, str]:
        values = {
            "shop": self.shop.name,
            "amount": self.amount,
            "when": when_text(at(item["due_at"])),  # type: ignore[arg-type]
            "what": step_description(item),
        }
        title = _("Reminder: top up %(amount)s before %(when)s — %(shop)s") % values
        body = (
            _("%(shop)s: on %(when)s %(what)s unless the deposit is topped up by %(amount)s.")
            % values
        )
        return str(title), str(body)

    def resolved_notice(self, how: str, *, remaining: list[ShopRestriction]) -> tuple[str, str]:
        title = _("Deposit restored: %(shop)s") % {"shop": self.shop.name}
        body = _(
            "The deposit of %(shop)s covers the requirement again (%(how)s). The restrictions "
            "caused by the shortfall have been lifted."
        ) % {"shop": self.shop.name, "how": how}
        if remaining:
            kinds = ", ".join(str(r.get_kind_display()) for r in remaining)
            body += " " + _("Other restrictions remain: %(kinds)s.") % {"kinds": kinds}
        return str(title), str(body)
