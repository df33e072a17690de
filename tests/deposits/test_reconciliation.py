"""Reconciliation on the deposits side: the payment partner's settlement file against our top-ups
and withdrawals, the ledger against itself, the daily job, and working an item.

Persona: finance at the marketplace, the morning after 2 November 2026 (Asia/Shanghai), with the
payment partner's file for that day in hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from common.errors import InvalidInput, InvalidTransition
from deposits import selectors, services, tasks
from deposits.domain.settlement_csv import SettlementFileInvalid
from deposits.models import (
    Account,
    ReconciliationItem,
    ReconciliationItemEvent,
    ReconciliationRun,
    SettlementImport,
    SettlementLine,
)
from partners import services as partner_services
from tests.factories import make_shop, make_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres(reason="reconciliation's constraints and append-only triggers"),
]

YUAN = 100
# 14:00 in Shanghai on 2 November 2026: the business day the partner's file is dated.
DAY_TIME = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
DAY = DAY_TIME.date()
MORNING_AFTER = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)  # 07:00 on 3 November in Shanghai
HEADER = "date,payment_ref,kind,amount,currency,status\n"


def top_up(account: Account, amount_minor: int, ref: str, *, at: datetime = DAY_TIME) -> None:
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency=account.currency,
        payment_ref=ref,
        idempotency_key=f"top-up:{ref}",
        now=at,
    )


def paid_withdrawal(account: Account, amount_minor: int, *, at: datetime = DAY_TIME) -> str:
    result = services.deposit_withdraw(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency=account.currency,
        idempotency_key=f"withdraw:{amount_minor}:{at.isoformat()}",
        now=at,
    )
    reference = result.transaction.withdrawal.reference
    services.withdrawal_payout_sent(reference=reference, now=at)
    services.withdrawal_payout_paid(reference=reference, now=at)
    return reference


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Messages are read in English here (the site's default is Chinese; one test reads that)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def csv_file(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


def items() -> set[tuple[str, str]]:
    return set(ReconciliationItem.objects.values_list("kind", "reference"))


@pytest.fixture
def account() -> Account:
    shop, account = make_shop(now=DAY_TIME - timedelta(days=30))
    top_up(
        account,
        account.required_minor + 1_000 * YUAN,
        "PAY-OPENING",
        at=DAY_TIME - timedelta(days=30),
    )
    account.refresh_from_db()
    return account


@pytest.fixture
def partner_day(account: Account):  # type: ignore[no-untyped-def]
    """Our side of 2 November: four top-ups and one paid withdrawal."""
    top_up(account, 1_000 * YUAN, "PAY-MATCH")
    top_up(account, 200 * YUAN, "PAY-OURS-ONLY")
    top_up(account, 300 * YUAN, "PAY-AMOUNT")
    top_up(account, 10 * YUAN, "PAY-TWICE")
    withdrawal = paid_withdrawal(account, 100 * YUAN)
    # The partner's file: one matched top-up, one we never saw, one for a different amount, one
    # listed twice, the withdrawal paid; nothing for PAY-OURS-ONLY.
    content = csv_file(
        "2026-11-02,PAY-MATCH,top-up,1000.00,CNY,success",
        "2026-11-02,PAY-THEIRS-ONLY,top-up,50.00,CNY,success",
        "2026-11-02,PAY-AMOUNT,top-up,299.00,CNY,success",
        "2026-11-02,PAY-TWICE,top-up,10.00,CNY,success",
        "2026-11-02,PAY-TWICE,top-up,10.00,CNY,success",
        f"2026-11-02,{withdrawal},withdrawal,100.00,CNY,success",
    )
    return content, withdrawal


def import_partner_file(content: bytes, *, name: str = "settlement-2026-11-02.csv"):  # type: ignore[no-untyped-def]
    return services.partner_file_import(content=content, file_name=name, now=MORNING_AFTER)


class TestThePartnersFile:
    def test_each_kind_of_difference_becomes_exactly_one_item(self, partner_day):
        content, withdrawal = partner_day

        result = import_partner_file(content)

        assert result.created
        assert items() == {
            ("MISSING_OURS", "PAY-THEIRS-ONLY"),
            ("MISSING_THEIRS", "PAY-OURS-ONLY"),
            ("AMOUNT_MISMATCH", "PAY-AMOUNT"),
            ("DUPLICATE", "PAY-TWICE"),
        }
        (run,) = result.runs
        assert (run.business_date, run.their_rows, run.our_rows) == (DAY, 6, 5)
        assert (run.matched, run.differences, run.new_items) == (2, 4, 4)
        amount = ReconciliationItem.objects.get(kind="AMOUNT_MISMATCH")
        assert (amount.our_amount_minor, amount.their_amount_minor) == (30_000, 29_900)
        assert amount.line.line_no == 4  # the header is line 1
        duplicate = ReconciliationItem.objects.get(kind="DUPLICATE")
        assert duplicate.details == {"lines": [5, 6]}
        assert set(ReconciliationItem.objects.values_list("state", flat=True)) == {"OPEN"}

    def test_importing_the_same_file_again_changes_nothing(self, partner_day):
        content, _ = partner_day
        first = import_partner_file(content)
        counts = (
            SettlementImport.objects.count(),
            SettlementLine.objects.count(),
            ReconciliationRun.objects.count(),
            ReconciliationItem.objects.count(),
        )

        again = import_partner_file(content, name="same-bytes-other-name.csv")

        assert not again.created and again.runs == []
        assert again.settlement_import.pk == first.settlement_import.pk
        assert (
            SettlementImport.objects.count(),
            SettlementLine.objects.count(),
            ReconciliationRun.objects.count(),
            ReconciliationItem.objects.count(),
        ) == counts

    def test_matching_the_day_again_finds_the_same_items_and_raises_none(self, partner_day):
        content, _ = partner_day
        import_partner_file(content)
        before = items()
        later = MORNING_AFTER + timedelta(hours=20)

        run = services.partner_match_day(day=DAY, now=later, trigger="DAILY")

        assert (run.differences, run.new_items) == (4, 0)
        assert items() == before
        assert set(ReconciliationItem.objects.values_list("last_seen_at", flat=True)) == {later}

    def test_a_payout_they_paid_that_we_still_show_requested_is_a_status_difference(self, account):
        result = services.deposit_withdraw(
            account_id=account.pk,
            amount_minor=50 * YUAN,
            currency="CNY",
            idempotency_key="withdraw-unreported",
            now=DAY_TIME,
        )
        reference = result.transaction.withdrawal.reference

        import_partner_file(csv_file(f"2026-11-02,{reference},withdrawal,50.00,CNY,success"))

        item = ReconciliationItem.objects.get()
        assert (item.kind, item.reference, item.subject) == (
            "STATUS_MISMATCH",
            reference,
            "WITHDRAWAL",
        )
        assert (item.our_status, item.their_status) == ("REQUESTED", "SUCCESS")

    def test_a_payout_reference_matches_whatever_its_case(self, account):
        reference = paid_withdrawal(account, 100 * YUAN)

        run = import_partner_file(
            csv_file(f"2026-11-02,{reference.lower()},withdrawal,100.00,CNY,success")
        ).runs[0]

        assert (run.matched, run.differences) == (1, 0)

    def test_one_reference_credited_by_two_partners_is_a_difference_not_a_match(self, account):
        # References are unique per partner, so two partners may post the same one; the payment
        # provider settled it once, and that must not match one posting and hide the other.
        tmall = partner_services.partner_get_or_create(name="Tmall")
        jd = partner_services.partner_get_or_create(name="JD")
        _, mine = make_shop(now=DAY_TIME - timedelta(days=30), partner_id=tmall.pk)
        _, theirs = make_shop(now=DAY_TIME - timedelta(days=30), partner_id=jd.pk)
        top_up(mine, 10 * YUAN, "PAY-SHARED")
        services.deposit_top_up(
            account_id=theirs.pk,
            amount_minor=10 * YUAN,
            currency=theirs.currency,
            payment_ref="PAY-SHARED",
            idempotency_key="top-up:PAY-SHARED:jd",
            now=DAY_TIME,
        )

        run = import_partner_file(csv_file("2026-11-02,PAY-SHARED,top-up,10.00,CNY,success")).runs[
            0
        ]

        assert run.matched == 0
        assert items() == {("AMOUNT_MISMATCH", "PAY-SHARED")}
        item = ReconciliationItem.objects.get()
        assert (item.our_amount_minor, item.their_amount_minor) == (20 * YUAN, 10 * YUAN)

    def test_a_failed_payment_we_never_credited_agrees(self, account):
        run = import_partner_file(csv_file("2026-11-02,PAY-DECLINED,top-up,80.00,CNY,failed")).runs[
            0
        ]

        assert (run.matched, run.differences) == (1, 0)
        assert not ReconciliationItem.objects.exists()

    def test_a_day_without_their_file_raises_nothing_and_says_so(self, account):
        top_up(account, 10 * YUAN, "PAY-NO-FILE")

        run = services.partner_match_day(day=DAY, now=MORNING_AFTER, trigger="DAILY")

        assert not run.has_statement
        assert not ReconciliationItem.objects.exists()

    def test_a_corrected_file_for_the_day_supersedes_the_first(self, partner_day):
        content, withdrawal = partner_day
        import_partner_file(content)
        corrected = csv_file(
            "2026-11-02,PAY-MATCH,top-up,1000.00,CNY,success",
            "2026-11-02,PAY-OURS-ONLY,top-up,200.00,CNY,success",
            "2026-11-02,PAY-AMOUNT,top-up,300.00,CNY,success",
            "2026-11-02,PAY-TWICE,top-up,10.00,CNY,success",
            f"2026-11-02,{withdrawal},withdrawal,100.00,CNY,success",
        )

        run = import_partner_file(corrected, name="settlement-2026-11-02-v2.csv").runs[0]

        # Nothing differs any more; the items already raised stay for a person to close.
        assert (run.matched, run.differences, run.new_items) == (5, 0, 0)
        assert ReconciliationItem.objects.filter(state="OPEN").count() == 4


class TestABadFile:
    def test_each_bad_cell_is_named_by_line_and_column_and_nothing_is_imported(self, account):
        content = csv_file(
            "2026-11-02,PAY-1,top-up,10.00,CNY,success",
            "2026-11-02,PAY-2,top-up,ten yuan,CNY,success",
            "2026-11-02,PAY-3,refund,10.00,CNY,success",
            "02/11/2026,PAY-4,top-up,10.00,CNY,success",
        )

        with pytest.raises(SettlementFileInvalid) as refused:
            import_partner_file(content)

        assert [str(e) for e in refused.value.errors] == [
            "line 3, column amount: not an amount in CNY: 'ten yuan'",
            "line 4, column kind: 'refund' is not one of top-up, withdrawal",
            "line 5, column date: not a date in the form 2026-12-06: '02/11/2026'",
        ]
        assert refused.value.code == "settlement_file_invalid"
        assert not SettlementImport.objects.exists() and not SettlementLine.objects.exists()
        assert not ReconciliationRun.objects.exists()

    def test_a_missing_column_is_named_on_the_header_line(self, account):
        with pytest.raises(SettlementFileInvalid) as refused:
            import_partner_file(b"date,payment_ref,kind,amount,status\n2026-11-02,P,top-up,1,x\n")

        assert [str(e) for e in refused.value.errors] == [
            "line 1, column currency: missing from the header row"
        ]

    def test_a_header_only_file_is_refused(self, account):
        with pytest.raises(SettlementFileInvalid, match="no lines after the header"):
            import_partner_file(HEADER.encode())


class TestTheLedgerAgainstItself:
    def test_a_balance_changed_behind_the_ledgers_back_becomes_an_item(self, account):
        with connection.cursor() as cursor:  # what no service can do: a cached balance edited
            cursor.execute(
                "UPDATE deposits_account SET posted_minor = posted_minor + 500 WHERE id = %s",
                [account.pk],
            )

        run = services.ledger_reconcile(now=MORNING_AFTER, trigger="MANUAL")

        item = ReconciliationItem.objects.get()
        assert (item.source, item.kind, item.subject) == (
            "LEDGER",
            "LEDGER_INVARIANT",
            "cached_posted_equals_entries",
        )
        assert item.reference == f"cached_posted_equals_entries #{account.pk}"
        assert run.ledger_check_run is not None and not run.ledger_check_run.ok
        assert run.new_items == 1

    def test_a_clean_ledger_raises_nothing(self, account):
        run = services.ledger_reconcile(now=MORNING_AFTER, trigger="MANUAL")

        assert run.differences == 0 and run.ledger_check_run.ok
        assert not ReconciliationItem.objects.exists()


class TestTheDailyJob:
    def test_the_beat_task_checks_the_ledger_and_matches_yesterday(self, account, pinned_clock):
        # The task reads the clock itself: pinned, its "yesterday" is the one the file is for.
        now = pinned_clock
        yesterday = selectors.market_yesterday(now)
        # Their file for yesterday, imported before a top-up of yesterday was recorded late.
        services.partner_file_import(
            content=(
                HEADER + f"{yesterday.isoformat()},PAY-SOMETHING-ELSE,top-up,1.00,CNY,failed\n"
            ).encode(),
            file_name="yesterday.csv",
            now=now,
        )
        top_up(account, 70 * YUAN, "PAY-YESTERDAY-LATE", at=now - timedelta(days=1))
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE deposits_account SET held_minor = held_minor + 1 WHERE id = %s",
                [account.pk],
            )

        outcome = tasks.reconcile_daily()

        assert outcome["day"] == yesterday.isoformat() and outcome["new_items"] == 2
        assert items() == {
            ("MISSING_THEIRS", "PAY-YESTERDAY-LATE"),
            ("LEDGER_INVARIANT", f"cached_held_equals_active_holds #{account.pk}"),
        }
        daily = ReconciliationRun.objects.filter(trigger="DAILY")
        assert set(daily.values_list("source", flat=True)) == {"LEDGER", "PAYMENT_PARTNER"}

    def test_the_job_is_scheduled_daily_in_shanghai_time(self):
        from django_celery_beat.models import PeriodicTask

        task = PeriodicTask.objects.get(task="deposits.tasks.reconcile_daily")

        assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
            "2",
            "30",
            "Asia/Shanghai",
        )


class TestWorkingAnItem:
    @pytest.fixture
    def item(self, account) -> ReconciliationItem:
        import_partner_file(csv_file("2026-11-02,PAY-UNKNOWN,top-up,50.00,CNY,success"))
        return ReconciliationItem.objects.get()

    def test_assigned_investigated_and_resolved_with_a_note_leaves_a_trail(self, item):
        finance = make_user("fin", staff=True)
        supervisor = make_user("sup", staff=True)
        at = MORNING_AFTER + timedelta(hours=1)

        services.reconciliation_item_assign(
            item_id=item.pk, owner_id=finance.pk, actor=supervisor, now=at
        )
        services.reconciliation_item_investigate(item_id=item.pk, actor=finance, now=at)
        done = services.reconciliation_item_resolve(
            item_id=item.pk, actor=finance, note="Credited late as PAY-UNKNOWN-2", now=at
        )

        assert (done.state, done.owner, done.closed_by, done.note) == (
            "RESOLVED",
            finance,
            finance,
            "Credited late as PAY-UNKNOWN-2",
        )
        trail = list(
            ReconciliationItemEvent.objects.filter(item=item).values_list(
                "action", "from_state", "to_state", "actor__username"
            )
        )
        assert trail == [
            ("FOUND", "", "OPEN", None),
            ("ASSIGNED", "OPEN", "OPEN", "sup"),
            ("INVESTIGATING", "OPEN", "INVESTIGATING", "fin"),
            ("RESOLVED", "INVESTIGATING", "RESOLVED", "fin"),
        ]

    def test_closing_needs_a_note_and_a_closed_item_stays_closed(self, item):
        finance = make_user("fin", staff=True)

        with pytest.raises(InvalidInput) as no_note:
            services.reconciliation_item_write_off(
                item_id=item.pk, actor=finance, note="  ", now=MORNING_AFTER
            )
        assert "note" in no_note.value.fields
        services.reconciliation_item_write_off(
            item_id=item.pk, actor=finance, note="Bank fee kept by the partner", now=MORNING_AFTER
        )
        with pytest.raises(InvalidTransition):
            services.reconciliation_item_resolve(
                item_id=item.pk, actor=finance, note="again", now=MORNING_AFTER
            )

        item.refresh_from_db()
        assert item.state == "WRITTEN_OFF"
        assert item.events.count() == 2

    def test_an_item_goes_only_to_a_staff_user(self, item):
        merchant = make_user("merchant-x")

        with pytest.raises(InvalidInput):
            services.reconciliation_item_assign(
                item_id=item.pk, owner_id=merchant.pk, actor=merchant, now=MORNING_AFTER
            )

    def test_the_trail_cannot_be_edited_even_in_sql(self, item):
        from django.db import DatabaseError, transaction

        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE deposits_reconciliationitemevent SET note = 'edited'")


class TestTheAdminPages:
    def _finance(self, client):  # type: ignore[no-untyped-def]
        from django.contrib.auth.models import Group

        user = make_user("finance-ops")
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name="finance"))
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return user

    def test_finance_uploads_the_file_and_sees_the_runs_and_items(self, client, partner_day):
        from django.core.files.uploadedfile import SimpleUploadedFile

        content, _ = partner_day
        self._finance(client)

        response = client.post(
            reverse("admin:deposits_settlementimport_upload"),
            {"file": SimpleUploadedFile("settlement.csv", content, "text/csv")},
            follow=True,
        )

        assert response.status_code == 200
        page = response.content.decode()
        assert "Imported 6 lines for 1 day(s): 2 matched, 4 differences, 4 new items." in page
        items_page = client.get(
            reverse("admin:deposits_reconciliationitem_changelist"), {"state__exact": "OPEN"}
        ).content.decode()
        for ref in ("PAY-THEIRS-ONLY", "PAY-OURS-ONLY", "PAY-AMOUNT", "PAY-TWICE"):
            assert ref in items_page

    def test_an_item_page_says_the_counterparty_and_both_statuses_in_words(self, client, account):
        result = services.deposit_withdraw(
            account_id=account.pk,
            amount_minor=50 * YUAN,
            currency="CNY",
            idempotency_key="withdraw-unreported",
            now=DAY_TIME,
        )
        reference = result.transaction.withdrawal.reference
        import_partner_file(csv_file(f"2026-11-02,{reference},withdrawal,50.00,CNY,success"))
        self._finance(client)

        page = client.get(
            reverse(
                "admin:deposits_reconciliationitem_change",
                args=[ReconciliationItem.objects.get().pk],
            )
        ).content.decode()

        assert "Payment partner settlement" in page
        assert ">Success<" in page and ">Requested<" in page
        assert "PAYMENT_PARTNER" not in page and "SUCCESS" not in page

    def test_a_bad_file_is_shown_line_by_line(self, client, account):
        from django.core.files.uploadedfile import SimpleUploadedFile

        self._finance(client)
        content = csv_file("2026-11-02,PAY-1,top-up,-5,CNY,success")

        response = client.post(
            reverse("admin:deposits_settlementimport_upload"),
            {"file": SimpleUploadedFile("bad.csv", content, "text/csv")},
        )

        assert response.status_code == 400
        assert "line 2, column amount: must be more than 0: &#x27;-5&#x27;" in (
            response.content.decode()
        )
        assert not SettlementImport.objects.exists()

    def test_the_errors_read_in_chinese_too(self, client, account):
        from django.core.files.uploadedfile import SimpleUploadedFile

        self._finance(client)
        content = csv_file("2026-11-02,PAY-1,top-up,ten,CNY,success")

        response = client.post(
            reverse("admin:deposits_settlementimport_upload"),
            {"file": SimpleUploadedFile("bad.csv", content, "text/csv")},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

        page = response.content.decode()
        assert "未导入任何内容" in page
        assert "第 2 行，amount 列：不是有效的 CNY 金额：&#x27;ten&#x27;" in page

    def test_finance_resolves_an_item_from_the_list_with_a_note(self, client, account):
        import_partner_file(csv_file("2026-11-02,PAY-UNKNOWN,top-up,50.00,CNY,success"))
        item = ReconciliationItem.objects.get()
        user = self._finance(client)

        client.post(
            reverse("admin:deposits_reconciliationitem_changelist"),
            {"action": "resolve", "_selected_action": [item.pk], "reason": "Refunded by partner"},
        )

        item.refresh_from_db()
        assert (item.state, item.closed_by, item.note) == ("RESOLVED", user, "Refunded by partner")
