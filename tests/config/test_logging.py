"""A 403 is expected, not an error: under the site's LOGGING (common.logging.logging_config) it
is one warning line without a traceback. It used to be two tracebacks: Django's PermissionDenied
warning carries the exception, and Django's default console handler on the "django" logger
printed it before our root handler printed it again."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import Client
from django.utils.log import configure_logging

from common.logging import logging_config
from tests.conftest import otp_verify_session
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ENTRIES_EXPORT = "/admin/deposits/entry/export-csv/"


@pytest.fixture
def site_logging(settings):  # type: ignore[no-untyped-def]
    """The production LOGGING (JSON lines) with DEBUG on, as in development, where Django's own
    console handler is live too. Every stream handler on the way from django.* to the root
    writes into one buffer, yielded; pytest's capture handlers (caplog) are put back on the
    root logger that dictConfig cleared. The suite's quiet LOGGING again afterwards."""
    settings.DEBUG = True
    root = logging.getLogger()
    kept = root.handlers[:]
    configure_logging(settings.LOGGING_CONFIG, logging_config(level="INFO", json=True))
    buffer = io.StringIO()
    for logger in (root, logging.getLogger("django")):
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            ):
                handler.setStream(buffer)
    for handler in kept:
        root.addHandler(handler)
    yield buffer
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    logging.getLogger("django.request").filters.clear()
    for handler in kept:
        if handler not in root.handlers:
            root.addHandler(handler)


def staff_without_export() -> Client:
    """A staff user signed in with two-factor and no permission at all: the export is a 403
    (PermissionDenied raised in the admin view)."""
    user = make_user()
    user.is_staff = True
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    otp_verify_session(client, user)
    return client


def warnings_and_worse(caplog) -> list[logging.LogRecord]:  # type: ignore[no-untyped-def]
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def printed_warnings(buffer: io.StringIO) -> list[str]:
    """What the handlers printed, less the one INFO line per request (deposit_desk.request)."""
    return [
        line
        for line in buffer.getvalue().splitlines()
        if line.strip() and '"level": "info"' not in line
    ]


class TestAForbiddenRequestIsOneLine:
    def test_permission_denied_in_the_admin_is_one_record_without_exc_info(
        self, site_logging, caplog
    ):
        client = staff_without_export()
        caplog.clear()

        response = client.get(ENTRIES_EXPORT)

        assert response.status_code == 403
        records = warnings_and_worse(caplog)
        assert [(r.name, r.getMessage()) for r in records] == [
            ("django.request", f"Forbidden (Permission denied): {ENTRIES_EXPORT}")
        ]
        assert records[0].exc_info is None
        printed = printed_warnings(site_logging)
        assert len(printed) == 1, printed  # not again by Django's own console handler
        line = json.loads(printed[0])
        assert line["event"] == f"Forbidden (Permission denied): {ENTRIES_EXPORT}"
        assert "exc_info" not in line and "exception" not in line

    def test_a_csrf_failure_is_one_record_without_exc_info(self, site_logging, caplog):
        client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(make_user())
        caplog.clear()

        response = client.post("/admin/logout/", {})

        assert response.status_code == 403
        records = warnings_and_worse(caplog)
        assert [(r.name, r.levelname) for r in records] == [("django.security.csrf", "WARNING")]
        assert records[0].exc_info is None
        printed = printed_warnings(site_logging)
        assert len(printed) == 1, printed
        assert "exc_info" not in json.loads(printed[0])

    def test_a_500_keeps_its_traceback_as_text_in_the_json_line(self, site_logging, caplog):
        logger = logging.getLogger("django.request")

        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.error("Internal Server Error: /x", exc_info=True, extra={"status_code": 500})

        (record,) = warnings_and_worse(caplog)
        assert record.exc_info is not None
        (printed,) = printed_warnings(site_logging)
        exception = json.loads(printed)["exception"]
        assert exception.startswith("Traceback (most recent call last):")
        assert exception.rstrip().endswith("RuntimeError: boom")


class TestADatabaseOutageIsOneLinePerRequest:
    """A request that found the database down is answered 503 on purpose (common.unavailable):
    an expected condition, logged as one warning that names the error, not as an "Internal
    Server Error" with a traceback (the PostgreSQL restart drill printed two per request)."""

    def test_the_503_is_one_warning_naming_the_error_without_a_traceback(
        self, site_logging, caplog, monkeypatch
    ):
        from django.db import OperationalError

        from tests.partners.api_client import make_api

        api = make_api("Outage")

        def refuse(*args, **kwargs):
            raise OperationalError("server closed the connection unexpectedly")

        monkeypatch.setattr("partners.services.key_cache.selectors.api_key_by_hash", refuse)
        client = Client(raise_request_exception=False)
        caplog.clear()

        response = client.get("/api/v1/shops/", HTTP_AUTHORIZATION=f"Bearer {api.raw_key}")

        assert response.status_code == 503
        assert "Traceback" not in site_logging.getvalue()
        records = warnings_and_worse(caplog)
        assert [(r.name, r.levelname) for r in records] == [("django.request", "WARNING")]
        assert records[0].exc_info is None
        assert records[0].getMessage() == (
            "Service Unavailable (database: OperationalError: server closed the connection "
            "unexpectedly): /api/v1/shops/"
        )
        (printed,) = printed_warnings(site_logging)
        assert "exception" not in json.loads(printed)
