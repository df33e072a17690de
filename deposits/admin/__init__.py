"""Ops screens for deposits, one module per family of models. Importing the package (Django's
admin autodiscovery does) registers them all.

Ledger rows are read-only (the database refuses changes anyway); every action and every save
calls a service with the acting user and, where money or status moves, a reason; a refusal is an
admin message. Money is shown by common.admin.money_column / money_text only.
"""

from deposits.admin import (
    accounts,
    guarantees,
    ledger,
    payouts,
    reconciliation,
    rollups,
    rules,
    shops,
    shortfall,
    snapshots,
)

__all__ = [
    "accounts",
    "guarantees",
    "ledger",
    "payouts",
    "reconciliation",
    "rollups",
    "rules",
    "shops",
    "shortfall",
    "snapshots",
]
