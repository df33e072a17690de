"""Roll the ledger up into day totals now (deposits.models.rollups), rebuild them, or check them.

    manage.py rollup_entries                  # every account with entries above its mark
    manage.py rollup_entries --account 12 34  # only these accounts
    manage.py rollup_entries --rebuild        # forget and recompute (all, or --account ...)
    manage.py rollup_entries --verify         # compare with the entries; exit 1 on a difference

The same services as the nightly task (deposits.tasks.roll_up_ledgers), in this process; each
account commits on its own, so what is done is kept if the command is stopped.
"""

import sys

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from deposits.models import Account
from deposits.services import (
    entry_rollup_advance,
    entry_rollup_rebuild,
    entry_rollup_verify,
    entry_rollups_due,
)


class Command(BaseCommand):
    help = "Roll the ledger up into day totals (or --rebuild, --verify them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, nargs="+", help="Deposit account ids.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--rebuild", action="store_true", help="Recompute from the entries.")
        mode.add_argument("--verify", action="store_true", help="Compare with the entries.")

    def _accounts(self, given: list[int] | None, *, due_only: bool) -> list[int]:
        if given:
            return sorted(given)
        if due_only:
            due: list[int] = []
            entry_rollups_due(dispatch=due.extend)
            return due
        return list(
            Account.objects.filter(kind=Account.Kind.DEPOSIT)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def handle(self, *args: object, **options: object) -> None:
        given = options["account"]
        now = timezone.now()
        if options["verify"]:
            problems = [
                problem
                for account_id in self._accounts(given, due_only=False)  # type: ignore[arg-type]
                for problem in entry_rollup_verify(account_id=account_id)
            ]
            for problem in problems:
                self.stdout.write(problem)
            self.stdout.write(f"{len(problems)} difference(s)")
            if problems:
                sys.exit(1)
            return
        rebuild = bool(options["rebuild"])
        accounts = self._accounts(given, due_only=not rebuild)  # type: ignore[arg-type]
        roll = entry_rollup_rebuild if rebuild else entry_rollup_advance
        rows = sum(roll(account_id=account_id, now=now) for account_id in accounts)
        self.stdout.write(f"{len(accounts)} account(s), {rows} day total(s) written")
