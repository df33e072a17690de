"""What a posting's reference names. Claims post as "claim:<public id>" (claims.services); the
ledger keeps the reference as written, the pages say which claim it is."""

from __future__ import annotations

import uuid

CLAIM_REFERENCE_PREFIX = "claim:"


def claim_public_id(reference: str | None) -> uuid.UUID | None:
    """The claim a "claim:<public id>" reference names, or None for any other reference."""
    if not reference or not reference.startswith(CLAIM_REFERENCE_PREFIX):
        return None
    try:
        return uuid.UUID(reference.removeprefix(CLAIM_REFERENCE_PREFIX))
    except ValueError:
        return None
