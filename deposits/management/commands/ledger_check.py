import sys

from django.core.management.base import BaseCommand

from deposits.services import ledger_check_run


class Command(BaseCommand):
    help = "Verify every ledger invariant; exit 0 only when all hold. The summary is the last line."

    def handle(self, *args: object, **options: object) -> None:
        result = ledger_check_run()
        for problem in result.problems:
            # One line per offending row, its values separated, not a Python list.
            examples = problem["examples"]
            self.stdout.write(f"FAILED {problem['check']}: {len(examples)} example(s)")
            for row in examples:
                self.stdout.write("  " + " | ".join(str(value) for value in row))
        self.stdout.write(result.summary)
        if not result.ok:
            sys.exit(1)
