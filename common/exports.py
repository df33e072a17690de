"""Column helpers for the ops exports' django-import-export Resources.

The Resource classes (one per exported list, beside the app's admin) say which columns an export
has and how each is written; common.tabular writes the file. Every cell is text: amounts as plain
decimal strings in major units next to their currency ("-1250.50", never a float or "1,250.50"),
times in ISO 8601 with their offset, choices as the label in the reader's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from import_export.fields import Field
from import_export.widgets import Widget

from common.money import decimal_text


class LocalTimeWidget(Widget):
    """A moment in the site's time zone with its offset: "2026-03-01T09:30:00+08:00"."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if not isinstance(value, datetime):
            return "" if value is None else str(value)
        return timezone.localtime(value).isoformat(timespec="seconds")


class MoneyField(Field):
    """Minor units at `attribute` as a decimal string in major units of the currency found at
    `currency` (a `__` path from the row): the currency says how many decimals."""

    def __init__(self, *, currency: str = "currency", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.currency_path = currency

    def export(self, instance: Any, **kwargs: Any) -> str:
        amount = self.get_value(instance)
        currency = Field(attribute=self.currency_path).get_value(instance)
        if amount is None or not currency:
            return ""
        return decimal_text(int(amount), currency)


def time_field(attribute: str, column_name: Any) -> Field:
    return Field(attribute=attribute, column_name=column_name, widget=LocalTimeWidget())


def text_field(attribute: str, column_name: Any) -> Field:
    return Field(attribute=attribute, column_name=column_name)
