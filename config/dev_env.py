"""The development `.env` that `make run` keeps, so that a later `manage.py` command (e.g.
`create_partner_key`) runs against the same database and broker as the product it served.

Without it, `DATABASE_URL=postgres://… make run` migrated PostgreSQL while a plain
`.venv/bin/python manage.py create_partner_key "Tmall"` fell back to SQLite (an empty
var/db.sqlite3) and failed with "no such table". The settings read this file
(config.env.load_env_file), the real environment always winning over it.

Standard library only, so the Makefile can run it as `python -m config.dev_env` before anything
else is configured.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

HEADER = "# Written by make run for development; delete it on a production host."

# Always there: development mode for every manage.py command on this machine. A value the
# developer edited in the file is kept.
DEFAULTS = {"DJANGO_DEBUG": "true", "DJANGO_SECURE_SSL_REDIRECT": "false"}

# The services `make run` was given in its environment: remembered (replacing an older value),
# so manage.py uses the same ones. Not given: the file's value, if any, stays.
SERVICES = ("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_BROKER_URL", "REDIS_URL")


def write_dev_env(path: Path, environ: Mapping[str, str]) -> list[str]:
    """Create or update the .env at `path`; returns the names written or changed."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else [HEADER]
    present: dict[str, int] = {}
    for index, line in enumerate(lines):
        key, sep, _ = line.strip().partition("=")
        if sep and not line.lstrip().startswith("#"):
            present[key.strip()] = index
    wanted = {k: v for k, v in DEFAULTS.items() if k not in present}
    wanted |= {k: environ[k] for k in SERVICES if environ.get(k)}
    changed = []
    for key, value in wanted.items():
        line = f"{key}={value}"
        if key in present:
            if lines[present[key]].strip() == line:
                continue
            lines[present[key]] = line
        else:
            lines.append(line)
        changed.append(key)
    if changed:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    changed = write_dev_env(path, os.environ)
    if changed:
        print(
            f"wrote {', '.join(changed)} to {path} so manage.py commands run in development "
            "mode against the same services as make run (the real environment still wins)"
        )


if __name__ == "__main__":
    main()
