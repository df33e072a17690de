"""A Celery worker killed with SIGKILL in the middle of a shortfall task: the message was not
acknowledged (acks late), so Redis gives it to the next worker, which runs it; the shortfall is
opened once and its notice written once.

"In the middle" is made certain: this test holds the shop's account row lock, so the task stops
inside its transaction, waiting; the worker (its whole process group) is killed while
PostgreSQL shows it waiting, and only then is the lock released. The second worker uses a
visibility timeout of 5 seconds (production: CELERY_VISIBILITY_TIMEOUT, 900).

Needs CELERY_BROKER_URL=redis://… (skipped without it, failed when CI=true) and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from deposits.models import ShortfallCase
from shops.models import Notification
from tests.deposits.test_shortfall import live_short_shop
from tests.integration.test_celery_shortfall import (
    CELERY,
    REFERENCE_DATA,
    REPO,
    _broker_url,
    _database_url,
)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres(reason="the worker process reaches the test database by DATABASE_URL"),
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 120


def start_worker(tmp_path: Path, queue: str, name: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.integration.celery_settings",
        "PYTHONPATH": str(REPO),
        "DJANGO_DEBUG": "true",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": _broker_url(),
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "SHORTFALL_IT_QUEUE": queue,
        "DEPOSIT_DESK_VAR_DIR": str(tmp_path / "var"),
    }
    process = subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=1",
            "-Q",
            queue,
            "-n",
            f"{name}-{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL reaches the pool child too
    )
    return process, log


def wait_until(check, what: str, logs: list[Path]) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while time.monotonic() - started < TIMEOUT:
        if check():
            return
        time.sleep(0.25)
    text = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs if p.exists())
    pytest.fail(f"{what} did not happen within {TIMEOUT}s\n{text}")


def a_backend_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_task_leaves_the_shortfall_opened_exactly_once(tmp_path, settings):
    import importlib

    from django.apps import apps as django_apps

    from config.celery import app

    assert connection.vendor == "postgresql"
    for module in REFERENCE_DATA:  # an earlier transactional test may have flushed them
        importlib.import_module(module).install(django_apps, None)
    settings.SHORTFALL_EVALUATE_ON_COMMIT = False
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False
    shop, account = live_short_shop(timezone.now() - timedelta(minutes=1))
    assert not ShortfallCase.objects.filter(shop=shop).exists()
    queue = f"killed-{uuid.uuid4().hex[:8]}"

    holder = psycopg2.connect(_database_url())
    with holder.cursor() as cursor:
        cursor.execute("SELECT id FROM deposits_account WHERE id = %s FOR UPDATE", [account.pk])
    first, first_log = start_worker(tmp_path, queue, "first")
    try:
        app.send_task("deposits.tasks.enforce_shortfall", kwargs={"shop_id": shop.pk}, queue=queue)
        wait_until(a_backend_waits_on_a_lock, "the task waiting on the account lock", [first_log])
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        holder.rollback()
        holder.close()
    assert not ShortfallCase.objects.filter(shop=shop).exists()  # the killed run wrote nothing
    # The killed worker may have died holding kombu's restore mutex (it restores unacked
    # messages on a timer); its expiry is 5 s in the test settings, and it is dropped here too.
    import redis

    redis.Redis.from_url(_broker_url()).delete("unacked_mutex")

    second, second_log = start_worker(tmp_path, queue, "second")
    try:
        wait_until(
            lambda: ShortfallCase.objects.filter(shop=shop).exists(),
            "the redelivered task opening the shortfall",
            [first_log, second_log],
        )
        time.sleep(3)  # room for a duplicate run to show itself
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
        redis.Redis.from_url(_broker_url()).delete(queue)

    assert ShortfallCase.objects.filter(shop=shop).count() == 1
    # Opened just now, only the ladder's first step is due: one notice, written once.
    assert Notification.objects.filter(shop=shop).count() == 1
    assert "enforce_shortfall" in second_log.read_text()  # the second worker ran it
