"""One synchronous pass of shortfall detection and enforcement at the current time.

Calls the same services as the Celery scan (no broker needed): guarantees that started or ended
are counted, missing cases are opened set-based, every shop with work due is evaluated in this
process, and due notification e-mails are sent after their rows committed. Each shop commits on
its own, so everything done is committed when the command exits. The summary is the last line.
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from deposits.services import shortfall_run_pass


class Command(BaseCommand):
    help = "Run one pass of shortfall enforcement now; prints a one-line summary last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-email",
            action="store_true",
            help="Leave notification e-mails to the Celery task (deliver_notification_emails).",
        )

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        result = shortfall_run_pass(now=timezone.now(), send_emails=not options["no_email"])
        self.stdout.write(result.summary(time.monotonic() - started))
        if result.errors:
            sys.exit(1)
