"""One way to write a moment for partners: ISO 8601 in UTC with `Z` (api-v1.md: "ISO 8601 with
offset; stored in UTC"). The API's representations and the events' data both use it, so that the
same entry reads the same in `GET .../ledger/`, in `/api/v1/events/` and in a webhook, and a
partner may compare them as strings."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(value: datetime | str | None) -> str | None:
    """`2026-11-23T07:40:00Z`. A string is an ISO 8601 moment already stored (shortfall plans keep
    theirs as text) and is rewritten the same way."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
