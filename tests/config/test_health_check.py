"""The connection's health check reads the socket instead of sending SELECT 1
(common/postgresql/base.py): a live connection is kept without a round trip, one the server has
closed is replaced before the request's first query."""

from __future__ import annotations

import time

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.postgres(reason="the health check of the PostgreSQL backend"),
    pytest.mark.django_db(transaction=True),
]


def other_connection():
    params = connection.get_connection_params()
    return psycopg2.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})


def last_statement_of(pid: int) -> str:
    with other_connection() as observer, observer.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid() /* marker */")
        return cursor.fetchone()[0]


def request_starts():
    """What Django does before a request's first query on a reused connection."""
    connection.health_check_done = False
    connection.close_if_health_check_failed()


def test_the_project_uses_the_backend_with_the_socket_check():
    assert settings.DATABASES["default"]["ENGINE"] == "common.postgresql"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_a_live_connection_is_kept_without_sending_anything():
    pid = backend_pid()

    request_starts()

    # The server saw nothing after our last statement (the stock check sends SELECT 1).
    assert last_statement_of(pid) == "SELECT pg_backend_pid() /* marker */"
    assert connection.connection is not None
    assert backend_pid() == pid


def test_a_connection_the_server_ended_is_replaced_before_the_first_query():
    pid = backend_pid()
    with other_connection() as admin, admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the FATAL message and the close reach the socket

    request_starts()

    # The stock backend would have found this out with a SELECT 1; the first query of the
    # request now runs on a fresh connection instead of failing.
    assert connection.connection is None
    assert backend_pid() != pid


def test_a_connection_closed_on_our_side_is_not_usable():
    backend_pid()
    connection.connection.close()

    assert connection.is_usable() is False
    connection.close()  # as Django does with a connection found unusable
