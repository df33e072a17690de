"""Webhook endpoints and the delivery of events to them.

Delivery, one attempt at a time (`delivery_attempt`):
1. Claim: under the delivery's row lock (SKIP LOCKED: a busy row belongs to another worker),
   check it is pending, due, not leased, its endpoint active, and that no earlier delivery of the
   same queue (endpoint × ordering key, i.e. shop) is pending: that keeps order per shop. Take a
   lease and commit.
2. Send outside any transaction (no network I/O in a transaction): POST the event, signed.
3. Record the attempt in the log; on a 2xx the delivery is done and the next one of its queue is
   enqueued; otherwise it is retried with exponential backoff until `give_up_at` (24 hours). An
   endpoint that has failed for the whole retry window is disabled and ops are told.

A worker that dies mid-send leaves a lease that expires; the periodic sweep retakes it, so
delivery is at least once (receivers deduplicate by event id, api-v1.md).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from common.enqueue import task_enqueue
from common.errors import InvalidInput, InvalidTransition
from common.times import utc_iso
from partners import signing
from partners.models import EVENT_TYPES, Delivery, DeliveryAttempt, Event, WebhookEndpoint
from partners.services.events import (
    DELIVER_WEBHOOK_TASK,
    deliveries_enqueue_on_commit,
    retry_window,
)

LEASE = timedelta(seconds=60)
MAX_EVENT_TYPES = 50
USER_AGENT = "DepositDesk-Webhooks/1"


# --- URLs -------------------------------------------------------------------------------------


def _allowed_host(host: str) -> bool:
    if settings.DEBUG:
        return True
    for entry in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", []):
        entry = entry.strip().lower().rstrip(".")
        if entry and (host == entry or (entry.startswith(".") and host.endswith(entry))):
            return True
    return False


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        # Legacy spellings a resolver also accepts: 127.1, 0x7f.0.0.1, 2130706433.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def webhook_url_problem(url: str, *, resolve: bool = False) -> str | None:
    """Why `url` may not receive webhooks, or None. Loopback, private, link-local and other
    non-public addresses are refused unless the host is in WEBHOOK_ALLOWED_HOSTS or DEBUG is on
    (api-v1.md). With `resolve` (at delivery time) the name is resolved and every address it
    resolves to is checked as well."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Not a valid URL."
    if parts.scheme not in ("http", "https"):
        return "Use an https:// URL."
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "The URL needs a host name."
    if parts.username is not None or parts.password is not None:
        return "Credentials in the URL are not allowed; the signature authenticates deliveries."
    allowed = _allowed_host(host)
    if parts.scheme != "https" and not allowed:
        return "Use https:// (plain http is only for allow-listed hosts and development)."
    if allowed:
        return None
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "Loopback and private hosts cannot receive webhooks."
    literal = _literal_ip(host)
    if literal is not None:
        return None if _is_public(literal) else "Loopback and private addresses are refused."
    if resolve:
        try:
            infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return "The host name does not resolve."
        for info in infos:
            address = str(info[4][0]).split("%", 1)[0]
            if not _is_public(ipaddress.ip_address(address)):
                return "The host name resolves to a loopback or private address."
    return None


# --- Endpoints --------------------------------------------------------------------------------


def _validate_event_types(event_types: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(event_types))
    if not wanted:
        raise InvalidInput(fields={"event_types": ['Give one or more event types, or ["*"].']})
    if len(wanted) > MAX_EVENT_TYPES:
        raise InvalidInput(fields={"event_types": [f"At most {MAX_EVENT_TYPES} types."]})
    if "*" in wanted and len(wanted) > 1:
        raise InvalidInput(fields={"event_types": ['"*" already means every type; send it alone.']})
    unknown = [t for t in wanted if t != "*" and t not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"Unknown event types: {', '.join(unknown)}.",
            fields={"event_types": [f"Unknown event type {t!r}." for t in unknown]},
        )
    return wanted


def webhook_endpoint_create(
    *,
    partner_id: int,
    url: str,
    event_types: Iterable[str],
    now: datetime,
    description: str = "",
) -> WebhookEndpoint:
    problem = webhook_url_problem(url)
    if problem:
        raise InvalidInput(problem, fields={"url": [problem]})
    types = _validate_event_types(event_types)
    return WebhookEndpoint.objects.create(
        partner_id=partner_id,
        url=url,
        event_types=types,
        description=description.strip(),
        secret="whsec_" + secrets.token_urlsafe(32),
        created_at=now,
    )


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, now: datetime) -> None:
    """The partner removes an endpoint: nothing more is sent to it (pending deliveries are
    cancelled; the events stay available from the pull endpoint)."""
    with transaction.atomic():
        updated = WebhookEndpoint.objects.filter(pk=endpoint.pk, deleted_at__isnull=True).update(
            deleted_at=now, is_active=False
        )
        if not updated:
            raise InvalidTransition("The endpoint is already deleted.")
        Delivery.objects.filter(endpoint_id=endpoint.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CANCELLED, lease_until=None
        )


def webhook_endpoint_disable(*, endpoint_id: int, reason: str, now: datetime) -> bool:
    """Stop delivering to an endpoint and tell ops (admin list + mail to ADMINS)."""
    with transaction.atomic():
        updated = WebhookEndpoint.objects.filter(
            pk=endpoint_id, is_active=True, deleted_at__isnull=True
        ).update(is_active=False, disabled_at=now, disabled_reason=reason)
        if updated:
            endpoint = WebhookEndpoint.objects.select_related("partner").get(pk=endpoint_id)
            subject = f"Webhook endpoint disabled: {endpoint.partner} {endpoint.url}"
            message = (
                f"Partner: {endpoint.partner}\nEndpoint: {endpoint.url} ({endpoint.public_id})\n"
                f"Disabled at: {now.isoformat()}\nReason: {reason}\n\n"
                "Pending deliveries wait; re-enable the endpoint in the admin once the partner "
                "has fixed it, and they are sent in order."
            )
            transaction.on_commit(
                lambda: mail_admins(subject, message, fail_silently=True), robust=True
            )
    return bool(updated)


def webhook_endpoint_enable(*, endpoint_id: int, now: datetime) -> int:
    """Re-enable after the partner fixed their receiver: pending deliveries get a fresh retry
    window and are sent at once, in order. Returns how many were re-queued."""
    with transaction.atomic():
        updated = WebhookEndpoint.objects.filter(
            pk=endpoint_id, is_active=False, deleted_at__isnull=True
        ).update(is_active=True, disabled_at=None, disabled_reason="", failing_since=None)
        if not updated:
            raise InvalidTransition("Only a disabled (not deleted) endpoint can be enabled.")
        pending = Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING)
        count = pending.update(
            next_attempt_at=now, give_up_at=now + retry_window(), lease_until=None
        )
        deliveries_enqueue_on_commit(_queue_heads(pending, now=now).values_list("pk", flat=True))
    return count


# --- Delivery ---------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failures: 10 s, 20 s, 40 s … capped at 1 h,
    which makes about 30 attempts over the 24-hour window."""
    base = getattr(settings, "WEBHOOK_RETRY_BASE_SECONDS", 10)
    cap = getattr(settings, "WEBHOOK_RETRY_MAX_SECONDS", 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, min(attempts - 1, 30))))


def event_payload(event: Event) -> dict[str, Any]:
    """What a delivery POSTs and what GET /api/v1/events/ lists: the same object."""
    return {
        "id": str(event.public_id),
        "type": event.type,
        "created_at": utc_iso(event.created_at),
        "data": event.data,
    }


def event_body(event: Event) -> bytes:
    return json.dumps(event_payload(event), separators=(",", ":"), ensure_ascii=False).encode()


def _earlier_pending() -> Exists:
    return Exists(
        Delivery.objects.filter(
            endpoint_id=OuterRef("endpoint_id"),
            ordering_key=OuterRef("ordering_key"),
            status=Delivery.Status.PENDING,
            event_id__lt=OuterRef("event_id"),
        )
    )


def _queue_heads(qs: Any, *, now: datetime) -> Any:
    return (
        qs.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .exclude(_earlier_pending())
    )


def _next_in_queue(queue: Any) -> list[int]:
    """The next pending delivery of a queue, whether due or not: its task checks that."""
    return list(
        queue.filter(status=Delivery.Status.PENDING)
        .order_by("event_id")
        .values_list("pk", flat=True)[:1]
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it could lead to a private address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """Send one request; returns (status or None, error, start of the response body)."""
    timeout = getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, "", response.read(500).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        excerpt = ""
        try:
            excerpt = exc.read(500).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            pass
        return exc.code, f"HTTP {exc.code}", excerpt
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{exc.__class__.__name__}: {reason}"[:500], ""


def _claim(delivery_id: int, now: datetime) -> Delivery | str:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "busy"
        if delivery.status != Delivery.Status.PENDING:
            return "done"
        if not delivery.endpoint.is_active:
            return "endpoint_inactive"
        if delivery.next_attempt_at > now:
            return "not_due"
        if delivery.lease_until is not None and delivery.lease_until > now:
            return "leased"
        earlier = Delivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            ordering_key=delivery.ordering_key,
            status=Delivery.Status.PENDING,
            event_id__lt=delivery.event_id,
        ).exists()
        if earlier:
            return "waiting"  # the earlier one's success enqueues this one
        delivery.lease_until = now + LEASE
        Delivery.objects.filter(pk=delivery.pk).update(lease_until=delivery.lease_until)
    return delivery


def delivery_attempt(*, delivery_id: int, now: datetime) -> str:
    """Attempt one delivery if it is due and first in its queue. Safe to run twice or in two
    workers at once: the claim and the lease make the second a no-op. Returns the outcome."""
    claimed = _claim(delivery_id, now)
    if isinstance(claimed, str):
        return claimed
    delivery = claimed
    endpoint = delivery.endpoint
    body = event_body(delivery.event)
    started = time.monotonic()
    problem = webhook_url_problem(endpoint.url, resolve=True)
    if problem:
        status, error, excerpt = None, f"Refused: {problem}", ""
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            signing.HEADER: signing.sign(endpoint.secret, body, timestamp=int(now.timestamp())),
            "Deposit-Event-Id": str(delivery.event.public_id),
            "Deposit-Event-Type": delivery.event.type,
            "Deposit-Delivery-Attempt": str(delivery.attempts + 1),
        }
        status, error, excerpt = _post(endpoint.url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(delivery, now=now, status=status, error=error, excerpt=excerpt, ms=duration_ms)


def _record(
    delivery: Delivery, *, now: datetime, status: int | None, error: str, excerpt: str, ms: int
) -> str:
    ok = status is not None and 200 <= status < 300
    attempts = delivery.attempts + 1
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=status,
            error=error[:500],
            duration_ms=ms,
            response_excerpt=excerpt[:500],
        )
        common = {
            "attempts": attempts,
            "last_attempt_at": now,
            "last_status_code": status,
            "last_error": error[:500],
            "lease_until": None,
        }
        queue = Delivery.objects.filter(
            endpoint_id=delivery.endpoint_id, ordering_key=delivery.ordering_key
        )
        if ok:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.SUCCEEDED, delivered_at=now, **common
            )
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
                failing_since=None, last_success_at=now
            )
            deliveries_enqueue_on_commit(_next_in_queue(queue))
            return "delivered"
        gave_up = now >= delivery.give_up_at
        if gave_up:
            Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, **common)
            # Unblock the rest of the queue: the partner can still pull this event.
            deliveries_enqueue_on_commit(_next_in_queue(queue))
        else:
            Delivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=now + backoff(attempts), **common
            )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=True).update(
            failing_since=now
        )
        failing_since = (
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
            .values_list("failing_since", flat=True)
            .get()
        )
        if failing_since is not None and now - failing_since >= retry_window():
            webhook_endpoint_disable(
                endpoint_id=delivery.endpoint_id,
                reason=(
                    f"Every delivery failed since {failing_since.isoformat()} "
                    f"(last: {error or status})."
                ),
                now=now,
            )
    return "gave_up" if gave_up else "retry"


def deliveries_redeliver(*, delivery_ids: Iterable[int], now: datetime) -> int:
    """Ops send deliveries again (admin action): back to pending with a fresh 24-hour window,
    attempted at once (after any earlier pending delivery of the same shop)."""
    ids = list(delivery_ids)
    with transaction.atomic():
        count = (
            Delivery.objects.filter(pk__in=ids)
            .exclude(status=Delivery.Status.CANCELLED)
            .update(
                status=Delivery.Status.PENDING,
                next_attempt_at=now,
                give_up_at=now + retry_window(),
                lease_until=None,
                delivered_at=None,
            )
        )
        deliveries_enqueue_on_commit(ids)
    return count


def delivery_redeliver_for_partner(*, delivery: Delivery, now: datetime) -> None:
    """A partner asks for one of its deliveries again (the API). A CANCELLED delivery's endpoint
    is deleted: nothing to send it to (`invalid_state`)."""
    if delivery.status == Delivery.Status.CANCELLED:
        raise InvalidTransition(
            "This delivery was cancelled because its endpoint was deleted; nothing to send it to."
        )
    deliveries_redeliver(delivery_ids=[delivery.pk], now=now)


def deliveries_enqueue_due(*, now: datetime, limit: int = 1000) -> int:
    """The sweep: one indexed query for the heads of queues that are due (new, retrying, or
    left behind by a crashed worker), then one task each."""
    heads = list(
        _queue_heads(Delivery.objects.filter(endpoint__is_active=True), now=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in heads:
        task_enqueue(DELIVER_WEBHOOK_TASK, delivery_id=delivery_id)
    return len(heads)
