"""Which database a read that tolerates lag goes to: the read replica when one is configured.

Only the merchant's statement reads here (deposits/statement.py): a page, its totals and its
downloads scan many ledger rows, the heaviest reads the dashboard makes, and a statement a second
behind the primary says nothing wrong (every row it lists has its own date and balance). Nothing
that decides a movement of money reads from the replica: those read under row locks on the
primary. With DATABASE_REPLICA_URL unset the alias is `default` and nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

REPLICA_ALIAS = "replica"


def statement_db() -> str:
    """The alias the statement's reads use."""
    return REPLICA_ALIAS if REPLICA_ALIAS in settings.DATABASES else "default"


class ReplicaRouter:
    """Keeps `migrate` off the replica (it follows the primary's schema by replication), and
    lets objects read from either alias relate: they are the same rows. Reads and writes are
    not routed here: the statement asks for its alias explicitly (statement_db), so no other
    read can drift onto a lagging copy by accident."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA_ALIAS else None
