"""The insurer's statement against our premium, advance and recovery postings, per policy and day.

Persona: finance with PICC's statement for 2 November 2026 (Asia/Shanghai): one line per policy,
kind and day, the day's total.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deposits.domain.settlement_csv import SettlementFileInvalid
from deposits.models import ReconciliationItem, ReconciliationRun, SettlementImport
from insurance import services
from insurance.models import InsurerStatement, Policy
from tests.insurance.test_policies import accepted_policy, pay

pytestmark = [pytest.mark.django_db, pytest.mark.postgres(reason="reconciliation constraints")]

PAID_AT = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # 14:00 on 2 November in Shanghai
MORNING_AFTER = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)
HEADER = "date,policy_number,kind,amount,currency\n"


def yuan(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def paid_policy(api, insurer_api) -> Policy:  # type: ignore[no-untyped-def]
    policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
    pay(policy, policy.premium_minor, now=PAID_AT)
    return policy


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("en"):
        yield


def statement(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


class TestTheInsurersStatement:
    def test_each_kind_of_difference_becomes_exactly_one_item(self, api, insurer_api):
        matched, short, unlisted = (paid_policy(api, insurer_api) for _ in range(3))
        content = statement(
            f"2026-11-02,{matched.policy_number},premium,{yuan(matched.premium_minor)},CNY",
            f"2026-11-02,{short.policy_number},premium,{yuan(short.premium_minor - 100)},CNY",
            "2026-11-02,PICC-NOT-OURS,premium,99.00,CNY",
            f"2026-11-02,{matched.policy_number},advance,10.00,CNY",
            f"2026-11-02,{matched.policy_number},advance,10.00,CNY",
        )

        result = services.insurer_statement_import(
            partner_id=insurer_api.partner.pk,
            content=content,
            file_name="picc-2026-11-02.csv",
            now=MORNING_AFTER,
        )

        assert set(ReconciliationItem.objects.values_list("kind", "reference", "subject")) == {
            ("AMOUNT_MISMATCH", short.policy_number, "PREMIUM"),
            ("MISSING_OURS", "PICC-NOT-OURS", "PREMIUM"),
            ("MISSING_THEIRS", unlisted.policy_number, "PREMIUM"),
            ("DUPLICATE", matched.policy_number, "ADVANCE"),
        }
        (run,) = result.runs
        assert (run.source, run.business_date, run.matched, run.new_items) == (
            "INSURER",
            PAID_AT.date(),
            1,
            4,
        )
        gap = ReconciliationItem.objects.get(kind="AMOUNT_MISMATCH")
        assert gap.our_amount_minor - gap.their_amount_minor == 100
        assert InsurerStatement.objects.get() == result.settlement_import

    def test_the_same_statement_again_changes_nothing(self, api, insurer_api):
        policy = paid_policy(api, insurer_api)
        content = statement(f"2026-11-02,{policy.policy_number},premium,1.00,CNY")
        first = services.insurer_statement_import(
            partner_id=insurer_api.partner.pk, content=content, file_name="a.csv", now=MORNING_AFTER
        )

        again = services.insurer_statement_import(
            partner_id=insurer_api.partner.pk, content=content, file_name="b.csv", now=MORNING_AFTER
        )

        assert not again.created and again.settlement_import == first.settlement_import
        assert ReconciliationItem.objects.count() == 1
        assert ReconciliationRun.objects.count() == 1

    def test_a_bad_kind_names_the_line_and_column(self, insurer_api):
        with pytest.raises(SettlementFileInvalid) as refused:
            services.insurer_statement_import(
                partner_id=insurer_api.partner.pk,
                content=statement("2026-11-02,PICC-1,refund,1.00,CNY"),
                file_name="bad.csv",
                now=MORNING_AFTER,
            )

        assert [str(e) for e in refused.value.errors] == [
            "line 2, column kind: 'refund' is not one of advance, premium, recovery"
        ]
        assert not SettlementImport.objects.exists()

    def test_the_daily_job_rematches_yesterday_for_each_insurer(
        self, api, insurer_api, pinned_clock
    ):
        from deposits import selectors as deposit_selectors
        from insurance import tasks

        # The task reads the clock itself: pinned, its "yesterday" is the one the file is for.
        yesterday = deposit_selectors.market_yesterday(pinned_clock)
        services.insurer_statement_import(
            partner_id=insurer_api.partner.pk,
            content=statement(f"{yesterday.isoformat()},PICC-UNKNOWN,recovery,5.00,CNY"),
            file_name="yesterday.csv",
            now=pinned_clock,
        )

        outcome = tasks.reconcile_insurers_daily()

        assert outcome == {
            "day": yesterday.isoformat(),
            "insurers": 1,
            "differences": 1,
            "new_items": 0,  # found at the import; found again, not raised twice
        }
        assert ReconciliationItem.objects.get().kind == "MISSING_OURS"


def test_finance_uploads_a_statement_in_the_admin(client, api, insurer_api):
    from django.contrib.auth.models import Group

    from tests.factories import make_user

    policy = paid_policy(api, insurer_api)
    user = make_user("finance-insurer")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="finance"))
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    content = statement(f"2026-11-02,{policy.policy_number},premium,1.00,CNY")

    response = client.post(
        reverse("admin:insurance_insurerstatement_upload"),
        {
            "insurer": insurer_api.partner.pk,
            "file": SimpleUploadedFile("picc.csv", content, "text/csv"),
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "1 differences, 1 new items" in response.content.decode()
    assert ReconciliationItem.objects.get().kind == "AMOUNT_MISMATCH"
