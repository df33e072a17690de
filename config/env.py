"""Strict readers for environment variables.

A deposit system that starts with a silently wrong setting (DEBUG on in production, a typo in the
database URL falling back to SQLite) is worse than one that refuses to start, so every reader here
fails with an ImproperlyConfigured that names the variable and says what it expected.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={raw!r} is not a boolean: use one of true/false, 1/0, yes/no."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is not an integer."
        ) from None
    if value < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={value} must be >= {minimum}.")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """A value from a fixed set, compared case-insensitively and returned as spelled in choices."""
    raw = env_str(name, default)
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(
        f"Environment variable {name}={raw!r} is not one of: {', '.join(choices)}."
    )


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


_DB_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}


def env_database(name: str, default: str) -> dict[str, Any]:
    raw = env_str(name, default)
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in _DB_SCHEMES:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is not a database URL: expected "
            "postgres://user:password@host:port/name or sqlite:////absolute/path.sqlite3."
        )
    try:
        config = environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is malformed: {exc}"
        ) from exc
    if scheme != "sqlite" and not config.get("NAME"):
        raise ImproperlyConfigured(f"Environment variable {name}={raw!r} names no database.")
    if scheme == "sqlite" and config.get("NAME") in ("", ":memory:"):
        # sqlite:// is an in-memory database: every process would see its own, empty one.
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} names no database file: "
            "use sqlite:////absolute/path.sqlite3."
        )
    return config


DATABASE_POOLERS = ("none", "pgbouncer")


def behind_pooler(database: dict[str, Any], pooler: str) -> dict[str, Any]:
    """Adjusts a PostgreSQL database's settings for the connection pooler in front of it.

    PgBouncer in transaction pooling mode gives a client a server connection for one transaction
    only: what a session keeps between transactions is lost or, worse, seen by another client.
    Django's `.iterator()` outside a transaction declares a holdable cursor on one server
    connection and fetches from it in later statements, which may land on another one ("cursor
    does not exist"); hence no server-side cursors. The rest of the code keeps no session state:
    psycopg2 prepares nothing on the server, the audit context and lock_timeout are set
    transaction-local (set_config(..., true), SET LOCAL), advisory locks are transaction-level
    (tests/config/test_pooler.py checks the source), and no one LISTENs."""
    if pooler == "pgbouncer":
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
    return database


_BROKER_SCHEMES = {"redis", "rediss", "filesystem", "amqp", "memory"}


def env_broker(name: str, default: str) -> str:
    raw = env_str(name, default)
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in _BROKER_SCHEMES:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is not a broker URL: "
            "expected redis://host:port/db "
            "or filesystem://."
        )
    if scheme in ("redis", "rediss"):
        _check_redis_url(name, raw)
    return raw


def env_redis(name: str) -> str | None:
    raw = os.environ.get(name)
    if not raw:
        return None
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is not a Redis URL: expected redis://host:port/db."
        )
    if not raw.startswith("unix://"):
        _check_redis_url(name, raw)
    return raw


def _check_redis_url(name: str, raw: str) -> None:
    """A typo in the port or database number would otherwise surface only at the first task or
    cache call, long after start-up."""
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} has a port that is not a number."
        ) from None
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is not a Redis URL: expected "
            "redis://host:port/db with a numeric db."
        )


def load_env_file(path: str) -> None:
    """Read KEY=VALUE lines from a development .env file into os.environ, never overriding a
    variable that is already set (the real environment always wins). Missing file: nothing."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ImproperlyConfigured(f"{path}, line {number}: expected KEY=VALUE, got {line!r}.")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))
