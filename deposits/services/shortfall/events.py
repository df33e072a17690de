"""What partners hear about a shortfall: event payloads, written to the outbox in the caller's
transaction (partners.services.event_publish)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common.times import utc_iso
from deposits.models import (
    Account,
    ShortfallCase,
)
from deposits.selectors import deposit_summary
from partners import services as partner_services
from shops.models import Shop, ShopRestriction


def event_data(
    shop: Shop, account: Account, *, case: ShortfallCase | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "shop": str(shop.public_id),
        "external_ref": shop.external_ref,
        "status": shop.status,
        "deposit": deposit_summary(account).as_dict(),
    }
    if case is not None:
        data["shortfall"] = {
            "case_id": case.pk,
            "currency": case.currency,
            "amount_at_open_minor": case.amount_at_open_minor,
            "amount_minor": account.shortfall_minor,
            "opened_at": utc_iso(case.opened_at),
            "steps": [
                {
                    "step": item["code"],
                    "action": item["action"],
                    "restriction": item["kind"] or None,
                    "due_at": utc_iso(item["due_at"]),
                    "applied": item["position"] < case.step,
                }
                for item in case.plan
            ],
            "resolved_at": utc_iso(case.resolved_at),
            "resolution": case.resolution or None,
        }
    return data


def publish_status_changed(shop: Shop, account: Account, *, previous: str, now: datetime) -> None:
    data = event_data(shop, account)
    data["previous_status"] = previous
    data["restrictions"] = [
        {"kind": r.kind, "reason": r.reason, "since": utc_iso(r.since)}
        for r in ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True).order_by("id")
    ]
    partner_services.event_publish(
        partner_id=shop.partner_id,
        type="shop.status_changed",
        data=data,
        now=now,
        ordering_key=str(shop.public_id),
    )
