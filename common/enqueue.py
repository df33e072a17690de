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

import logging
import threading
import time
from typing import Any

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)


def task_enqueue(name: str, **kwargs: Any) -> None:
    """Publish one message for the task registered as `name`, with JSON-safe keyword arguments.
    Call it outside any transaction or from a `transaction.on_commit` callback: a worker must
    not be handed an id whose row is not committed yet."""
    current_app.send_task(name, kwargs=kwargs)


# Until when (time.monotonic()) this process takes the broker for down and does not try to
# publish a nudge at all. Per process, on purpose: no shared state to reach while Redis is down.
_broker_down_until = 0.0
_broker_down_lock = threading.Lock()


def task_nudge(name: str, **kwargs: Any) -> bool:
    """Publish a "do it now" message for work a periodic sweep also finds (a webhook delivery,
    a notice's e-mail), from a `transaction.on_commit` callback; True if it was published.

    One try and no publish retries: the work is already committed and the sweep sends it, so a
    request must not wait on a broker that is down (Celery's publish retries added ~0.5 s to
    every posting while Redis was down, docs/operations.md "Faults drilled"). After a failure
    the process skips these publishes for `BROKER_DOWN_SKIP_SECONDS`, so the requests that
    follow do not each pay the failed connect or the socket timeout of a hung broker."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        with current_app.producer_or_acquire() as producer:
            # A connection this process never made (or lost): kombu would retry making it for
            # broker_connection_timeout and then some (6 s measured against a closed port,
            # before any publish retry). One try; a live pooled connection returns at once.
            producer.connection.ensure_connection(max_retries=0)
            current_app.send_task(name, kwargs=kwargs, retry=False, producer=producer)
    except Exception as error:  # whatever the transport raises: the request goes on
        with _broker_down_lock:
            _broker_down_until = time.monotonic() + settings.BROKER_DOWN_SKIP_SECONDS
        # The error's text, not its traceback: an expected failure, logged once per process
        # per BROKER_DOWN_SKIP_SECONDS, and rendering a traceback cost the request ~1 s.
        logger.warning(
            "enqueue of %s failed (%s: %s); the sweep sends it, nudges skipped for %s s",
            name,
            type(error).__name__,
            error,
            settings.BROKER_DOWN_SKIP_SECONDS,
        )
        return False
    return True


def broker_down_forget() -> None:
    """Try the broker again at the next nudge (tests; a process that knows it is back)."""
    global _broker_down_until
    with _broker_down_lock:
        _broker_down_until = 0.0
