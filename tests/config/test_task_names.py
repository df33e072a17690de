"""Services enqueue tasks by name (common.enqueue): every name they send must be a task the
worker knows, or the message would be dropped as unregistered."""

from __future__ import annotations

import pytest

from config.celery import app
from partners.services.events import DELIVER_WEBHOOK_TASK
from shops.services import SEND_NOTIFICATION_EMAIL_TASK


@pytest.mark.parametrize("name", [DELIVER_WEBHOOK_TASK, SEND_NOTIFICATION_EMAIL_TASK])
def test_a_name_services_send_is_a_registered_task(name):
    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks.py

    assert name in app.tasks


def test_the_periodic_schedules_name_registered_tasks(db):
    from django_celery_beat.models import PeriodicTask

    app.loader.import_default_modules()

    unknown = set(PeriodicTask.objects.values_list("task", flat=True)) - set(app.tasks)

    assert unknown == set()
