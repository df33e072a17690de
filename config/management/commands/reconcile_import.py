"""Import a counterparty's file from the shell (a cron job fetching the partner's SFTP drop, or
ops by hand) and match the days it covers: the admin's upload, without the browser. In config
because the insurer's side is insurance's and the partner's is deposits'."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from deposits import services as deposit_services
from deposits.domain.settlement_csv import SettlementFileInvalid
from insurance import services as insurance_services
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Import the payment partner's settlement file (--source payment_partner) or an insurer's "
        "statement (--source insurer --insurer NAME) and match every day it covers. Importing "
        "the same file again changes nothing. A one-line summary last; exit 1 on a bad file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", choices=["payment_partner", "insurer"], required=True)
        parser.add_argument("--insurer", help="The insurer partner's name (for --source insurer).")

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["path"]  # type: ignore[assignment]
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        content, now, via = path.read_bytes(), timezone.now(), "command:reconcile_import"
        try:
            if options["source"] == "insurer":
                insurer = Partner.objects.filter(name=options["insurer"] or "").first()
                if insurer is None:
                    raise CommandError("Give --insurer with the insurer partner's exact name.")
                result = insurance_services.insurer_statement_import(
                    partner_id=insurer.pk, content=content, file_name=path.name, now=now, via=via
                )
            else:
                result = deposit_services.partner_file_import(
                    content=content, file_name=path.name, now=now, via=via
                )
        except SettlementFileInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            self.stdout.write(f"reconcile_import: {path.name} refused, nothing imported")
            sys.exit(1)
        imported = result.settlement_import
        if not result.created:
            self.stdout.write(
                f"reconcile_import: {path.name} already imported on "
                f"{imported.uploaded_at:%Y-%m-%d %H:%M} (id {imported.pk}); nothing changed"
            )
            return
        for run in result.runs:
            self.stdout.write(
                f"  {run.business_date}: {run.their_rows} theirs, {run.our_rows} ours, "
                f"{run.matched} matched, {run.differences} differences, {run.new_items} new items"
            )
        self.stdout.write(
            f"reconcile_import: {imported.line_count} lines, {len(result.runs)} day(s), "
            f"{sum(r.new_items for r in result.runs)} new items"
        )
