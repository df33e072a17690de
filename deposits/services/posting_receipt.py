"""A `Receipt`: the partner API's idempotency record for one posting, written by the posting's
own database call (`deposits_post` with its p_record_* parameters, deposits/sql/posting_v4.sql)
instead of in a transaction around it.

Why: an API deduction was BEGIN, the posting, the record's INSERT and COMMIT, four round trips
where the posting alone commits by itself. The record must commit with the effect (it exists if
and only if the effect did), so it goes into the same call. The money is still written by
`deposits_post` alone, which stores the record after it (before v4 a wrapper,
`deposits_post_recorded`, did).

The API renders its response before the call (`render`), from the unsaved transaction and entry,
with `marker(name)` where a value is known only under the account's lock; the function replaces
the markers (see the SQL file for the names). The executor sets `stored` to (status, body) when
the record and the effect committed; when it stays None nothing was written and the caller takes
its transaction path (replays, reused keys, refusals the API does not store).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from common.errors import DomainError
    from deposits.models import Account, Entry, LedgerTransaction

# render(receipt, account, tx, entry, error) -> (status, body) to store, or None to refuse the
# fast path (nothing is written then). `entry` is the account's POSTED-bucket entry, unsaved, or
# None; `error` is the planner's refusal, stored with the posting.
Render = Callable[
    ["Receipt", "Account", "LedgerTransaction", "Entry | None", "DomainError | None"],
    "tuple[int, str] | None",
]

# The names the SQL function fills in (deposits/sql/posting_v4.sql, "The idempotency record").
FILLED = frozenset(
    {
        "required_minor",
        "posted_minor",
        "held_minor",
        "available_minor",
        "guaranteed_minor",
        "debt_minor",
        "shortfall_minor",
        "entry_id",
        "balance_after_minor",
    }
)


class ReceiptConflict(Exception):
    """Another request claimed the record's key between the check and the insert: the posting
    was rolled back with it, nothing was written. The caller answers by its transaction path."""


class Receipt:
    def __init__(
        self,
        *,
        partner_id: int,
        key: str,
        fingerprint: str,
        method: str,
        path: str,
        render: Render,
    ) -> None:
        self.partner_id = partner_id
        self.key = key
        self.fingerprint = fingerprint
        self.method = method
        self.path = path
        self.render = render
        # Random per request, so that no text a partner sends (a reason, a reference) can hold a
        # marker the function would replace.
        self.nonce = secrets.token_hex(16)
        self.stored: tuple[int, str] | None = None

    def marker(self, name: str) -> str:
        """A placeholder for a number only the posting knows; rendered as a JSON string."""
        assert name in FILLED, name
        return f"@{self.nonce}:{name}@"

    def params(self, rendered: tuple[int, str], entry_leg: int | None) -> list[Any]:
        status, body = rendered
        return [
            self.partner_id,
            self.key,
            self.fingerprint,
            self.method,
            self.path,
            status,
            body,
            self.nonce,
            entry_leg,
        ]
