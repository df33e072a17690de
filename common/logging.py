"""Structured logs: one JSON object per line in production, readable key=value in development.

Django's own loggers and ours go through structlog's ProcessorFormatter, so a request line, a
ledger posting and a Celery task all share one format and carry the request id.
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse

from common.unavailable import database_was_unavailable

# structlog keeps one ContextVar per bound key in this registry. Its own merge/clear/get walk
# every context variable of the thread instead: ~100 in a Django process (asgiref's Locals),
# three walks per request (~6% of an API deduction's profiled worker time, docs/benchmarks.md
# "A leaner API deduction"). The functions below read the registry, with structlog's as the
# fallback should a release rename it.
_BOUND: dict[str, contextvars.ContextVar[Any]] | None = getattr(
    structlog.contextvars, "_CONTEXT_VARS", None
)
_PREFIX = structlog.contextvars.STRUCTLOG_KEY_PREFIX


def merge_bound_context(logger: Any, method_name: str, event_dict: Any) -> Any:
    """structlog.contextvars.merge_contextvars: the context bound in this thread, under the
    keys the event does not set itself."""
    if _BOUND is None:
        return structlog.contextvars.merge_contextvars(logger, method_name, event_dict)
    for name, var in list(_BOUND.items()):
        value = var.get(Ellipsis)
        if value is not Ellipsis:
            event_dict.setdefault(name[len(_PREFIX) :], value)
    return event_dict


def clear_bound_context() -> None:
    """structlog.contextvars.clear_contextvars."""
    if _BOUND is None:
        structlog.contextvars.clear_contextvars()
        return
    for var in list(_BOUND.values()):
        if var.get(Ellipsis) is not Ellipsis:
            var.set(Ellipsis)


def bound_value(key: str) -> Any:
    """structlog.contextvars.get_contextvars().get(key)."""
    if _BOUND is None:
        return structlog.contextvars.get_contextvars().get(key)
    var = _BOUND.get(_PREFIX + key)
    value = var.get(Ellipsis) if var is not None else Ellipsis
    return None if value is Ellipsis else value


_shared_processors: list[Any] = [
    merge_bound_context,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class ClientErrorWithoutTraceback(logging.Filter):
    """A 4xx is expected (a CSRF failure, PermissionDenied in the admin or the dashboard, a
    suspicious Host): Django logs it with the exception attached, which each handler renders as
    a traceback. Keep the one line (message, status) and drop the exception; a 5xx keeps its
    traceback, except the 503 of a database that could not be reached (one warning naming the
    error). On django.request, where Django logs PermissionDenied, and on our handler for
    the django.security.* loggers (DisallowedHost and the like, 400s)."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        elif database_was_unavailable(getattr(record, "request", None)) and not getattr(
            record, "database_unavailable", False
        ):
            if not record.exc_info:
                # Django's line for the final 503 repeats, without the cause, what the line
                # of the exception (rewritten below) already said.
                return False
            _as_database_unavailable(record)
        return True


def _as_database_unavailable(record: logging.LogRecord) -> None:
    """Django logged "Internal Server Error" with the traceback before common.unavailable turned
    the answer into a 503: one warning instead, naming the error (which says what failed:
    refused, too many clients, a connection dropped). During an outage every request writes it;
    two tracebacks each flooded the log (the PostgreSQL restart drill, docs/operations.md)."""
    error = record.exc_info[1] if record.exc_info else None
    cause = f"{type(error).__name__}: {str(error).strip().splitlines()[0]}" if error else "?"
    path = getattr(getattr(record, "request", None), "path", "")
    record.msg = "Service Unavailable (database: %s): %s"
    record.args = (cause, path)
    record.levelno, record.levelname = logging.WARNING, "WARNING"
    record.status_code = 503
    record.database_unavailable = True  # rewritten once: the handler's filter lets it through
    record.exc_info = None
    record.exc_text = None


def logging_config(*, level: str, json: bool) -> dict[str, Any]:
    structlog.configure(
        processors=[
            *_shared_processors,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    # JSON has no traceback of its own: without this a 500's line carried the
                    # repr of (type, value, <traceback object>) and no frame. The console
                    # renderer draws the exception itself.
                    *([structlog.processors.format_exc_info] if json else []),
                    renderer,
                ],
                "foreign_pre_chain": _shared_processors,
            }
        },
        "filters": {
            "client_error_without_traceback": {"()": "common.logging.ClientErrorWithoutTraceback"},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "filters": ["client_error_without_traceback"],
            },
            # Django's own, as its DEFAULT_LOGGING declares it (e-mail for 500s to ADMINS).
            "mail_admins": {
                "level": "ERROR",
                "filters": ["require_debug_false"],
                "class": "django.utils.log.AdminEmailHandler",
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default gives "django" a console handler of its own (with DEBUG on), and
            # the record then propagates to ours: every warning printed twice, a 403 with two
            # tracebacks. Ours alone prints; mail_admins stays as Django had it.
            "django": {"handlers": ["mail_admins"], "level": "INFO"},
            "django.request": {"filters": ["client_error_without_traceback"]},
            "django.server": {"level": "WARNING"},
            "django.db.backends": {"level": "INFO"},
            "axes": {"level": "WARNING"},
            # WeasyPrint logs every layout step at INFO: eleven lines per e-policy rendered.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


class RequestLogMiddleware:
    """Binds a request id to every log line of the request and logs one line when it ends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.log = structlog.get_logger("deposit_desk.request")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # META rather than request.headers, which builds a mapping of every header first.
        request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        clear_bound_context()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-Id"] = request_id
        self.log.info(
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            # The access log's client address (the proxy's, behind one): gunicorn runs without
            # an access log of its own, so this is the one line per request.
            remote_addr=request.META.get("REMOTE_ADDR", ""),
        )
        return response
