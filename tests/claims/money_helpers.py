"""Arranging claims that reached a decision, insured shops, and the checks every money test makes
(the ledger, the insurer's balance per policy)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from claims import services
from claims.models import Claim
from deposits import services as deposit_services
from deposits.models import Account, SystemAccount
from insurance.models import OUTSTANDING_STATUSES, InsuranceProduct, Policy, Recovery
from partners.models import Partner
from shops.models import Shop
from tests.partners.api_client import Api, make_api

_refs = itertools.count(1)


def file(
    partner_id: int,
    shop: Shop,
    now: datetime,
    *,
    reason: str = "LATE_SHIPMENT",
    paid: int = 100_000,
    consumer_ref: str = "buyer-1",
    paid_at: datetime | None = None,
) -> Claim:
    """A claim filed now for an order paid 3 days ago (late shipment of 1,000.00: 300.00)."""
    claim, _ = services.claim_file(
        partner_id=partner_id,
        shop=shop,
        external_ref=f"M-{next(_refs)}",
        reason=reason,
        order_ref=f"O-{next(_refs)}",
        order_paid_minor=paid,
        currency="CNY",
        order_paid_at=paid_at or now - timedelta(days=3),
        order_shipped_at=None,
        consumer_ref=consumer_ref,
        description="Not shipped after 48 hours.",
        now=now,
    )
    return claim


def decided(partner_id: int, shop: Shop, now: datetime, **kw: object) -> Claim:
    """Filed, escalated and upheld by the rule."""
    claim = services.claim_escalate(claim=file(partner_id, shop, now, **kw), now=now)  # type: ignore[arg-type]
    return services.claim_decide(claim=claim, outcome="UPHELD", now=now)


def appealed(claim: Claim, now: datetime) -> Claim:
    return services.claim_appeal(
        claim=claim, now=now, note="Shipped on time: courier receipt SF1234."
    )


def make_insurer_api() -> Api:
    """PICC, the insurer of both default products (as `create_partner_key --insurer` makes it)."""
    issued = make_api("PICC")
    Partner.objects.filter(pk=issued.partner.pk).update(kind=Partner.Kind.INSURER)
    InsuranceProduct.objects.update(insurer=issued.partner)
    return issued


def account(shop: Shop) -> Account:
    return Account.objects.get(shop=shop)


def ledger_ok() -> bool:
    return deposit_services.ledger_check_run().ok


def insurer_balance_matches(policy: Policy) -> bool:
    """−balance(INSURER_ADVANCES) for the policy = Σ outstanding of its recoveries that are not
    cancelled (insurance.models.advances' invariant)."""
    balance = deposit_services.system_account_balance(
        code=SystemAccount.INSURER_ADVANCES,
        currency=policy.currency,
        reference=f"insurance_policy:{policy.public_id}",
    )
    owed = sum(
        r.outstanding_minor
        for r in Recovery.objects.filter(policy=policy, status__in=OUTSTANDING_STATUSES)
    )
    return -balance == owed


def payable_for(claim: Claim) -> int:
    """What compensation payable holds for this claim's deposit postings (capture, deduction,
    reversal all reference "claim:<id>")."""
    return deposit_services.system_account_balance(
        code=SystemAccount.COMPENSATION_PAYABLE,
        currency=claim.currency,
        reference=f"claim:{claim.public_id}",
    )
