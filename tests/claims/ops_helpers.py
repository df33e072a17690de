"""Arranging claims for the ops tests through the services (filed, escalated, decided)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.contrib.auth.models import Permission

from claims import services
from claims.models import Claim
from deposits import services as deposit_services
from deposits.models import Account
from tests.factories import fund, make_shop, make_user

_refs = itertools.count(1)


def funded_shop(partner, now: datetime, amount_minor: int = 5_000_000):  # type: ignore[no-untyped-def]
    shop, account = make_shop(now=now - timedelta(days=30), partner_id=partner.pk)
    fund(account, amount_minor, now=now - timedelta(days=30))
    return shop


def filed(
    partner,  # type: ignore[no-untyped-def]
    shop,
    *,
    at: datetime,
    reason: str = "LATE_SHIPMENT",
    paid: int = 100_000,
    consumer: str = "buyer-1",
    paid_at: datetime | None = None,
    **kw,
) -> Claim:
    n = next(_refs)
    claim, _ = services.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref=kw.pop("external_ref", f"OPS-{n}"),
        reason=reason,
        order_ref=f"ORDER-{n}",
        order_paid_minor=paid,
        currency="CNY",
        order_paid_at=paid_at or at - timedelta(days=3),
        order_shipped_at=None,
        consumer_ref=consumer,
        description="Paid three days ago and still not shipped.",
        now=at,
        **kw,
    )
    return claim


def in_review(partner, shop, *, at: datetime, **kw) -> Claim:  # type: ignore[no-untyped-def]
    return services.claim_escalate(claim=filed(partner, shop, at=at, **kw), now=at)


def appealed(partner, shop, *, decided_at: datetime, appealed_at: datetime) -> Claim:  # type: ignore[no-untyped-def]
    """A decided claim the merchant appealed, through the services."""
    claim = in_review(partner, shop, at=decided_at - timedelta(days=1))
    decided = services.claim_decide(claim=claim, outcome="UPHELD", now=decided_at)
    return services.claim_appeal(claim=decided, now=appealed_at, note="Shipped on time: SF1234.")


def balances(shop) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    account = Account.objects.get(shop=shop)
    return account.posted_minor, account.held_minor, account.debt_minor


def ledger_ok() -> bool:
    return deposit_services.ledger_check_run().ok


def staff(*perms: str, username: str | None = None):  # type: ignore[no-untyped-def]
    """A staff user (not a superuser) with the given claims permissions (codenames)."""
    user = make_user(username)
    user.is_staff = True
    user.save()
    for codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="claims", codename=codename)
        )
    return user


def ops(username: str | None = None):  # type: ignore[no-untyped-def]
    """An ops user who may see, decide and approve claims."""
    return staff("view_claim", "decide_claim", "approve_claim_decision", username=username)
