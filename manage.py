#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def unmigrated_hint(exc: Exception) -> str | None:
    """What to do when a command met a database without the project's tables (never migrated, or
    not the database meant: DATABASE_URL unset falls back to SQLite under var/), instead of a
    traceback; None for any other database error."""
    text = str(exc)
    if "no such table" not in text and not ("relation" in text and "does not exist" in text):
        return None
    from django.conf import settings

    db = settings.DATABASES["default"]
    where = " ".join(
        str(part) for part in (db["ENGINE"].rsplit(".", 1)[-1], db.get("HOST"), db["NAME"]) if part
    )
    return (
        f"The database ({where}) has no Deposit Desk tables yet ({text.splitlines()[0]}).\n"
        "If this is the database you meant, create them: .venv/bin/python manage.py migrate\n"
        "Otherwise set DATABASE_URL (in the environment or in .env, which make run writes with "
        "the DATABASE_URL it was given) to the database make run used.\n"
    )


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    try:
        execute_from_command_line(sys.argv)
    except (OperationalError, ProgrammingError) as exc:
        hint = unmigrated_hint(exc)
        if hint is None:
            raise
        sys.stderr.write(hint)
        sys.exit(1)


if __name__ == "__main__":
    main()
