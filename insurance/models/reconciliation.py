"""Insurers' statements, as insurance sees them: deposits keeps every imported file
(deposits.models.reconciliation.SettlementImport); this proxy is the insurers' share of them,
so their screen and its permission belong to insurance, which matches them against premiums,
advances and recoveries (insurance/services/reconciliation.py).

Invariants are the import's: a file once per SHA-256, lines never changed, the statement of a
day the latest import of that insurer that covers it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from deposits.models import ReconciliationSource, SettlementImport


class InsurerStatementManager(models.Manager["InsurerStatement"]):
    def get_queryset(self) -> models.QuerySet[InsurerStatement]:
        return super().get_queryset().filter(source=ReconciliationSource.INSURER)


class InsurerStatement(SettlementImport):
    objects = InsurerStatementManager()

    class Meta:
        proxy = True
        verbose_name = _("insurer statement")
        verbose_name_plural = _("insurer statements")
