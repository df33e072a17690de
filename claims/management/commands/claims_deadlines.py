"""One synchronous pass of the claims deadlines at the current time.

Calls the same services as the Celery scan (no broker needed): the claims whose deadline passed
are selected in one indexed query and each is processed in this process, in its own transaction
(escalation, the automatic late-shipment decision, evidence closed). Safe beside running
workers: each claim is re-checked under its lock. The summary is the last line.
"""

import sys
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from claims.services import deadlines_run_pass


class Command(BaseCommand):
    help = "Run one pass of the claims deadlines now; prints a one-line summary last."

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        result = deadlines_run_pass(now=timezone.now())
        self.stdout.write(result.summary(time.monotonic() - started))
        if result.errors:
            sys.exit(1)
