"""Suite-wide fixtures and the PostgreSQL rule.

Tests marked `postgres(reason=...)` exercise what only PostgreSQL has: row locks under concurrent
threads, the ledger's triggers, the SQL functions. On SQLite they skip with their reason (`-rs`
groups the skips by it); with REQUIRE_POSTGRES=1 (CI's first run) they fail instead, and so does
the whole session if the database is not PostgreSQL. Everything else runs on both: CI runs the
suite a second time on SQLite, the database `make run` uses.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from django.conf import settings

REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


def _is_postgres() -> bool:
    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_POSTGRES and not _is_postgres():
        raise pytest.UsageError(
            "REQUIRE_POSTGRES=1 but DATABASE_URL does not point at PostgreSQL "
            f"(engine {settings.DATABASES['default']['ENGINE']}). The money tests cannot run."
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("postgres")
    if marker is None:
        return
    reason = marker.kwargs.get("reason")
    if not reason:  # on either database: a skip must say why
        raise pytest.UsageError(f"{item.nodeid}: say why it needs PostgreSQL (reason=...)")
    if not _is_postgres():
        message = f"needs PostgreSQL: {reason}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _no_session_left_on_the_test_database(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Before pytest-django drops the test database, end any session still connected to it.

    The browser tests' live server answers each keep-alive connection in a daemon thread that
    holds its own database connection until the browser lets go; one still alive at the end of
    the session made DROP DATABASE fail ("being accessed by other users"). Requested after
    django_db_setup, so this teardown runs first."""
    yield
    if not _is_postgres():
        return
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def now() -> datetime:
    """A fixed clock: services take `now` and tests pass this one."""
    return datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch, now: datetime) -> datetime:
    """For tests of pages and tasks that read the clock themselves: every `timezone.now()` answers
    `now` (14:00 in Shanghai). A test that computed "today" from the real clock and let the code
    read it again failed when Shanghai midnight fell in between."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    return now


def _install_reference_data() -> None:
    """Re-run the data migrations' installers (idempotent). A transactional test flushes every
    table at its end, data migrations' rows included; the next one would find no categories."""
    import importlib

    from django.apps import apps

    for module in (
        "shops.migrations.0002_default_categories",
        "deposits.migrations.0003_default_rules",
        "insurance.migrations.0002_default_products",
        "claims.migrations.0002_default_rules",
        "shops.migrations.0007_staff_roles",
        "shops.migrations.0008_roles_payouts_and_audit",
        "shops.migrations.0009_roles_four_eyes",
        "shops.migrations.0009_roles_reconciliation",
        "shops.migrations.0009_roles_overview_snapshot",
        "shops.migrations.0010_export_roles",
        "shops.migrations.0014_roles_team_and_requirement_history",
    ):
        importlib.import_module(module).install(apps, None)


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or (
        "live_server" in request.fixturenames or "transactional_db" in request.fixturenames
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        _install_reference_data()


@pytest.fixture
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict]]:
    """Celery messages the code under test publishes, as (task name, kwargs), instead of sending
    them to the broker: the broker is an edge, mocked here and nowhere deeper. Services enqueue by
    name (common.enqueue), so this catches every task they send."""
    from config.celery import app

    sent: list[tuple[str, dict]] = []

    def send_task(
        name: str, args: object = None, kwargs: dict | None = None, **options: object
    ) -> None:
        sent.append((name, kwargs or {}))

    monkeypatch.setattr(app, "send_task", send_task)
    return sent


def otp_verify_session(client, user) -> None:  # type: ignore[no-untyped-def]
    """Mark `client`'s signed-in session as having passed two-factor sign-in for `user`, as the
    verification page does after a right code: a confirmed TOTP device, its id in the session."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _staff_force_login_passes_two_factor(request, monkeypatch):  # type: ignore[no-untyped-def]
    """Admin tests sign staff in with `client.force_login`, which skips the log-in pages, so it
    also skips two-factor sign-in: a forced staff login here is also OTP-verified (the real
    middleware then lets it through exactly as after a right code). Everything else about the
    login is unchanged. Tests of the enforcement itself are marked `otp_enforced` and get the
    plain force_login (tests/ops/test_two_factor.py)."""
    if request.node.get_closest_marker("otp_enforced") is not None:
        return
    from django.test import Client

    plain_force_login = Client.force_login

    def force_login(self, user, backend=None):  # type: ignore[no-untyped-def]
        plain_force_login(self, user, backend)
        if user.is_staff:
            otp_verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)
