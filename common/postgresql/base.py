"""Django's PostgreSQL backend with a health check that costs no round trip (issue 16, 1).

With `CONN_HEALTH_CHECKS`, Django asks `is_usable()` before the first query of every request on
a reused connection, and the stock backend answers by sending `SELECT 1`: one of an API
deduction's three round trips, and a parse, plan and execute in PostgreSQL for every request
(~0.03 ms of backend CPU, 7% of a pgbench tpcb-like transaction; docs/benchmarks.md).

Between requests the connection is idle: the server sends nothing unasked. When it ends the
session anyway (a restart, `pg_terminate_backend`, `idle_session_timeout`, PgBouncer going away)
it sends a FATAL error and closes the socket, so the socket becomes readable. Here the check is a
`select()` with a zero timeout on that socket: readable, or closed on our side, means not usable
and Django opens a fresh connection, as it did after a failed `SELECT 1`. What neither check sees
quickly, a connection dropped by the network without a word, makes the next query fail: that
request gets the 503 of common/unavailable.py and Django discards the connection, as before.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed:
            return False
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError):  # the descriptor is gone
            return False
        return not readable
