"""Column helpers for the ops exports' django-import-export Resources.

The Resource classes (one per exported list, beside the app's admin) say which columns an export
has and how each is written; common.tabular writes the file. Every cell is text: amounts as plain
decimal strings in major units next to their currency ("-1250.50", never a float or "1,250.50"),
times in ISO 8601 with their offset, choices as the label in the reader's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone, translation
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


class ChoiceField(Field):
    """A choice's label in the reader's language, looked up in a table made once per language:
    the model's `get_FOO_display()` costs a translation and a hash of every choice per cell,
    which was most of an export's time."""

    def __init__(self, *, choices: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = choices
        self._labels: dict[str | None, dict[Any, str]] = {}

    def export(self, instance: Any, **kwargs: Any) -> str:
        value = self.get_value(instance)
        if value is None or value == "":
            return ""
        language = translation.get_language()
        labels = self._labels.get(language)
        if labels is None:
            labels = self._labels[language] = {key: str(label) for key, label in self.choices}
        return labels.get(value, str(value))


def choice_field(attribute: str, choices: Any, column_name: Any) -> Field:
    return ChoiceField(attribute=attribute, choices=choices, column_name=column_name)


def time_field(attribute: str, column_name: Any) -> Field:
    return Field(attribute=attribute, column_name=column_name, widget=LocalTimeWidget())


def text_field(attribute: str, column_name: Any) -> Field:
    return Field(attribute=attribute, column_name=column_name)
