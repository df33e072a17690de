"""Arrange the API benchmark: one partner with a key (throttle raised so the limiter counts but
never refuses), SHOPS shops each funded far beyond what the run deducts. Writes the shop ids
(one per line) and the key to OUT_DIR. Run with the benchmark's DATABASE_URL."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from deposits import services as deposits  # noqa: E402
from deposits.models import Account  # noqa: E402
from partners import services as partners  # noqa: E402
from partners.models import Partner  # noqa: E402


def main() -> None:
    shops = int(os.environ.get("SHOPS", "1000"))
    out = Path(os.environ.get("OUT_DIR", "var/bench"))
    out.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    partner = partners.partner_get_or_create(name="Bench marketplace")
    Partner.objects.filter(pk=partner.pk).update(throttle_per_minute=10**9)
    key = partners.api_key_create(partner=partner, now=now, name="bench").raw
    ids = []
    for n in range(shops):
        shop, account = deposits.shop_register(
            merchant_email=f"bench{n}@example.com",
            merchant_name=f"Bench merchant {n}",
            name=f"Bench shop {n}",
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            category_codes=["apparel"],
            external_ref=f"bench-{n}",
            partner_id=partner.pk,
            now=now,
        )
        deposits.deposit_top_up(
            account_id=account.pk,
            amount_minor=10**12,
            currency="CNY",
            payment_ref=f"bench-pay-{n}",
            idempotency_key=f"bench-fund-{n}",
            now=now,
        )
        ids.append(str(shop.public_id))
    (out / "shops.txt").write_text("\n".join(ids) + "\n")
    accounts = Account.objects.filter(shop__partner=partner).values_list("pk", flat=True)
    (out / "accounts.txt").write_text("\n".join(str(pk) for pk in accounts) + "\n")
    (out / "key").write_text(key + "\n")
    print(f"{shops} shops funded; key and ids in {out}/")


if __name__ == "__main__":
    main()
