"""One synchronous enforcement pass (`manage.py enforce_shortfalls`): refresh guarantees, run the
shortfall scan evaluating each candidate in this process, then send the e-mails that are due.

Its own module because it sits above both pieces it drives: the guarantee services evaluate a
shortfall inside their transaction (guarantees → shortfall), so this pass, which calls the
guarantee sweeper first, could not live inside the shortfall package without an import circle
(it used to, in shortfall/scan.py, with the guarantee import hidden inside the function).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from django.db import DatabaseError

from common.errors import DomainError
from deposits.services.guarantees import guarantees_expire_due
from deposits.services.shortfall.evaluate import TRIGGER_SCAN, shortfall_evaluate
from deposits.services.shortfall.scan import shortfall_scan
from shops import services as shop_services

log = structlog.get_logger(__name__)


@dataclass
class PassResult:
    guarantees_changed: int = 0
    opened: int = 0
    candidates: int = 0
    announced: int = 0
    steps: int = 0
    reminders: int = 0
    resolved: int = 0
    emails: int = 0
    errors: int = 0

    def summary(self, seconds: float) -> str:
        return (
            f"enforce_shortfalls: {self.candidates} shops evaluated, {self.opened} cases opened, "
            f"{self.announced} announced, {self.steps} steps applied, {self.reminders} "
            f"reminders, {self.resolved} resolved, {self.emails} e-mails sent, "
            f"{self.guarantees_changed} guarantee accounts refreshed, {self.errors} errors "
            f"in {seconds:.2f}s"
        )


def shortfall_run_pass(*, now: datetime, send_emails: bool = True) -> PassResult:
    """One synchronous pass (`manage.py enforce_shortfalls`): refresh guarantees, scan, evaluate
    each candidate in this process, then send the e-mails that are due. Same services as the
    Celery path; each shop commits on its own."""
    outcome = PassResult(guarantees_changed=guarantees_expire_due(now=now))

    def evaluate_each(ids: list[int]) -> None:
        for shop_id in ids:
            try:
                done = shortfall_evaluate(shop_id=shop_id, now=now, trigger=TRIGGER_SCAN)
            except (DomainError, DatabaseError):
                log.exception("shortfall.evaluate_failed", shop_id=shop_id)
                outcome.errors += 1
                continue
            outcome.announced += int(done.announced)
            outcome.steps += len(done.steps)
            outcome.reminders += done.reminders
            outcome.resolved += int(bool(done.resolved))

    scan = shortfall_scan(now=now, dispatch=evaluate_each)
    outcome.opened, outcome.candidates = scan.opened, scan.candidates
    if send_emails:
        for notification_id in shop_services.notifications_email_due(now=now):
            try:
                outcome.emails += int(
                    shop_services.notification_email_send(notification_id=notification_id, now=now)
                )
            except Exception:
                log.exception("notification.email_failed", notification_id=notification_id)
                outcome.errors += 1
    return outcome
