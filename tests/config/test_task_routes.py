"""Every task has a queue (money, notices or webhooks), so each kind of work has workers of its
own and a backlog of one never delays another (config/settings.py, TASKS_BY_QUEUE)."""

from __future__ import annotations

import pytest
from django.conf import settings

from config.celery import app


def _registered() -> set[str]:
    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks.py
    return {name for name in app.tasks if not name.startswith("celery.")}


def _queue_of(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def test_every_registered_task_has_a_route():
    assert _registered() - set(settings.CELERY_TASK_ROUTES) == set()


def test_every_route_names_a_registered_task():
    assert set(settings.CELERY_TASK_ROUTES) - _registered() == set()


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("deposits.tasks.enforce_shortfall", "money"),
        ("deposits.tasks.scan_shortfalls", "money"),
        ("claims.tasks.process_deadline", "money"),
        ("insurance.tasks.process_recovery", "money"),
        ("shops.tasks.send_notification_email", "notices"),
        ("shops.tasks.send_invitation_email", "notices"),
        ("partners.tasks.deliver_webhook", "webhooks"),
    ],
)
def test_a_task_is_published_to_its_queue(task, queue):
    _registered()

    assert _queue_of(task) == queue


def test_a_task_without_a_route_would_land_on_the_default_queue_that_no_money_worker_reads():
    # Why the first test matters: the money worker consumes only `money`.
    assert _queue_of("deposits.tasks.some_new_task") == app.conf.task_default_queue == "celery"
