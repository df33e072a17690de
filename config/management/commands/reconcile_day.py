"""The daily reconciliation by hand: what the two beat tasks do (deposits' ledger check and
payment partner match, insurance's insurer match), for yesterday or a given day."""

from datetime import date

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from deposits.models import ReconciliationRun, ReconciliationSource
from insurance import services as insurance_services


class Command(BaseCommand):
    help = (
        "Run the ledger check and match one business day (default: yesterday, Asia/Shanghai) "
        "against the payment partner's and every insurer's statement. A summary last."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD")

    def handle(self, *args: object, **options: object) -> None:
        now = timezone.now()
        day = options["day"] or deposit_selectors.market_yesterday(now)
        manual = ReconciliationRun.Trigger.MANUAL
        runs = [
            deposit_services.ledger_reconcile(now=now, trigger=manual),
            deposit_services.partner_match_day(day=day, now=now, trigger=manual),
        ]
        for stream in deposit_selectors.settlement_streams(ReconciliationSource.INSURER):
            runs.append(
                insurance_services.insurer_match_day(
                    partner_id=int(stream.split(":", 1)[1]), day=day, now=now, trigger=manual
                )
            )
        for run in runs:
            statement = " (no statement for the day)" if run.has_statement is False else ""
            self.stdout.write(
                f"  {run.get_source_display()}: {run.differences} differences, "
                f"{run.new_items} new items{statement}"
            )
        self.stdout.write(
            f"reconcile_day {day}: {len(runs)} runs, "
            f"{sum(r.differences for r in runs)} differences, "
            f"{sum(r.new_items for r in runs)} new items"
        )
