"""Evidence on a claim (domain.md §6.1 "Evidence", api-v1.md "Claims").

The file is read once, in chunks, into a temporary file inside the private evidence directory
while its SHA-256 and size are computed and its first bytes sniffed; only a file that passes
every check is moved to its final random name, inside the transaction that writes its row
under the claim's row lock (the 10-per-party count and the claim's status are the truth there).
A refusal leaves no row and no file. If the caller's transaction rolls back after the move, the
file stays on disk without a row: unreachable (files are only served through their rows), never
a row without its file.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from claims import locks, selectors
from claims.domain.event_texts import note as system_note
from claims.domain.evidence import (
    MAX_FILE_BYTES,
    MAX_FILES_PER_PARTY,
    SNIFF_BYTES,
    active_content,
    extension_for,
    sniff_content_type,
)
from claims.models import Actor, Claim, ClaimEvidence, ClaimStatus, Party
from claims.services import records
from common.errors import EvidenceWindowClosed, InvalidClaimStatus, InvalidInput

# Evidence is accepted while the claim is being negotiated or reviewed, not once decided or over.
OPEN_FOR_EVIDENCE = (ClaimStatus.NEGOTIATING, ClaimStatus.IN_REVIEW)
_ACTOR_FOR_PARTY = {
    Party.CONSUMER: Actor.PARTNER,
    Party.MERCHANT: Actor.MERCHANT,
    Party.OPS: Actor.OPS,
}


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(f"file: {message}", fields={"file": [message]})


def _too_large() -> InvalidInput:
    return _refuse(gettext("The file is larger than 5 MiB."))


@dataclass(frozen=True)
class _Received:
    temp: Path
    size: int
    sha256: str
    content_type: str


def clean_filename(name: str) -> str:
    """The name as shown, never as a path: the last component, no control characters."""
    base = os.path.basename(str(name).replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base or "evidence")[-255:]


def _receive(upload: Any) -> _Received:
    """Copy the upload to a temporary file in the evidence directory, checking it as it comes."""
    declared = getattr(upload, "size", None)
    if declared is not None and declared > MAX_FILE_BYTES:
        raise _too_large()  # refused before a byte is read
    directory = selectors.evidence_dir()
    directory.mkdir(parents=True, exist_ok=True)
    temp = directory / f".incoming-{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with temp.open("wb") as out:
            chunks = upload.chunks() if hasattr(upload, "chunks") else iter([upload.read()])
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise _too_large()
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise _refuse(gettext("The file is empty."))
        content_type = sniff_content_type(head)
        if content_type is None:
            raise _refuse(
                gettext("Only JPEG, PNG, GIF or PDF files are accepted (judged by their content).")
            )
        # At most 5 MiB, so read back whole: a polyglot's markup may sit anywhere in it.
        if active_content(temp.read_bytes(), content_type) is not None:
            raise _refuse(
                gettext(
                    "The file holds active content (a script, a web page or an embedded "
                    "program) and is refused; send a plain photo, scan or PDF."
                )
            )
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return _Received(temp=temp, size=size, sha256=digest.hexdigest(), content_type=content_type)


def _refuse_after_window(claim: Claim, *, party: str, now: datetime) -> None:
    """In review, each side adds evidence until its own window ends (domain.md §6.1); after
    that only ops add files, and ops asking a side for more material reopens its window
    (claims.services.deadlines). Ops' own files are never refused for time."""
    if claim.status != ClaimStatus.IN_REVIEW or party == Party.OPS:
        return
    window = claim.consumer_evidence_by if party == Party.CONSUMER else claim.merchant_evidence_by
    if window is not None and now >= window:
        closed = (
            gettext(
                "The consumer's evidence window closed at %(at)s UTC; the platform may ask for "
                "more material, which opens it again."
            )
            if party == Party.CONSUMER
            else gettext(
                "The merchant's evidence window closed at %(at)s UTC; the platform may ask for "
                "more material, which opens it again."
            )
        )
        raise EvidenceWindowClosed(closed % {"at": f"{window:%Y-%m-%d %H:%M}"})


def evidence_add(
    *,
    claim: Claim,
    party: str,
    upload: Any,
    note: str,
    now: datetime,
    actor_label: str = "",
) -> ClaimEvidence:
    """Store one evidence file for `party` (CONSUMER, MERCHANT or OPS) with its note.

    `validation_error` naming `file`: empty, over 5 MiB, not a JPEG/PNG/GIF/PDF by content, or
    the party's 11th file on this claim. `invalid_claim_status` once the claim is decided or over,
    or (in review) once this party's evidence window has ended.
    New consumer evidence on an IN_REVIEW claim gives the merchant 24 hours more to answer it
    (merchant_evidence_by never moves earlier). A timeline row records who added what."""
    if party not in Party.values:
        raise InvalidInput(
            gettext("party: unknown party %(party)r.") % {"party": party},
            fields={"party": ["Unknown party."]},
        )
    if len(note) > 2000:
        message = gettext("At most 2000 characters.")
        raise InvalidInput(f"note: {message}", fields={"note": [message]})
    received = _receive(upload)
    try:
        with transaction.atomic():
            locked = locks.lock_claim(claim.pk)
            if locked.status not in OPEN_FOR_EVIDENCE:
                raise InvalidClaimStatus(
                    gettext("A %(status)s claim takes no more evidence: it is decided or over.")
                    % {"status": locked.status}
                )
            _refuse_after_window(locked, party=party, now=now)
            if selectors.evidence_count(locked, party=party) >= MAX_FILES_PER_PARTY:
                raise _refuse(
                    gettext("At most 10 files per party on a claim; this side has 10 already.")
                )
            stored_name = (
                f"{locked.public_id}/{uuid.uuid4().hex}.{extension_for(received.content_type)}"
            )
            evidence = ClaimEvidence.objects.create(
                claim=locked,
                party=party,
                filename=clean_filename(getattr(upload, "name", "") or ""),
                size=received.size,
                content_type=received.content_type,
                sha256=received.sha256,
                note=note,
                submitted_at=now,
                submitted_by=actor_label,
                stored_name=stored_name,
            )
            lines = [
                system_note(
                    "evidence_file",
                    name=evidence.filename,
                    type=received.content_type,
                    size=received.size,
                    sha=received.sha256[:12],
                )
            ]
            if party == Party.CONSUMER and locked.status == ClaimStatus.IN_REVIEW:
                extended = now + records.MERCHANT_EXTRA_AFTER_NEW_EVIDENCE
                current = locked.merchant_evidence_by
                if current is None or extended > current:
                    locked.merchant_evidence_by = extended
                    locked.save(update_fields=["merchant_evidence_by"])
                    lines.append(system_note("evidence_extended", until=extended))
            records.timeline_add(
                claim=locked,
                actor=_ACTOR_FOR_PARTY[Party(party)],
                actor_label=actor_label,
                action=f"evidence added:{party}",
                now=now,
                note=note,
                system=lines,
            )
            final = selectors.evidence_path(evidence)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(received.temp, final)
    finally:
        received.temp.unlink(missing_ok=True)  # moved already, or refused: nothing left behind
    return evidence
