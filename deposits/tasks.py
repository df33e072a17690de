"""Celery entry points for deposits: each loads what it needs and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from deposits import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def expire_due_holds() -> int:
    return services.holds_expire_due(now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_ledger_check() -> bool:
    return services.ledger_check_run().ok


# --- Shortfall enforcement ----------------------------------------------------------------------


def _fan_out(shop_ids: list[int]) -> None:
    for shop_id in shop_ids:
        enforce_shortfall.apply_async(kwargs={"shop_id": shop_id})


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def scan_shortfalls() -> dict[str, int]:
    """Every 5 minutes (django-celery-beat): open missing cases set-based, then one task per shop
    with work due."""
    return services.shortfall_scan(now=timezone.now(), dispatch=_fan_out).as_dict()


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def enforce_shortfall(shop_id: int) -> dict[str, object]:
    """One shop: lock its account, re-check, apply what is due. Running it twice changes nothing."""
    return services.shortfall_evaluate(shop_id=shop_id, now=timezone.now()).as_dict()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def expire_due_guarantees() -> int:
    return services.guarantees_expire_due(now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recompute_requirements() -> dict[str, int]:
    """Hourly: rules added with a future effective_from take effect without anyone acting."""
    recomputed, changed = services.requirements_recompute(
        now=timezone.now(), description="Periodic recompute (rules taking effect)"
    )
    return {"recomputed": recomputed, "changed": changed}


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def reconcile_daily() -> dict[str, object]:
    """Daily (django-celery-beat, 02:30 Asia/Shanghai): the ledger check, then yesterday against
    the payment partner's statement; each difference an item. Running it twice raises nothing
    new (items are unique by key)."""
    return services.reconciliation_daily(now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def take_daily_snapshot() -> int:
    """Every 5 minutes: today's totals for the ops overview (its figures over every shop and its
    charts); the first run also derives the 90 days before it from the ledger (days that already
    have a row are left alone)."""
    now = timezone.now()
    derived = services.daily_snapshots_backfill(now=now)
    return services.daily_snapshot_take(now=now) + derived


# --- Ledger day totals (the coverage chart's and the statement's rollup) ------------------------


def _roll_up_chunks(account_ids: list[int]) -> None:
    roll_up_ledger_accounts.apply_async(kwargs={"account_ids": account_ids})


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def roll_up_ledgers() -> int:
    """Nightly (django-celery-beat, 00:20 Asia/Shanghai, just after the merchants' day closed):
    the accounts with entries above their rollup mark, in chunks of one task each."""
    return services.entry_rollups_due(dispatch=_roll_up_chunks)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def roll_up_ledger_accounts(account_ids: list[int]) -> int:
    """One chunk of accounts, each in its own transaction; running it twice rolls nothing more."""
    now = timezone.now()
    return sum(
        services.entry_rollup_advance(account_id=account_id, now=now) for account_id in account_ids
    )
