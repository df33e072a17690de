"""Reads of deposits for the dashboard, the API and ops, with joins planned (no N+1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from common.money import format_minor
from common.templatetags.money import money
from deposits.domain.coverage import Coverage, WithdrawLimit, coverage_of
from deposits.domain.references import claim_public_id
from deposits.models import (
    Account,
    Entry,
    Guarantee,
    Hold,
    LedgerTransaction,
    PayoutAccount,
    SettlementImport,
    SettlementLine,
    ShortfallCase,
    Withdrawal,
)
from shops.models import (
    Merchant,
    RestrictionKind,
    Shop,
    ShopRestriction,
    ShopStatus,
    ShopType,
    TrademarkStatus,
)
from shops.selectors import shops_for_merchant

# The deposit's position as the dashboard and the API show it: the coverage rule's value.
DepositSummary = Coverage


def deposit_summary(account: Account) -> Coverage:
    return coverage_of(account)


class ShopBlock(StrEnum):
    """Why nothing can be withdrawn whatever the balances say (checked before coverage)."""

    CLOSED = (
        "closed"  # the exit is confirmed: ops refund what is left, the merchant withdraws nothing
    )
    FROZEN = "frozen"  # ops froze the shop (e.g. a counterfeit investigation that may end in 罚没)


@dataclass(frozen=True)
class WithdrawalPosition:
    """What the merchant can withdraw now, and why nothing when nothing: one decision that the
    shop page, the withdraw panel and the withdraw page all show, so a figure never contradicts
    the sentence beside it."""

    deposit: Coverage
    withdrawable_minor: int
    # SURPLUS exactly when withdrawable_minor > 0; otherwise the first reason that applies.
    limit: ShopBlock | WithdrawLimit

    @property
    def can_withdraw(self) -> bool:
        return self.withdrawable_minor > 0


def withdrawal_position(shop: Shop, account: Account) -> WithdrawalPosition:
    """The shop-level refusals of `deposit_withdraw` (closed, frozen by ops) first, then the
    coverage rule's withdrawable amount and its `WithdrawLimit`."""
    deposit = coverage_of(account)
    if shop.closed_at is not None:
        return WithdrawalPosition(deposit=deposit, withdrawable_minor=0, limit=ShopBlock.CLOSED)
    # The shop pages prefetch the active restrictions, the insurance page annotates the answer
    # (`frozen_now`): no second query for the same rows.
    active = getattr(shop, "active_restrictions", None)
    if hasattr(shop, "frozen_now"):
        frozen = bool(shop.frozen_now)
    elif active is not None:
        frozen = any(r.kind == RestrictionKind.FROZEN for r in active)
    else:
        frozen = shop.restrictions.filter(
            kind=RestrictionKind.FROZEN, lifted_at__isnull=True
        ).exists()
    if frozen:
        return WithdrawalPosition(deposit=deposit, withdrawable_minor=0, limit=ShopBlock.FROZEN)
    return WithdrawalPosition(
        deposit=deposit, withdrawable_minor=deposit.withdrawable_minor, limit=deposit.withdraw_limit
    )


@dataclass(frozen=True)
class ShopRef:
    """What an event needs to say which shop it is about, read with the balances (no extra
    query)."""

    partner_id: int | None
    public_id: uuid.UUID
    external_ref: str
    status: str
    went_live: bool


# The balances a posting plans from and the shop's identity, in one statement. Raw SQL on
# purpose: it runs on every posting, and the ORM's query building cost as much as the round trip
# (profiled: ~0.4 ms of a ~4 ms posting).
ACCOUNT_SNAPSHOT_SQL = (
    "SELECT a.id, a.kind, a.shop_id, a.currency, a.posted_minor, a.held_minor, a.debt_minor, "
    "a.required_minor, a.guaranteed_minor, s.partner_id, s.public_id, s.external_ref, s.status, "
    "s.went_live_at IS NOT NULL FROM deposits_account a LEFT JOIN shops_shop s ON s.id = a.shop_id"
)
_SHOP_PUBLIC_ID = Shop._meta.get_field("public_id")


# On PostgreSQL the same join through a function whose plan the session keeps (deposits
# 0026): sent as a statement, the join's planning cost ten times its index lookups.
_ACCOUNT_SNAPSHOT_CALL = (
    "SELECT * FROM deposits_account_snapshot_v1(%s::bigint, %s::uuid, %s::bigint)"
)


def account_snapshot(account_id: int) -> Account | None:
    """The account's balances as they are now (no lock), with `shop_ref`: where a posting
    starts planning. Only a starting point: the posting function checks the plan under the
    account's lock."""
    if connection.vendor == "postgresql":
        return account_snapshot_from_sql(_ACCOUNT_SNAPSHOT_CALL, [account_id, None, None])
    return account_snapshot_from_sql(ACCOUNT_SNAPSHOT_SQL + " WHERE a.id = %s", [account_id])


def account_snapshot_for_partner_shop(
    *, partner_id: int, shop_public_id: uuid.UUID
) -> Account | None:
    """The same, found by a partner's shop: None when the shop is not this partner's."""
    public_id = _SHOP_PUBLIC_ID.get_db_prep_value(shop_public_id, connection)
    if connection.vendor == "postgresql":
        return account_snapshot_from_sql(_ACCOUNT_SNAPSHOT_CALL, [None, public_id, partner_id])
    return account_snapshot_from_sql(
        ACCOUNT_SNAPSHOT_SQL + " WHERE s.public_id = %s AND s.partner_id = %s",
        [public_id, partner_id],
    )


def account_snapshot_from_sql(sql: str, params: list[Any]) -> Account | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    account = Account(
        kind=row[1],
        shop_id=row[2],
        currency=row[3],
        posted_minor=row[4],
        held_minor=row[5],
        debt_minor=row[6],
        required_minor=row[7],
        guaranteed_minor=row[8],
    )
    account.pk = account.id = row[0]
    account._state.adding = False
    account._state.db = connection.alias
    account.shop_ref = (  # type: ignore[attr-defined]
        ShopRef(
            partner_id=row[9],
            # Raw SQL gives a UUID on PostgreSQL and 32 hex digits on SQLite.
            public_id=uuid.UUID(str(row[10])),
            external_ref=row[11],
            status=row[12],
            went_live=bool(row[13]),
        )
        if row[2] is not None
        else None
    )
    return account


def shops_with_accounts_for_merchant(merchant: Merchant) -> QuerySet[Shop]:
    return shops_for_merchant(merchant).select_related("deposit_account")


def shop_with_account_only(merchant: Merchant, public_id: uuid.UUID) -> Shop | None:
    """One of the merchant's shops with its deposit account, nothing prefetched (pages that
    need neither categories nor restrictions), or None for another merchant's."""
    return (
        Shop.objects.filter(merchant=merchant, public_id=public_id)
        .select_related("deposit_account")
        .first()
    )


LIFTED_RESTRICTIONS_SHOWN = 50


def shop_with_account_for_merchant(merchant: Merchant, public_id: uuid.UUID) -> Shop | None:
    """One of the merchant's shops, or None: another merchant's shop is not found either.

    Its restrictions come in one query (a shop has a handful), split into `active_restrictions`
    (as the shops list has them) and `lifted_restrictions` (the history, most recently lifted
    first): the shop page's query budget (tests/dashboard/test_query_budget.py)."""
    shop = (
        Shop.objects.filter(merchant=merchant, public_id=public_id)
        .select_related("deposit_account")
        .prefetch_related("categories", Prefetch("restrictions", to_attr="all_restrictions"))
        .first()
    )
    if shop is not None:
        restrictions = shop.all_restrictions  # type: ignore[attr-defined]
        shop.active_restrictions = [r for r in restrictions if r.lifted_at is None]  # type: ignore[attr-defined]
        lifted = [r for r in restrictions if r.lifted_at is not None]
        lifted.sort(key=lambda r: r.lifted_at, reverse=True)
        shop.lifted_restrictions = lifted[:LIFTED_RESTRICTIONS_SHOWN]  # type: ignore[attr-defined]
    return shop


def shops_with_accounts_for_partner(
    partner_id: int, *, status: str | None = None, external_ref: str | None = None
) -> QuerySet[Shop]:
    """A partner's shops that have a deposit, with what their API representation needs: deposit
    account joined, categories and active restrictions prefetched (three queries per page,
    whatever its size). `status` and `external_ref` filter when given."""
    shops = (
        Shop.objects.filter(partner_id=partner_id, deposit_account__isnull=False)
        .select_related("deposit_account")
        .prefetch_related(
            "categories",
            Prefetch(
                "restrictions",
                queryset=ShopRestriction.objects.filter(lifted_at__isnull=True).order_by(
                    "since", "id"
                ),
                to_attr="active_restrictions",
            ),
        )
    )
    if status is not None:
        shops = shops.filter(status=status)
    if external_ref is not None:
        shops = shops.filter(external_ref=external_ref)
    return shops


def hold_with_shop_for_partner(*, partner_id: int, hold_public_id: uuid.UUID) -> Hold | None:
    """A hold of one of the partner's shops, annotated with that shop's `shop_public_id` (one
    query); None when there is none, or it is another partner's."""
    return (
        Hold.objects.filter(public_id=hold_public_id, account__shop__partner_id=partner_id)
        .annotate(shop_public_id=F("account__shop__public_id"))
        .first()
    )


def account_for_shop(shop: Shop) -> Account | None:
    return Account.objects.filter(shop=shop).first()


def account_id_for_shop_id(shop_id: int) -> int | None:
    return (
        Account.objects.filter(shop_id=shop_id, kind=Account.Kind.DEPOSIT)
        .values_list("pk", flat=True)
        .first()
    )


def guarantee_for_source(source_ref: str) -> Guarantee | None:
    """The guarantee a source registered (e.g. "insurance_policy:<id>"), or None."""
    return Guarantee.objects.filter(source_ref=source_ref).first()


def open_shortfall_cases(shop: Shop) -> QuerySet[ShortfallCase]:
    """The shop's open shortfall case (at most one), as a queryset a caller may also use in a
    subquery (insurance's what-if reads it with the product, in one statement)."""
    return ShortfallCase.objects.filter(shop=shop, status=ShortfallCase.Status.OPEN)


def shortfall_case_open(shop: Shop) -> bool:
    """Whether the shop has an open shortfall case (insurance's "stably operating" test)."""
    return open_shortfall_cases(shop).exists()


@dataclass(frozen=True)
class DebtOrigin:
    """Where a shop's debt comes from: the latest deduction that went beyond the deposit.

    `owed_minor` is what the shop owes now (it may add up several such deductions, or be less
    after a part was paid); `into_debt_minor` is what that one deduction recorded as debt."""

    currency: str
    owed_minor: int
    deduction_minor: int
    from_deposit_minor: int
    into_debt_minor: int
    occurred_at: Any
    reason: str
    reference: str
    refill_minor: int  # what the deposit still needs once the debt is paid (shortfall − debt)


def debt_origin(account: Account) -> DebtOrigin | None:
    """What the shop owes to the platform and why, or None when it owes nothing. The platform
    paid the consumer the part of a deduction the deposit could not cover (domain.md §3); that
    part is the merchant's debt, paid back first by the next top-up."""
    if account.debt_minor <= 0:
        return None
    debt_entry = (
        Entry.objects.filter(account=account, bucket=Entry.Bucket.DEBT, amount_minor__lt=0)
        .select_related("transaction")
        .order_by("-id")
        .first()
    )
    if debt_entry is None:  # pragma: no cover - a debt is only ever written by such an entry
        return None
    tx = debt_entry.transaction
    from_deposit = -sum(
        e.amount_minor
        for e in tx.entries.filter(account=account, bucket=Entry.Bucket.POSTED)
        if e.amount_minor < 0
    )
    return DebtOrigin(
        currency=account.currency,
        owed_minor=account.debt_minor,
        deduction_minor=from_deposit - debt_entry.amount_minor,
        from_deposit_minor=from_deposit,
        into_debt_minor=-debt_entry.amount_minor,
        occurred_at=tx.occurred_at,
        reason=tx.reason,
        reference=tx.reference,
        refill_minor=max(0, account.shortfall_minor - account.debt_minor),
    )


def entries_for_account(account: Account) -> QuerySet[Entry]:
    """The dashboard's ledger: each entry with its transaction and, for a withdrawal, its payout
    (reference and status) joined."""
    return (
        Entry.objects.filter(account=account)
        .select_related("transaction", "transaction__withdrawal", "actor")
        .order_by("-id")
    )


def withdrawals_for_account(account: Account, *, limit: int = 20) -> list[Withdrawal]:
    """The shop's latest withdrawals with their payout status, newest first."""
    return list(Withdrawal.objects.filter(account=account).order_by("-requested_at", "-id")[:limit])


def withdrawal_for_transaction(tx: LedgerTransaction) -> Withdrawal | None:
    return Withdrawal.objects.filter(transaction=tx).first()


def withdrawal_for_partner(*, partner_id: int, reference: str) -> Withdrawal | None:
    """A withdrawal of one of the partner's shops, with the shop joined (one query)."""
    return (
        Withdrawal.objects.select_related("account__shop")
        .filter(reference=reference.strip().upper(), account__shop__partner_id=partner_id)
        .first()
    )


def payout_account_for_shop(shop: Shop) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(shop=shop).first()


def entries_with_transactions_for_account_id(account_id: int) -> QuerySet[Entry]:
    """The API's ledger page: newest first (Entry's default ordering), each entry's transaction
    joined for its public id."""
    return Entry.objects.filter(account_id=account_id).select_related("transaction")


def holds_for_account_id(account_id: int, *, status: str | None = None) -> QuerySet[Hold]:
    """The API's holds page: newest first (Hold's default ordering), of one status when given."""
    holds = Hold.objects.filter(account_id=account_id)
    if status is not None:
        holds = holds.filter(status=status)
    return holds


# --- Claim references ---------------------------------------------------------------------------
# Claims post and hold under "claim:<public id>"; the shop page names the claim by its order
# reference and links to it. Deposits may not import claims, so the claims app hands over its
# reader at start-up (claims.apps), as it does its reason labels.


@dataclass(frozen=True)
class ClaimRef:
    public_id: uuid.UUID
    label: str  # the order reference the merchant knows the claim by


ClaimRefReader = Callable[[int, list[uuid.UUID]], dict[uuid.UUID, str]]
_claim_ref_readers: list[ClaimRefReader] = []


def claim_ref_reader_register(reader: ClaimRefReader) -> None:
    """`reader(shop_id, public ids)` → {public id: order reference}, in one query."""
    _claim_ref_readers[:] = [reader]


def claim_refs_for_shop(shop: Shop, references: Iterable[str | None]) -> dict[str, ClaimRef]:
    """Every "claim:<id>" among `references` that names one of the shop's claims, read in one
    query (none when no reference names a claim)."""
    ids = {ref: claim_public_id(ref) for ref in set(references) if ref}
    wanted = sorted({i for i in ids.values() if i is not None})
    if not wanted or not _claim_ref_readers:
        return {}
    labels = _claim_ref_readers[0](shop.pk, wanted)
    return {
        ref: ClaimRef(public_id=i, label=labels[i])
        for ref, i in ids.items()
        if i is not None and i in labels
    }


def holds_for_account(account: Account, *, active_only: bool = False) -> QuerySet[Hold]:
    qs = Hold.objects.filter(account=account).order_by("-id")
    if active_only:
        qs = qs.filter(status=Hold.Status.ACTIVE)
    return qs


def requirement_explanation(basis: dict[str, Any], *, language: str) -> dict[str, Any]:
    """Turn the cached requirement basis into sentences and rows for the merchant, in their
    language: which rule and which category set the amount."""
    deciding = basis.get("deciding")
    shop_type = str(ShopType(basis["shop_type"]).label) if basis.get("shop_type") else ""
    trademark = (
        str(TrademarkStatus(basis["trademark_status"]).label)
        if basis.get("trademark_status")
        else ""
    )
    english = language.startswith("en")
    rows = [
        {
            "category": line["category_en"] if english else line["category_zh"],
            "rule": _("Category rule") if line["rule"] == "category" else _("Standard table"),
            "amount_minor": line["amount_minor"],
            "deciding": line["category"] == basis.get("deciding_category"),
        }
        for line in basis.get("categories", [])
    ]
    deciding_name = next((r["category"] for r in rows if r["deciding"]), "")
    if deciding == "closed":
        # When the refund happens (or happened) is said once, by the page's exit banner, which
        # knows whether anything is left; here only why nothing is required.
        text = _("The shop has exited: no deposit is required any more.")
    elif deciding == "override":
        text = _("The platform set this amount for your shop: %(reason)s") % {
            "reason": basis.get("override_reason", "")
        }
    elif deciding == "gmv":
        text = _("Your recent sales (%(gmv)s) fall in a sales tier that requires this amount.") % {
            "gmv": format_minor(basis.get("gmv_minor", 0), "CNY")
        }
    elif deciding == "category":
        text = _(
            "“%(category)s” has an amount of its own for a %(shop_type)s, and it is the "
            "highest among your categories."
        ) % {"category": deciding_name, "shop_type": shop_type}
    elif deciding == "base":
        text = _(
            "The standard amount for a %(shop_type)s with %(trademark)s; none of your "
            "categories has a higher amount of its own."
        ) % {
            # Lower-case only the first letter: "(R)" and "(TM)" keep their capitals.
            "shop_type": shop_type,
            "trademark": trademark[:1].lower() + trademark[1:] if english else trademark,
        }
    else:
        text = ""
    return {"text": text, "rows": rows}


@dataclass(frozen=True)
class WhyStep:
    """One line of "why is my requirement this much": a rule row and what it gave, in words.
    The steps run in the order the rules are applied; the last one's amount is the requirement."""

    kind: str  # base | category | highest | gmv | override | closed
    text: str
    amount_minor: int


def requirement_why(basis: dict[str, Any], *, currency: str, language: str) -> list[WhyStep]:
    """The rule rows that produced the requirement recorded in `basis` (requirement_compute's),
    as sentences in `language`: the standard table's row for the shop type and trademark status,
    each category's amount (its own rule or the standard one), the highest of them, then a sales
    tier that raised it and an override that replaced it. Empty for a basis without detail."""
    if not basis:
        return []
    with translation.override(language):
        return _why_steps(basis, currency, language.startswith("en"))


def _why_steps(basis: dict[str, Any], currency: str, english: bool) -> list[WhyStep]:
    def m(amount: int) -> str:
        return money(amount, currency)

    if basis.get("deciding") == "closed":
        return [WhyStep("closed", _("The shop has exited: no deposit is required any more."), 0)]
    steps: list[WhyStep] = []
    shop_type = str(ShopType(basis["shop_type"]).label) if basis.get("shop_type") else ""
    trademark = (
        str(TrademarkStatus(basis["trademark_status"]).label)
        if basis.get("trademark_status")
        else ""
    )
    lines = basis.get("categories", [])
    base_minor = basis.get("base_minor")
    if base_minor is None:  # a basis computed before the standard row was recorded
        base_minor = next((x["amount_minor"] for x in lines if x["rule"] == "base"), None)
    if base_minor is not None:
        steps.append(
            WhyStep(
                "base",
                _("{shop_type} with {trademark}: {amount} (the standard table).").format(
                    shop_type=shop_type,
                    # Mid-sentence in English: lower-case the first letter ("(R)" keeps its).
                    trademark=trademark[:1].lower() + trademark[1:] if english else trademark,
                    amount=m(base_minor),
                ),
                base_minor,
            )
        )
    for line in lines:
        name = line["category_en"] if english else line["category_zh"]
        if line["rule"] == "category":
            text = _("Category “{category}” has an amount of its own: {amount}.")
        else:
            text = _("Category “{category}” has no amount of its own: the standard {amount}.")
        steps.append(
            WhyStep(
                "category",
                text.format(category=name, amount=m(line["amount_minor"])),
                line["amount_minor"],
            )
        )
    deciding = next((x for x in lines if x["category"] == basis.get("deciding_category")), None)
    if deciding is not None:
        name = deciding["category_en"] if english else deciding["category_zh"]
        steps.append(
            WhyStep(
                "highest",
                _(
                    "“{category}” has the highest amount among your categories, and the "
                    "highest applies (amounts do not add up): {amount}."
                ).format(category=name, amount=m(deciding["amount_minor"])),
                deciding["amount_minor"],
            )
        )
    elif base_minor is not None:
        steps.append(
            WhyStep(
                "highest",
                _("The shop has no category, so the standard amount applies: {amount}.").format(
                    amount=m(base_minor)
                ),
                base_minor,
            )
        )
    if basis.get("gmv_tier_minor") is not None:
        steps.append(
            WhyStep(
                "gmv",
                _(
                    "Your recent sales ({gmv}) reach a sales tier of {tier}, more than "
                    "{before}: the tier applies."
                ).format(
                    gmv=m(basis.get("gmv_minor", 0)),
                    tier=m(basis["gmv_tier_minor"]),
                    before=m(basis.get("before_gmv_minor", 0)),
                ),
                basis["gmv_tier_minor"],
            )
        )
    if basis.get("deciding") == "override":
        expires = basis.get("override_expires_at")
        text = _("The platform set this shop's amount to {amount} (reason: {reason}).").format(
            amount=m(basis.get("required_minor", 0)), reason=basis.get("override_reason", "")
        )
        if expires:
            text += " " + _("It applies until {date}; then the rules above apply again.").format(
                date=expires[:10]
            )
        steps.append(WhyStep("override", text, basis.get("required_minor", 0)))
    return steps


def hold_by_public_id(public_id: uuid.UUID) -> Hold | None:
    """For claims, which keep the public id of the hold placed at escalation."""
    return Hold.objects.filter(public_id=public_id).first()


def transaction_public_id_for_key(idempotency_key: str) -> uuid.UUID | None:
    """The public id of the ledger transaction an operation with this key wrote (claims cite it
    on each funding row)."""
    return (
        LedgerTransaction.objects.filter(idempotency_key=idempotency_key)
        .values_list("public_id", flat=True)
        .first()
    )


# --- Reconciliation ------------------------------------------------------------------------------

MARKET_TZ_NAME = "Asia/Shanghai"


def market_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The business day `day` (Asia/Shanghai, as the counterparties date their files) as UTC
    instants: [start, end)."""
    tz = ZoneInfo(MARKET_TZ_NAME)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def market_yesterday(now: datetime) -> date:
    return now.astimezone(ZoneInfo(MARKET_TZ_NAME)).date() - timedelta(days=1)


def settlement_lines_effective(stream: str) -> QuerySet[SettlementLine]:
    """A counterparty's statement as it stands: for each day, the lines of the latest import of
    `stream` that has lines for that day (a corrected file supersedes the earlier one)."""
    latest_for_day = (
        SettlementLine.objects.filter(stream=stream, business_date=OuterRef("business_date"))
        .order_by("-settlement_import_id")
        .values("settlement_import_id")[:1]
    )
    return SettlementLine.objects.filter(
        stream=stream, settlement_import_id=Subquery(latest_for_day)
    )


def settlement_streams(source: str) -> list[str]:
    """The counterparties of `source` that ever sent a file (each insurer is its own stream)."""
    return list(
        SettlementImport.objects.filter(source=source)
        .order_by("stream")
        .values_list("stream", flat=True)
        .distinct()
    )


# --- The book's totals (the ops overview and the daily snapshot) --------------------------------


@dataclass(frozen=True)
class BookTotals:
    """What the deposit accounts of one currency hold, summed in the database."""

    currency: str
    accounts: int
    posted_minor: int
    held_minor: int
    debt_minor: int
    guaranteed_minor: int
    accounts_in_debt: int


def deposit_totals_by_currency() -> list[BookTotals]:
    """One grouped read of the cached balances (one row per currency, never one per account)."""
    rows = (
        Account.objects.filter(kind=Account.Kind.DEPOSIT)
        .values("currency")
        .annotate(
            accounts=Count("id"),
            posted=Sum("posted_minor"),
            held=Sum("held_minor"),
            debt=Sum("debt_minor"),
            guaranteed=Sum("guaranteed_minor"),
            in_debt=Count("id", filter=Q(debt_minor__gt=0)),
        )
        .order_by("currency")
    )
    return [
        BookTotals(
            currency=row["currency"],
            accounts=row["accounts"],
            posted_minor=row["posted"] or 0,
            held_minor=row["held"] or 0,
            debt_minor=row["debt"] or 0,
            guaranteed_minor=row["guaranteed"] or 0,
            accounts_in_debt=row["in_debt"],
        )
        for row in rows
    ]


# The shop standings the overview counts, by the snapshot's column.
SHOP_STATE_COLUMNS = {
    ShopStatus.ACTIVE: "shops_live",
    ShopStatus.ONBOARDING: "shops_onboarding",
    ShopStatus.RESTRICTED: "shops_restricted",
    ShopStatus.FROZEN: "shops_frozen",
}


def shop_states_by_currency() -> dict[str, dict[str, int]]:
    """Shops per currency by snapshot column: one GROUP BY over the shops, and the closing ones
    (closed, the deposit still holding money: closed shops only, through the status index)."""
    counts: dict[str, dict[str, int]] = {}
    for row in Shop.objects.values("currency", "status").annotate(n=Count("id")).order_by():
        column = SHOP_STATE_COLUMNS.get(row["status"])
        if column:
            counts.setdefault(row["currency"], {})[column] = row["n"]
    for row in (
        Account.objects.filter(
            kind=Account.Kind.DEPOSIT, shop__status=ShopStatus.CLOSED, posted_minor__gt=0
        )
        .values("currency")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.setdefault(row["currency"], {})["shops_closing"] = row["n"]
    return counts


def open_shortfalls_by_currency() -> dict[str, tuple[int, int]]:
    """Open shortfall cases per currency: (how many, how much short now)."""
    rows = (
        ShortfallCase.objects.filter(status=ShortfallCase.Status.OPEN)
        .values("currency")
        .annotate(cases=Count("id"), amount=Sum("amount_minor"))
        .order_by("currency")
    )
    return {row["currency"]: (row["cases"], row["amount"] or 0) for row in rows}


# How long open shortfall cases have been open: the overview counts these, the cases list filters
# by them (one definition, so a figure and the list behind it agree).
SHORTFALL_AGE_BUCKETS = ("7d", "30d", "90d", "older")


def shortfall_age_filter(bucket: str, *, now: datetime) -> Q:
    week, month, quarter = (now - timedelta(days=d) for d in (7, 30, 90))
    return {
        "7d": Q(opened_at__gt=week),
        "30d": Q(opened_at__lte=week, opened_at__gt=month),
        "90d": Q(opened_at__lte=month, opened_at__gt=quarter),
        "older": Q(opened_at__lte=quarter),
    }[bucket]


# What the overview's money figures link to: deposit accounts holding money or in debt.
ACCOUNT_BALANCE_FILTERS = {
    "holding": Q(posted_minor__gt=0),
    "debt": Q(debt_minor__gt=0),
}
