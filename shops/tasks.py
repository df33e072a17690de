"""Celery entry points for shops: each loads by id and calls one service.

The notice e-mails live here because Notification is a shops model and the services they call
are shops'; deposits (the shortfall ladder) only creates notices through shops.services. Tasks
import services, never the other way: services enqueue by name (common.enqueue)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from shops import services, team
from shops.services import SEND_NOTIFICATION_EMAIL_TASK
from shops.team import SEND_INVITATION_EMAIL_TASK


@shared_task(
    name=SEND_NOTIFICATION_EMAIL_TASK,
    acks_late=True,
    autoretry_for=(OperationalError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def send_notification_email(notification_id: int) -> bool:
    """Send one notice's e-mail, exactly once (compare-and-set claim in the service)."""
    return services.notification_email_send(notification_id=notification_id, now=timezone.now())


@shared_task(
    name=SEND_INVITATION_EMAIL_TASK,
    acks_late=True,
    autoretry_for=(OperationalError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def send_invitation_email(invitation_id: int) -> bool:
    """Send one team invitation's e-mail (claimed by compare-and-set in the service)."""
    return team.invitation_email_send(invitation_id=invitation_id, now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def deliver_notification_emails() -> int:
    """The safety net for e-mails whose on-commit enqueue was lost: one task per due notice or
    team invitation (the invitations ride on the notices' sweep rather than a schedule of
    their own)."""
    now = timezone.now()
    due = services.notifications_email_due(now=now)
    for notification_id in due:
        send_notification_email.apply_async(kwargs={"notification_id": notification_id})
    invitations = team.invitations_email_due(now=now)
    for invitation_id in invitations:
        send_invitation_email.apply_async(kwargs={"invitation_id": invitation_id})
    return len(due) + len(invitations)
