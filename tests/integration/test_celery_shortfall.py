"""One end-to-end run of shortfall enforcement through a real Celery worker and beat on Redis.

Beat (django-celery-beat's DatabaseScheduler, the schedule from the data migration, sped up to
every second) sends the scan; the worker opens/fans out and applies the ladder: the shop is seen
FROZEN. The merchant tops up (in this process, with the in-process on-commit evaluation switched
off so that the worker has to do it); the next scan resolves the case: the shop is seen ACTIVE.

Needs CELERY_BROKER_URL=redis://… (skipped without it, failed when CI=true) and PostgreSQL (the
worker and beat connect to this test's database through DATABASE_URL).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone

from deposits import services
from deposits.models import ShortfallCase
from shops.models import Notification, Shop
from tests.deposits.test_shortfall import SHORT, live_short_shop, top_up

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres(reason="the worker process reaches the test database by DATABASE_URL"),
    pytest.mark.django_db(transaction=True),
]

REPO = Path(__file__).resolve().parents[2]
# The celery script of the virtualenv running the tests (the project's .venv under `make test`).
CELERY = Path(sys.executable).with_name("celery")
TIMEOUT = 90  # seconds for each expectation; normally met within a few
REFERENCE_DATA = [
    "shops.migrations.0002_default_categories",
    "deposits.migrations.0003_default_rules",
    "deposits.migrations.0006_default_ladder_and_schedules",
    "deposits.migrations.0011_notification_email_tasks_in_shops",
]


def _broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith(("redis://", "rediss://")):
        message = "needs a Redis broker: set CELERY_BROKER_URL=redis://host:6379/<db>"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:  # configured but down: a real failure, not a skip
        pytest.fail(f"CELERY_BROKER_URL={url} is configured but Redis does not answer: {exc}")
    return url


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def _wait_for(check: Callable[[], bool], what: str, logs: Callable[[], str]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < TIMEOUT:
        if check():
            return time.monotonic() - started
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {TIMEOUT}s.\n{logs()}")


@contextlib.contextmanager
def worker_and_beat(
    tmp_path: Path, tasks: list[str], *, name: str = "shortfall-it"
) -> Iterator[Callable[[], str]]:
    """A real Celery worker and beat on the test's database, with only `tasks` scheduled, every
    second (seconds, not minutes), on a queue of their own. Yields a function returning logs."""
    broker = _broker_url()
    for module in REFERENCE_DATA:  # an earlier transactional test may have flushed them
        importlib.import_module(module).install(django_apps, None)
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.exclude(task__in=tasks).update(enabled=False)
    PeriodicTask.objects.filter(task__in=tasks).update(
        interval=every_second, enabled=True, last_run_at=None
    )

    queue = f"{name}-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.integration.celery_settings",
        "PYTHONPATH": str(REPO),
        "DJANGO_DEBUG": "true",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "SHORTFALL_IT_QUEUE": queue,
        "DEPOSIT_DESK_VAR_DIR": str(tmp_path / "var"),
    }
    worker_log = open(tmp_path / "worker.log", "w+")
    beat_log = open(tmp_path / "beat.log", "w+")
    worker = subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    beat = subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "config",
            "beat",
            "--loglevel=INFO",
            "--max-interval=1",
            f"--pidfile={tmp_path / 'beat.pid'}",
        ],
        cwd=REPO,
        env=env,
        stdout=beat_log,
        stderr=subprocess.STDOUT,
    )

    def logs() -> str:
        parts = []
        for label, handle in (("worker", worker_log), ("beat", beat_log)):
            handle.flush()
            handle.seek(0)
            parts.append(f"--- {label} log (last 4000 chars) ---\n{handle.read()[-4000:]}")
        return "\n".join(parts)

    try:
        yield logs
    finally:
        for process in (beat, worker):
            process.terminate()
        for process in (beat, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        worker_log.close()
        beat_log.close()
        # Drop what is left of the test's queue on the broker.
        import redis

        redis.Redis.from_url(broker).delete(queue)


@pytest.fixture
def celery_processes(tmp_path, settings) -> Iterator[Callable[[], str]]:
    # This process plays the merchant and the payment provider only: the worker enforces.
    settings.SHORTFALL_EVALUATE_ON_COMMIT = False
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False
    # Only the shortfall scan and the e-mail sweeper.
    ours = ["deposits.tasks.scan_shortfalls", "shops.tasks.deliver_notification_emails"]
    with worker_and_beat(tmp_path, ours) as logs:
        yield logs


def test_a_real_worker_and_beat_freeze_a_short_shop_and_unfreeze_it_after_a_top_up(
    celery_processes,
):
    logs = celery_processes
    assert connection.vendor == "postgresql"
    # A shop 1,000.00 short whose case opened 15 days ago: everything up to "hide from search"
    # is due, and it is the worker that must apply it.
    opened = timezone.now() - timedelta(days=15, minutes=1)
    shop, account = live_short_shop(opened)
    services.shortfall_evaluate(shop_id=shop.pk, now=opened)
    assert Shop.objects.get(pk=shop.pk).status == "ACTIVE"

    froze_in = _wait_for(
        lambda: Shop.objects.get(pk=shop.pk).status == "FROZEN", "the freeze", logs
    )

    case = ShortfallCase.objects.get(shop=shop)
    assert case.step == 3 and case.status == "OPEN"
    assert list(case.steps.values_list("code", flat=True)) == [
        "notify",
        "restrict-marketing",
        "hide-and-stop-orders",
    ]

    top_up(account, SHORT, now=timezone.now())

    unfroze_in = _wait_for(
        lambda: Shop.objects.get(pk=shop.pk).status == "ACTIVE", "the unfreeze", logs
    )

    case.refresh_from_db()
    assert (case.status, case.resolution) == ("RESOLVED", "TOP_UP")
    # The worker also sent each notice's e-mail once, after commit, through its own task.
    _wait_for(
        lambda: not Notification.objects.filter(shop=shop).exclude(email_status="SENT").exists(),
        "the e-mails",
        logs,
    )
    assert Notification.objects.filter(shop=shop).count() == 4  # notice, 2 restrictions, restored
    print(f"frozen after {froze_in:.1f}s, unfrozen {unfroze_in:.1f}s after the top-up")
