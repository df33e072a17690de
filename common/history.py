"""Who and where for the audit trail (django-pghistory, triggers installed by the `audit` app).

The triggers read the context (a JSON object) that pghistory sets on the database session before
each statement; this module fills it: the signed-in user and the request id for web requests, the
partner key for partner API requests, the task name for Celery tasks. A write with no context at
all (a raw SQL session, a shell) is still recorded, with no actor.

pghistory sets the context by prefixing every statement with a PostgreSQL `set_config` call, which
SQLite cannot run, so everything here is a no-op off PostgreSQL (no triggers there either).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pghistory
from django.db import connection
from django.http import HttpRequest, HttpResponse

from common.logging import bound_value

# Celery task id -> the open context, closed by task_postrun.
_task_contexts: dict[str, Any] = {}


def history_enabled() -> bool:
    return connection.vendor == "postgresql"


def add_context(**metadata: Any) -> None:
    """Adds keys to the context already open (a request's, a task's); nothing when none is."""
    if history_enabled():
        pghistory.context(**metadata)


class HistoryContextMiddleware:
    """Opens the audit context for the request: user id, path and the request id.

    Placed after RequestLogMiddleware, whose request id (bound to the log context) is reused so
    that an audit event and the log lines of the same request can be joined. pghistory's own
    middleware is not used: it rewrites `request.user` tracking so that DRF's partner (who is not
    a User) would be written as a user id.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not history_enabled():
            return self.get_response(request)
        user = getattr(request, "user", None)
        request_id = bound_value("request_id")
        with pghistory.context(
            user=user.pk if user is not None and user.is_authenticated else None,
            url=request.path,
            request_id=request_id,
        ):
            return self.get_response(request)


def task_context_open(*, task_id: str, task_name: str) -> None:
    if not history_enabled():
        return
    ctx = pghistory.context(task=task_name, task_id=task_id)
    ctx.__enter__()
    _task_contexts[task_id] = ctx


def task_context_close(*, task_id: str) -> None:
    ctx = _task_contexts.pop(task_id, None)
    if ctx is not None:
        ctx.__exit__(None, None, None)
