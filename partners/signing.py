"""Webhook signatures: how Deposit Desk signs a delivery and how a receiver checks it.

Every delivery carries the header

    Deposit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

`t` is when the attempt was signed (a retry is signed afresh). A receiver recomputes the HMAC
over the *raw* request body (before any JSON parsing), compares in constant time, and refuses a
timestamp outside its tolerance (default 5 minutes either way) so a captured request cannot be
replayed later. Several `v1=` values may appear (e.g. while a secret is rotated): one match is
enough. docs/api.md quotes `verify` as the reference receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Deposit-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale, from the future, or does not match."""


def compute(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={compute(secret, t, body)}"


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: int | None = None,
) -> int:
    """Check a Deposit-Signature header against the raw body; return its timestamp.

    Raises SignatureError when the header is missing or malformed, when the timestamp is more
    than `tolerance` seconds in the past (stale) or the future, or when no v1 signature matches
    (tampered body, wrong secret).
    """
    if not header:
        raise SignatureError("missing signature header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed signature header")
        if name == "t":
            if not value.isdigit():
                raise SignatureError("malformed timestamp")
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("signature header needs t= and v1=")
    current = int(time.time()) if now is None else int(now)
    if timestamp < current - tolerance:
        raise SignatureError("timestamp too old (stale or replayed)")
    if timestamp > current + tolerance:
        raise SignatureError("timestamp in the future")
    expected = compute(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("signature does not match")
    return timestamp
