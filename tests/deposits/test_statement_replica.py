"""The statement reads from the read replica when one is configured (DATABASE_REPLICA_URL), and
nothing else does: the page, its totals, its running balances and its downloads are the
dashboard's heaviest reads and tolerate a second of lag; the shop lookup that decides who may
read it, and every money path, stay on the primary.

The replica here is a second connection to the test database under the alias `replica`, added
for the test the way settings add it from DATABASE_REPLICA_URL; its queries are captured apart
from the primary's. Transactional: the second connection must see what the first committed."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from common.replica import REPLICA_ALIAS, ReplicaRouter, statement_db
from deposits.models import Entry
from tests.deposits import test_statement
from tests.deposits.test_statement import _csv_rows, _page, _url

ledger = test_statement.ledger  # the statement tests' shop and six entries, as a fixture here

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(monkeypatch):  # type: ignore[no-untyped-def]
    """The alias `replica`, pointing at the test database, for the test's duration."""
    monkeypatch.setitem(
        connections.settings, REPLICA_ALIAS, dict(connections["default"].settings_dict)
    )
    conn = connections[REPLICA_ALIAS]
    # Connected here: Django's test case refuses to open a connection for an alias it did not
    # set up (ensure_connection), not to use one that is open; this alias is the test's own.
    conn.connect()
    yield conn
    conn.close()
    del connections[REPLICA_ALIAS]


def _ledger_sql(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if "deposits_entry" in q["sql"]]


def test_the_statement_page_reads_the_ledger_from_the_replica_and_shows_what_it_holds(
    client, ledger, replica
):
    shop, _ = ledger
    with CaptureQueriesContext(connections["default"]) as primary:
        with CaptureQueriesContext(replica) as on_replica:
            page = _page(client, shop, date_from="2026-11-01", date_to="2026-11-30")

    assert [(e.kind, e.amount_minor) for e in page.rows] == [
        ("TOP_UP", 30_000),
        ("DEDUCTION", -9_999),
    ]
    # Rows, totals and the running balances (raw SQL) all came from the replica...
    assert len(_ledger_sql(on_replica.captured_queries)) >= 3
    assert any("OVER (ORDER BY" in sql for sql in _ledger_sql(on_replica.captured_queries))
    # ...and not one ledger read from the primary; the shop and the member were read there.
    assert _ledger_sql(primary.captured_queries) == []
    assert any("shops_shop" in q["sql"] for q in primary.captured_queries)


def test_the_download_streams_from_the_replica(client, ledger, replica):
    shop, account = ledger
    with CaptureQueriesContext(connections["default"]) as primary:
        with CaptureQueriesContext(replica) as on_replica:
            response = client.get(
                _url(shop, "statement_csv"), {"date_from": "2026-10-01", "date_to": "2026-12-31"}
            )
            rows = _csv_rows(response)

    every_entry = Entry.objects.filter(account=account).values_list("id", flat=True)
    assert sorted(int(row[8]) for row in rows[1:]) == sorted(every_entry)
    assert _ledger_sql(on_replica.captured_queries)
    assert _ledger_sql(primary.captured_queries) == []


def test_without_a_replica_the_statement_reads_the_primary(client, ledger):
    shop, _ = ledger
    assert statement_db() == "default"
    with CaptureQueriesContext(connections["default"]) as primary:
        page = _page(client, shop, date_from="2026-11-01", date_to="2026-11-30")

    assert len(page.rows) == 2
    assert _ledger_sql(primary.captured_queries)


def test_migrate_never_touches_the_replica():

    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA_ALIAS, "deposits") is False
    assert router.allow_migrate("default", "deposits") is None
