from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite has no deposits_shortfall_v1 (migration 0009 creates it on PostgreSQL only): give
    it the Python rule under that name, so the scan's SQL is the same on both databases."""
    if connection.vendor != "sqlite":
        return
    from deposits.domain.coverage import shortfall_minor

    def shortfall(required: int, posted: int, held: int, guaranteed: int, debt: int) -> int:
        return shortfall_minor(
            required_minor=required,
            posted_minor=posted,
            held_minor=held,
            guaranteed_minor=guaranteed,
            debt_minor=debt,
        )

    connection.connection.create_function("deposits_shortfall_v1", 5, shortfall, deterministic=True)


class DepositsConfig(AppConfig):
    name = "deposits"
    verbose_name = _("Deposits")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(_register_sqlite_functions, dispatch_uid="deposits.sqlite_fns")

        # Deposits' actions under four-eyes (approvals.registry).
        from deposits.services.four_eyes import register_four_eyes

        register_four_eyes()
