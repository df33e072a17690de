"""What a shop must keep as a deposit, and why (domain.md §2).

The requirement is computed from rule rows in force at `now`:
  for each of the shop's categories: the most specific category rule in force for its shop type
  and trademark status, else the base table amount → the highest of these across categories →
  raised to the GMV tier's amount when a GMV schedule is on and the shop reported its sales →
  replaced by an unexpired per-shop override.
The result and its explanation are cached on the deposit account (`required_minor`,
`requirement_basis`) so that reads, withdrawals and the shortfall scan use one row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from common.errors import (
    CategoryAlreadyHeld,
    CategoryNotOpen,
    InvalidInput,
    InvalidTransition,
    NoRequirementRule,
    NothingChanged,
    ShopClosed,
)
from deposits import locks
from deposits.domain.coverage import Coverage, coverage_of
from deposits.models import (
    Account,
    BaseRequirementRule,
    CategoryRequirementRule,
    GmvRequirementSchedule,
    RequirementChange,
    RuleChange,
    ShopRequirementOverride,
)
from deposits.services.posting import system_account_ids
from deposits.services.shortfall import shortfall_after_requirement_change
from shops.models import Category, Shop, TrademarkStatus

RECOMPUTE_BATCH = 2000


@dataclass(frozen=True)
class RuleBook:
    """The rules in force at one moment, loaded once and applied to many shops."""

    base: dict[tuple[str, str, str], BaseRequirementRule]
    category: dict[tuple[int, str, str, str], CategoryRequirementRule]
    gmv: GmvRequirementSchedule | None
    now: datetime


def rulebook_load(
    *,
    now: datetime,
    currency: str | None = None,
    category_ids: Iterable[int] | None = None,
    with_gmv: bool = True,
) -> RuleBook:
    """The rules in force at `now`. `currency` and `category_ids` narrow what is read (one shop's
    what-if needs its own currency and categories only; "latest wins" holds within each key, so
    the narrowed book answers those shops exactly as the full one); `with_gmv=False` skips the
    schedule for a shop that reported no sales."""
    base_rules = BaseRequirementRule.objects.filter(effective_from__lte=now)
    category_rules = CategoryRequirementRule.objects.filter(effective_from__lte=now)
    if currency is not None:
        base_rules = base_rules.filter(currency=currency)
        category_rules = category_rules.filter(currency=currency)
    if category_ids is not None:
        category_rules = category_rules.filter(category_id__in=list(category_ids))
    base: dict[tuple[str, str, str], BaseRequirementRule] = {}
    for rule in base_rules.order_by("effective_from", "id"):
        base[(rule.shop_type, rule.trademark_status, rule.currency)] = rule  # latest wins
    category: dict[tuple[int, str, str, str], CategoryRequirementRule] = {}
    for rule in category_rules.order_by("effective_from", "id"):
        key = (rule.category_id, rule.shop_type, rule.trademark_status, rule.currency)
        category[key] = rule
    gmv = (
        GmvRequirementSchedule.objects.filter(effective_from__lte=now)
        .order_by("-effective_from", "-id")
        .first()
        if with_gmv
        else None
    )
    return RuleBook(base=base, category=category, gmv=gmv, now=now)


def _category_amount(
    book: RuleBook, *, category_id: int, shop_type: str, trademark: str, currency: str
) -> CategoryRequirementRule | None:
    # Most specific first: a rule for this exact shop type and trademark status beats one for
    # the shop type only, which beats one for the trademark status only, which beats "any".
    for st, tm in ((shop_type, trademark), (shop_type, ""), ("", trademark), ("", "")):
        rule = book.category.get((category_id, st, tm, currency))
        if rule is not None:
            return rule
    return None


def requirement_compute(
    *,
    book: RuleBook,
    shop: Shop,
    categories: Iterable[Any],
    recent_gmv_minor: int | None,
    override: ShopRequirementOverride | None,
) -> tuple[int, dict[str, Any]]:
    """Return (required_minor, basis). `basis` is JSON that says which rule set the amount."""
    if shop.closed_at is not None:
        # After a confirmed exit nothing is required any more: what is left is refunded.
        return 0, {"computed_at": book.now.isoformat(), "deciding": "closed", "required_minor": 0}
    currency = shop.currency
    base_rule = book.base.get((shop.shop_type, shop.trademark_status, currency))
    base_amount = base_rule.amount_minor if base_rule else 0
    lines = []
    for category in categories:
        rule = _category_amount(
            book,
            category_id=category.pk,
            shop_type=shop.shop_type,
            trademark=shop.trademark_status,
            currency=currency,
        )
        if rule is not None:
            lines.append(
                {
                    "category": category.code,
                    "category_zh": category.name_zh,
                    "category_en": category.name_en,
                    "rule": "category",
                    "rule_id": rule.pk,
                    "amount_minor": rule.amount_minor,
                }
            )
        else:
            lines.append(
                {
                    "category": category.code,
                    "category_zh": category.name_zh,
                    "category_en": category.name_en,
                    "rule": "base",
                    "rule_id": base_rule.pk if base_rule else None,
                    "amount_minor": base_amount,
                }
            )
    deciding = max(lines, key=lambda line: line["amount_minor"], default=None)
    amount = deciding["amount_minor"] if deciding else base_amount
    basis: dict[str, Any] = {
        "computed_at": book.now.isoformat(),
        "shop_type": shop.shop_type,
        "trademark_status": shop.trademark_status,
        # The standard table's row for this shop type and trademark status, so that "why this
        # amount" can name it even when every category has an amount of its own.
        "base_minor": base_amount,
        "base_rule_id": base_rule.pk if base_rule else None,
        "categories": lines,
        "deciding": "category" if deciding and deciding["rule"] == "category" else "base",
        "deciding_category": deciding["category"] if deciding else None,
    }
    gmv = book.gmv
    if gmv and gmv.enabled and gmv.currency == currency and recent_gmv_minor is not None:
        tier_amount = max(
            (t["amount_minor"] for t in gmv.tiers if recent_gmv_minor >= t["min_gmv_minor"]),
            default=0,
        )
        if tier_amount > amount:
            basis.update(
                deciding="gmv",
                gmv_minor=recent_gmv_minor,
                gmv_schedule_id=gmv.pk,
                gmv_tier_minor=tier_amount,
                before_gmv_minor=amount,
            )
            amount = tier_amount
    if override is not None:
        basis["computed_minor"] = amount  # what the rules alone would require
        amount = override.amount_minor
        basis.update(
            deciding="override",
            override_id=override.pk,
            override_reason=override.reason,
            override_expires_at=override.expires_at.isoformat() if override.expires_at else None,
        )
    basis["required_minor"] = amount
    return amount, basis


def _active_overrides(shop_ids: list[int], now: datetime) -> dict[int, ShopRequirementOverride]:
    found: dict[int, ShopRequirementOverride] = {}
    for override in (
        ShopRequirementOverride.objects.filter(
            shop_id__in=shop_ids, effective_from__lte=now, revoked_at__isnull=True
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("effective_from", "id")
    ):
        found[override.shop_id] = override  # latest wins
    return found


def requirements_recompute(
    *,
    now: datetime,
    shop_ids: Iterable[int] | None = None,
    actor: AbstractBaseUser | None = None,
    description: str = "",
) -> tuple[int, int]:
    """Recompute cached requirements for the given shops (all when None), in batches: the rules
    are loaded once, each batch is read with two queries and written with one bulk UPDATE of
    only the accounts whose amount or explanation changed. Returns (recomputed, changed)."""
    book = rulebook_load(now=now)
    accounts = Account.objects.filter(kind=Account.Kind.DEPOSIT).order_by("pk")
    if shop_ids is not None:
        accounts = accounts.filter(shop_id__in=list(shop_ids))
    recomputed = changed = 0
    last_pk = 0
    while True:
        batch = list(
            accounts.filter(pk__gt=last_pk)
            .select_related("shop")
            .prefetch_related("shop__categories")[:RECOMPUTE_BATCH]
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        overrides = _active_overrides([a.shop_id for a in batch], now)
        dirty = []
        history = []
        for account in batch:
            amount, basis = requirement_compute(
                book=book,
                shop=account.shop,
                categories=account.shop.categories.all(),
                recent_gmv_minor=account.recent_gmv_minor,
                override=overrides.get(account.shop_id),
            )
            recomputed += 1
            if amount != account.required_minor or _basis_differs(account.requirement_basis, basis):
                if amount != account.required_minor:
                    history.append(
                        RequirementChange(
                            account_id=account.pk,
                            changed_at=now,
                            required_minor=amount,
                            previous_minor=account.required_minor,
                            deciding=str(basis.get("deciding", ""))[:20],
                            cause=description[:300],
                        )
                    )
                account.required_minor = amount
                account.requirement_basis = basis
                dirty.append(account)
        if dirty:
            with transaction.atomic():
                # Ascending pk (deposits.locks): the bulk UPDATE alone would lock the rows in
                # whatever order its plan visits them, and two overlapping recomputes (a rule
                # change and the periodic pass) could each hold a row the other waits for.
                locks.lock_accounts(a.pk for a in dirty)
                # Only the requirement columns: balances are written by the posting path alone.
                Account.objects.bulk_update(dirty, ["required_minor", "requirement_basis"])
                # The amount's history (deposits.models.history), with the amount it records.
                if history:
                    RequirementChange.objects.bulk_create(history)
            changed += len(dirty)
    # Audit who changed what; a periodic pass that changed nothing leaves no row.
    if description and (changed or actor is not None):
        RuleChange.objects.create(
            actor=actor,
            description=description,
            shops_recomputed=recomputed,
            shops_changed=changed,
        )
    if changed:
        shortfall_after_requirement_change(shop_ids=shop_ids, now=now)
    return recomputed, changed


def _basis_differs(old: dict[str, Any], new: dict[str, Any]) -> bool:
    ignore = {"computed_at"}
    return {k: v for k, v in old.items() if k not in ignore} != {
        k: v for k, v in new.items() if k not in ignore
    }


@dataclass(frozen=True)
class ProfileChange:
    """What the merchant asks "what if" about: any of the three, at least one."""

    add_category: Category | None = None
    # A brand to add, by its trademark's status: one only applied for (TM) makes the whole shop
    # a TM shop (domain.md §2: "any trademark only applied for"); a registered one changes
    # nothing unless every other trademark is registered too, which it already is then.
    brand_trademark: str | None = None
    shop_type: str | None = None


@dataclass(frozen=True)
class WhatIf:
    """The shop as it would be, and its deposit against the new requirement. Writes nothing."""

    shop_type: str
    trademark_status: str
    categories: tuple[Category, ...]
    required_minor: int
    basis: dict[str, Any]
    now: Coverage  # the deposit as it is
    after: Coverage  # the same balances against the new requirement

    @property
    def change_minor(self) -> int:
        return self.after.required_minor - self.now.required_minor

    @property
    def fall_minor(self) -> int:
        return max(0, -self.change_minor)

    @property
    def cash_needed_today_minor(self) -> int:
        """What must be paid in today: the coverage rule's shortfall against the new requirement
        (holds, guarantees and any debt counted exactly as everywhere else)."""
        return self.after.shortfall_minor


@dataclass
class _Profile:
    """A shop's requirement-deciding fields, as `requirement_compute` reads them."""

    shop_type: str
    trademark_status: str
    currency: str
    closed_at: datetime | None = None


def requirement_what_if(
    *,
    shop: Shop,
    account: Account,
    categories: Iterable[Category],
    change: ProfileChange,
    now: datetime,
) -> WhatIf:
    """The requirement the shop would have after `change`, computed by the same rules and the
    same `requirement_compute` as the real one, and the cash it would need today by the coverage
    rule. Reads only (rules narrowed to the shop's currency and categories); writes nothing, so
    a merchant may try as many as they like. Refusals name the field they are about."""
    if shop.closed_at is not None:
        raise ShopClosed(gettext("The shop has exited: nothing about it can change any more."))
    current = list(categories)
    shop_type = change.shop_type or shop.shop_type
    trademark = shop.trademark_status
    if change.brand_trademark == TrademarkStatus.APPLIED:
        trademark = TrademarkStatus.APPLIED
    if change.add_category is not None:
        if any(c.pk == change.add_category.pk for c in current):
            raise CategoryAlreadyHeld(
                fields={"category": [str(CategoryAlreadyHeld.default_detail)]}
            )
        if not change.add_category.is_active:
            raise CategoryNotOpen(fields={"category": [str(CategoryNotOpen.default_detail)]})
        current.append(change.add_category)
    if (
        change.add_category is None
        and change.brand_trademark is None
        and (change.shop_type is None or change.shop_type == shop.shop_type)
    ):
        raise NothingChanged()
    book = rulebook_load(
        now=now,
        currency=shop.currency,
        category_ids=[c.pk for c in current],
        with_gmv=account.recent_gmv_minor is not None,
    )
    if (shop_type, trademark, shop.currency) not in book.base:
        field = "shop_type" if shop_type != shop.shop_type else "brand_trademark"
        raise NoRequirementRule(fields={field: [str(NoRequirementRule.default_detail)]})
    # An override in force stays in force whatever the profile: the one the requirement was
    # last computed with (its basis), so trying costs no extra read.
    basis_now = account.requirement_basis or {}
    override = None
    if basis_now.get("deciding") == "override":
        override = ShopRequirementOverride(
            pk=basis_now.get("override_id"),
            amount_minor=basis_now.get("required_minor", account.required_minor),
            reason=basis_now.get("override_reason", ""),
            expires_at=(
                datetime.fromisoformat(basis_now["override_expires_at"])
                if basis_now.get("override_expires_at")
                else None
            ),
        )
    required, basis = requirement_compute(
        book=book,
        shop=_Profile(shop_type=shop_type, trademark_status=trademark, currency=shop.currency),  # type: ignore[arg-type]
        categories=current,
        recent_gmv_minor=account.recent_gmv_minor,
        override=override,
    )
    position = coverage_of(account)
    return WhatIf(
        shop_type=shop_type,
        trademark_status=trademark,
        categories=tuple(current),
        required_minor=required,
        basis=basis,
        now=position,
        after=replace(position, required_minor=required),
    )


def account_open(*, shop: Shop, now: datetime) -> Account:
    """Open the shop's deposit account (idempotent) with its requirement computed."""
    account, created = Account.objects.get_or_create(
        shop=shop, defaults={"kind": Account.Kind.DEPOSIT, "currency": shop.currency}
    )
    if created:
        # The posting statement finds system accounts by code; make sure this currency has them.
        system_account_ids(shop.currency)
        requirements_recompute(now=now, shop_ids=[shop.pk])
        account.refresh_from_db()
    return account


def account_set_recent_gmv(*, account_id: int, gmv_minor: int, now: datetime) -> None:
    """The marketplace reports the shop's recent sales (for GMV tiers)."""
    if gmv_minor < 0:
        raise InvalidInput(fields={"gmv_minor": ["Must be zero or more."]})
    with transaction.atomic():
        shop_id = Account.objects.filter(pk=account_id).values_list("shop_id", flat=True).get()
        Account.objects.filter(pk=account_id).update(recent_gmv_minor=gmv_minor)
        requirements_recompute(now=now, shop_ids=[shop_id])


def override_set(
    *,
    shop: Shop,
    amount_minor: int,
    reason: str,
    actor: AbstractBaseUser,
    now: datetime,
    expires_at: datetime | None = None,
) -> ShopRequirementOverride:
    if amount_minor < 0:
        raise InvalidInput(fields={"amount_minor": ["Must be zero or more."]})
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["Say why this shop's requirement differs."]})
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(fields={"expires_at": ["Must be in the future."]})
    with transaction.atomic():
        override = ShopRequirementOverride.objects.create(
            shop=shop,
            amount_minor=amount_minor,
            reason=reason.strip(),
            effective_from=now,
            expires_at=expires_at,
            created_by=actor,
        )
        requirements_recompute(
            now=now,
            shop_ids=[shop.pk],
            actor=actor,
            description=f"Override for shop {shop.name}: {amount_minor} ({reason.strip()})",
        )
    return override


def requirement_rule_save(
    *, rule: Any, actor: AbstractBaseUser, now: datetime, changed_fields: Iterable[str] = ()
) -> tuple[int, int] | None:
    """Ops add a requirement rule (or edit one not yet in force): saved, audited, and, when it
    is already in force, applied to every shop at once. Returns (recomputed, changed) when it
    recomputed, None for a rule that takes effect later (the hourly recompute applies it then).

    Rules are versioned: a rule in force is never edited (the admin makes its fields read-only);
    a change is a newer row. Plain `atomic`: the admin calls it inside its own transaction."""
    adding = rule.pk is None
    if adding:
        rule.created_by = actor
    verb = "Added" if adding else "Changed"
    fields = f" ({', '.join(sorted(changed_fields))})" if changed_fields and not adding else ""
    description = f"{verb} {rule._meta.verbose_name}{fields}: {rule}"
    with transaction.atomic():
        rule.save()
        if rule.effective_from <= now:
            return requirements_recompute(now=now, actor=actor, description=description)
        RuleChange.objects.create(
            actor=actor,
            description=f"{description} — takes effect {rule.effective_from.isoformat()}",
        )
    return None


def requirement_rule_delete(*, rule: Any, actor: AbstractBaseUser, now: datetime) -> None:
    """Withdraw a rule that has not taken effect yet (one in force is history and stays)."""
    if rule.effective_from <= now:
        raise InvalidTransition(gettext("A rule in force is kept; add a newer rule to change it."))
    with transaction.atomic():
        RuleChange.objects.create(
            actor=actor,
            description=f"Withdrew {rule._meta.verbose_name} before it took effect: {rule}",
        )
        rule.delete()
