"""Arrange a marketplace's day for bench/load_day.py, on top of bench/api_bench_setup.py (one
marketplace, SHOPS funded shops and its key; run that first, same DATABASE_URL and OUT_DIR):

  - a second key of the marketplace for its payment provider, which confirms top-ups (a top-up
    names the shop, and a shop is found only with its own partner's key: api-v1.md)
  - an insurer partner named the insurer of `perf-bond`, so that quotes are for a real product
  - MERCHANTS merchants' owners signed in: a login per merchant (no usable password: the run
    measures the pages, not PBKDF2) and a session made as Django's login makes it, as if each
    had signed in earlier in the day; the session keys go to OUT_DIR/sessions.txt as
    "<session key> <shop id>" lines
  - an ops staff user (a superuser: the admin's decision form is open to it) who decides
    claims through the admin's service (bench/locust_urls.py)
  - every beat job every BEAT_EVERY seconds, so that each runs several times in ten minutes
    (their production intervals are up to a day)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks  # noqa: E402

from insurance import services as insurance  # noqa: E402
from partners import services as partners  # noqa: E402
from partners.models import Partner  # noqa: E402
from shops.models import MerchantUser, Shop  # noqa: E402


def main() -> None:
    out = Path(os.environ.get("OUT_DIR", "var/bench"))
    merchants = int(os.environ.get("MERCHANTS", "100"))
    beat_every = int(os.environ.get("BEAT_EVERY", "60"))
    now = timezone.now()
    marketplace = Partner.objects.get(name="Bench marketplace")
    provider_key = partners.api_key_create(
        partner=marketplace, now=now, name="payment provider", scopes=["deposits:write"]
    ).raw
    (out / "provider_key").write_text(provider_key + "\n")

    insurer = partners.partner_get_or_create(name="Bench insurer", kind=Partner.Kind.INSURER)
    insurance.product_insurer_assign(code="perf-bond", insurer_id=insurer.pk, now=now)

    User = get_user_model()
    lines = []
    shops = Shop.objects.filter(partner=marketplace).select_related("merchant").order_by("id")
    for shop in shops[:merchants]:
        email = shop.merchant.contact_email
        user = User(username=email, email=email)
        user.set_unusable_password()
        user.save()
        MerchantUser.objects.create(
            user=user, merchant=shop.merchant, role=MerchantUser.Role.OWNER, joined_at=now
        )
        client = Client()
        client.force_login(user)
        lines.append(f"{client.cookies['sessionid'].value} {shop.public_id}")
    (out / "sessions.txt").write_text("\n".join(lines) + "\n")

    ops = User(username="bench-ops", email="bench-ops@example.com", is_staff=True)
    ops.is_superuser = True
    ops.set_unusable_password()
    ops.save()

    every, _ = IntervalSchedule.objects.get_or_create(every=beat_every, period="seconds")
    jobs = PeriodicTask.objects.exclude(name__startswith="celery.")
    jobs.update(interval=every, crontab=None, enabled=True, last_run_at=None, total_run_count=0)
    PeriodicTasks.update_changed()
    names = sorted(jobs.values_list("task", flat=True))
    print(f"{len(lines)} merchants signed in; {len(names)} beat jobs every {beat_every} s")


if __name__ == "__main__":
    main()
