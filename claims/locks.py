"""Every row lock the claims app takes, in one place (like deposits.locks, insurance.locks).

Order: the claims of one (shop, consumer) pair, ascending pk, then deposits' own locks, which
deposits' services take inside (account → hold). This crosses the guide's "account, then
claim" on purpose and in one direction only: a decision must see every earlier award of the
pair before it computes the 24-hour cap, and nothing locks a claim while holding an account
(deposits does not know claims; no claims code locks a claim after calling deposits). Keep it so.

Mode FOR NO KEY UPDATE, as deposits.locks: rows that point at a claim by foreign key (timeline,
funding) take KEY SHARE on insert and must not queue behind the lock.
"""

from __future__ import annotations

from claims.models import Claim


def lock_claim_with_pair(claim_id: int) -> Claim:
    """Lock every claim of this claim's (shop, consumer) pair, in pk order, and return this one
    as locked (its status is the truth from here to the commit)."""
    shop_id, consumer_ref = Claim.objects.values_list("shop_id", "consumer_ref").get(pk=claim_id)
    locked = list(
        Claim.objects.filter(shop_id=shop_id, consumer_ref=consumer_ref)
        .select_for_update(no_key=True, of=("self",))
        .order_by("pk")
    )
    return next(c for c in locked if c.pk == claim_id)


def lock_consumer_claims(*, partner_id: int, consumer_ref: str) -> list[Claim]:
    """Lock every claim of one partner's consumer, across shops, in pk order (marking a consumer
    malicious). A superset of each of the consumer's pairs taken in the same pk order, so it
    cannot deadlock with a decision holding one pair; take it before lock_claim_with_pair."""
    return list(
        Claim.objects.filter(partner_id=partner_id, consumer_ref=consumer_ref)
        .select_for_update(no_key=True, of=("self",))
        .order_by("pk")
    )


def lock_claim(claim_id: int) -> Claim:
    return Claim.objects.select_for_update(no_key=True, of=("self",)).get(pk=claim_id)
