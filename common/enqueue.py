"""Enqueue a Celery task by its registered name, from a service.

Why by name and not `task.delay()`: an app's `tasks.py` is a thin entry point that imports the
app's services (load by id, call one service). A service that imported `tasks` back to enqueue
would close an import circle (services → tasks → services), the one the import-linter contracts
in pyproject.toml forbid; the old workaround, importing `tasks` inside the function body, only
hid the circle from the reader. Sending by name needs no import of the task at all: the message
is the same one `delay()` publishes (routing by name, options such as acks_late and retries are
the worker's, declared on the task). Each name is a constant next to the service that sends it,
and the task registers under that constant (`@shared_task(name=...)`), so the two cannot drift
apart; tests/config/test_task_names.py checks every such name is a registered task.

We chose this over an on-commit hook registered at `AppConfig.ready()`: that would also break the
circle, but hide who enqueues what behind run-time wiring, and a service called before the app
registry is ready would silently enqueue nothing.
"""

from __future__ import annotations

from typing import Any

from celery import current_app


def task_enqueue(name: str, **kwargs: Any) -> None:
    """Publish one message for the task registered as `name`, with JSON-safe keyword arguments.
    Call it outside any transaction or from a `transaction.on_commit` callback: a worker must
    not be handed an id whose row is not committed yet."""
    current_app.send_task(name, kwargs=kwargs)
