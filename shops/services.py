"""Writes for merchants, shops and restrictions. Keyword-only; `now` is passed in, never read here.

Building blocks use plain `transaction.atomic` and compose inside a caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from approvals import registry as approvals_registry
from approvals.models import FourEyesRequest
from approvals.services import four_eyes_route
from common.enqueue import task_nudge
from common.errors import InvalidInput, InvalidTransition
from common.templatetags.money import mask_money
from common.times import utc_iso
from partners import services as partner_services
from shops.locks import lock_shop
from shops.models import (
    FREEZING_KINDS,
    Category,
    ExportLog,
    Merchant,
    Notification,
    NotificationPreference,
    NotificationRead,
    RestrictionKind,
    RestrictionSource,
    Shop,
    ShopRestriction,
    ShopStatus,
    ShopType,
    TrademarkStatus,
)
from shops.notice_kinds import BY_CODE
from shops.selectors import AMOUNT_HIDDEN, NoticeRecipient, notice_recipients


def merchant_get_or_create(
    *, email: str, name: str, language: str = "zh-hans", partner_id: int | None = None
) -> Merchant:
    """The partner's merchant with this contact e-mail, created if new.

    Merchants are scoped by partner: a partner may add shops only to its own merchants (or to
    one ops linked to its shops), otherwise any partner could put a shop into another company's
    dashboard just by knowing its e-mail. An e-mail another partner's merchant uses is simply new
    here: a merchant of this partner's own is created, and the answer is the one for any new
    e-mail, so the registration does not tell this partner the company is registered elsewhere.
    (Refusing it, as before, did.) Ops can still link merchants by hand."""
    address = email.strip().lower()
    if partner_id is None:
        # Ops and the project's own tools (seed data), trusted: the merchant by e-mail, any.
        mine = Merchant.objects.filter(contact_email=address).order_by("partner_id", "pk")
    else:
        mine = Merchant.objects.filter(contact_email=address, partner_id=partner_id)
    merchant = mine.first()
    if merchant is None and partner_id is not None:
        # A merchant from before merchants had a partner, or one ops linked to this partner's
        # shops: the partner keeps adding shops to it.
        merchant = (
            Merchant.objects.filter(contact_email=address, shops__partner_id=partner_id)
            .order_by("pk")
            .first()
        )
    if merchant is not None:
        return merchant
    try:
        with transaction.atomic():  # a savepoint: a concurrent registration may win the race
            return Merchant.objects.create(
                contact_email=address, name=name.strip(), language=language, partner_id=partner_id
            )
    except IntegrityError:
        return mine.first()  # type: ignore[return-value]


def _categories_by_code(codes: Iterable[str]) -> list[Category]:
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        raise InvalidInput(
            "A shop needs at least one category.",
            fields={"categories": ["Give one or more codes."]},
        )
    found = {c.code: c for c in Category.objects.filter(code__in=wanted, is_active=True)}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise InvalidInput(
            f"Unknown category codes: {', '.join(unknown)}.",
            fields={"categories": [f"Unknown category code {code!r}." for code in unknown]},
        )
    return [found[code] for code in wanted]


def _validate_kind(*, shop_type: str, trademark_status: str) -> None:
    if shop_type not in ShopType.values:
        raise InvalidInput(fields={"shop_type": [f"Must be one of {', '.join(ShopType.values)}."]})
    if trademark_status not in TrademarkStatus.values:
        raise InvalidInput(
            fields={"trademark_status": [f"Must be one of {', '.join(TrademarkStatus.values)}."]}
        )


def shop_create(
    *,
    merchant: Merchant,
    name: str,
    shop_type: str,
    trademark_status: str,
    category_codes: Iterable[str],
    external_ref: str,
    partner_id: int | None = None,
    currency: str = "CNY",
) -> Shop:
    """Register a shop (ONBOARDING until its deposit is paid in full). Composable building block."""
    _validate_kind(shop_type=shop_type, trademark_status=trademark_status)
    categories = _categories_by_code(category_codes)
    try:
        with transaction.atomic():
            shop = Shop.objects.create(
                merchant=merchant,
                name=name.strip(),
                shop_type=shop_type,
                trademark_status=trademark_status,
                external_ref=external_ref,
                partner_id=partner_id,
                currency=currency,
            )
            shop.categories.set(categories)
    except IntegrityError:
        raise InvalidInput(
            f"A shop with external_ref {external_ref!r} already exists.",
            fields={"external_ref": ["Already used by another of your shops."]},
        ) from None
    return shop


def shop_profile_set(
    *, shop: Shop, shop_type: str, trademark_status: str, category_codes: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """Write the fields that decide a shop's deposit requirement; returns what changed as
    {field: (old, new)}. Building block: deposits.services.shop_profile_change calls it and
    recomputes the requirement in the same transaction (shops cannot: it may not import
    deposits). The currency is not among these: it is fixed once the deposit account exists."""
    _validate_kind(shop_type=shop_type, trademark_status=trademark_status)
    categories = _categories_by_code(category_codes)
    old_codes = ", ".join(sorted(shop.categories.values_list("code", flat=True)))
    new_codes = ", ".join(sorted(c.code for c in categories))
    changes = {
        name: (old, new)
        for name, old, new in (
            ("shop_type", shop.shop_type, shop_type),
            ("trademark_status", shop.trademark_status, trademark_status),
            ("categories", old_codes, new_codes),
        )
        if old != new
    }
    if changes:
        with transaction.atomic():
            Shop.objects.filter(pk=shop.pk).update(
                shop_type=shop_type, trademark_status=trademark_status
            )
            shop.categories.set(categories)
        shop.shop_type, shop.trademark_status = shop_type, trademark_status
    return changes


def shop_derive_status(shop: Shop, active_kinds: set[str]) -> str:
    if shop.closed_at is not None:
        return ShopStatus.CLOSED
    if shop.went_live_at is None:
        return ShopStatus.ONBOARDING
    if active_kinds & FREEZING_KINDS:
        return ShopStatus.FROZEN
    if active_kinds:
        return ShopStatus.RESTRICTED
    return ShopStatus.ACTIVE


def shop_refresh_status(
    *, shop: Shop, now: datetime | None = None, announce: bool = True
) -> tuple[str, str]:
    """Recompute the cached status from the restriction rows; returns (old, new).

    Re-reads the shop under its row lock rather than trusting the caller's instance, which may be
    stale (another service may have just taken it live), and so that two concurrent changes of
    the same shop's restrictions serialise instead of each writing a status from its own view.

    A change is announced to the shop's partner (`shop.status_changed`, in this transaction)
    unless `announce` is False: the shortfall module sends its own, richer event.
    """
    with transaction.atomic():
        fresh = lock_shop(shop.pk)
        if fresh is None:
            raise Shop.DoesNotExist(f"No shop {shop.pk}.")
        active = list(
            ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True).order_by("id")
        )
        old = fresh.status
        new = shop_derive_status(fresh, {r.kind for r in active})
        if new != old:
            Shop.objects.filter(pk=shop.pk).update(status=new)
            if announce:
                partner_services.event_publish(
                    partner_id=fresh.partner_id,
                    type="shop.status_changed",
                    data={
                        "shop": str(fresh.public_id),
                        "external_ref": fresh.external_ref,
                        "status": new,
                        "previous_status": old,
                        "restrictions": [
                            {"kind": r.kind, "reason": r.reason, "since": utc_iso(r.since)}
                            for r in active
                        ],
                    },
                    now=now or timezone.now(),
                    ordering_key=str(fresh.public_id),
                )
    shop.status, shop.went_live_at, shop.closed_at = new, fresh.went_live_at, fresh.closed_at
    return old, new


def shop_mark_live(*, shop: Shop, now: datetime) -> bool:
    """The deposit was paid in full for the first time: the shop leaves onboarding. Idempotent."""
    updated = Shop.objects.filter(pk=shop.pk, went_live_at__isnull=True).update(went_live_at=now)
    if updated:
        shop_refresh_status(shop=shop, now=now)
    return bool(updated)


def shop_close(*, shop: Shop, now: datetime) -> None:
    """Record a confirmed exit (退店). Building block: deposits.services.shop_exit_confirm also
    drops the requirement to zero."""
    updated = Shop.objects.filter(pk=shop.pk, closed_at__isnull=True).update(closed_at=now)
    if not updated:
        raise InvalidTransition("The shop is already closed.")
    shop_refresh_status(shop=shop, now=now)


def restriction_add(
    *,
    shop: Shop,
    kind: str,
    source: str,
    reason: str,
    now: datetime,
    source_ref: str = "",
    lifts_when: str = "",
    actor: AbstractBaseUser | None = None,
    announce: bool = True,
) -> ShopRestriction:
    """Add a restriction unless the same cause already holds the same one (then return that).
    `announce`: see shop_refresh_status."""
    if kind not in RestrictionKind.values:
        raise InvalidInput(
            fields={"kind": [f"Must be one of {', '.join(RestrictionKind.values)}."]}
        )
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["Say why: the merchant will read it."]})
    with transaction.atomic():
        existing = ShopRestriction.objects.filter(
            shop=shop, kind=kind, source=source, source_ref=source_ref, lifted_at__isnull=True
        ).first()
        if existing:
            return existing
        restriction = ShopRestriction.objects.create(
            shop=shop,
            kind=kind,
            source=source,
            source_ref=source_ref,
            reason=reason.strip(),
            lifts_when=lifts_when,
            since=now,
            created_by=actor,
        )
        shop_refresh_status(shop=shop, now=now, announce=announce)
    return restriction


def restrictions_lift(
    *,
    shop: Shop,
    source: str,
    now: datetime,
    reason: str,
    source_ref: str | None = None,
    restriction_ids: Iterable[int] | None = None,
    actor: AbstractBaseUser | None = None,
    announce: bool = True,
) -> int:
    """Lift the active restrictions of one cause (and only those). Returns how many were lifted.
    `announce`: see shop_refresh_status."""
    with transaction.atomic():
        qs = ShopRestriction.objects.filter(shop=shop, source=source, lifted_at__isnull=True)
        if source_ref is not None:
            qs = qs.filter(source_ref=source_ref)
        if restriction_ids is not None:
            qs = qs.filter(pk__in=list(restriction_ids))
        lifted = qs.update(lifted_at=now, lifted_by=actor, lift_reason=reason)
        if lifted:
            shop_refresh_status(shop=shop, now=now, announce=announce)
    return lifted


def shop_freeze(
    *, shop: Shop, reason: str, actor: AbstractBaseUser, now: datetime
) -> ShopRestriction:
    """Ops freeze a shop by hand; it stays frozen until ops lift it (a top-up does not). The
    merchant is told why, in their language (a notice and an e-mail)."""
    with transaction.atomic():
        restriction = restriction_add(
            shop=shop,
            kind=RestrictionKind.FROZEN,
            source=RestrictionSource.MANUAL,
            reason=reason,
            now=now,
            lifts_when="Lifted by the platform's operations team after review.",
            actor=actor,
        )
        _notify_manual(shop, f"manual-freeze:{restriction.pk}", frozen=True, reason=reason, now=now)
    return restriction


def shop_unfreeze(*, shop: Shop, reason: str, actor: AbstractBaseUser, now: datetime) -> int:
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["Say why the shop is unfrozen."]})
    with transaction.atomic():
        freezes = list(
            ShopRestriction.objects.filter(
                shop=shop, source=RestrictionSource.MANUAL, lifted_at__isnull=True
            ).values_list("pk", flat=True)
        )
        lifted = restrictions_lift(
            shop=shop, source=RestrictionSource.MANUAL, now=now, reason=reason, actor=actor
        )
        if not lifted:
            raise InvalidTransition("The shop has no manual freeze to lift.")
        _notify_manual(
            shop, f"manual-unfreeze:{max(freezes)}", frozen=False, reason=reason, now=now
        )
    return lifted


def _notify_manual(shop: Shop, key: str, *, frozen: bool, reason: str, now: datetime) -> None:
    merchant = shop.merchant
    texts = {}
    for language, _name in settings.LANGUAGES:
        # Written in every language, so each reader sees it in their own (the reason is ops'
        # words and stays as typed).
        with translation.override(language):
            if frozen:
                title = translation.gettext("Your shop %(shop)s has been frozen") % {
                    "shop": shop.name
                }
                body = translation.gettext(
                    "The platform's operations team froze the shop: it cannot sell until they "
                    "lift the freeze. Reason: %(reason)s"
                ) % {"reason": reason.strip()}
            else:
                title = translation.gettext("The freeze on %(shop)s has been lifted") % {
                    "shop": shop.name
                }
                body = translation.gettext(
                    "The platform's operations team lifted the freeze. Reason: %(reason)s"
                ) % {"reason": reason.strip()}
        texts[language] = (title, body)
    notice, created = notification_create(
        merchant_id=merchant.pk,
        shop_id=shop.pk,
        dedupe_key=key,
        kind="MANUAL_FREEZE" if frozen else "MANUAL_UNFREEZE",
        language=merchant.language,
        texts=texts,
        now=now,
        link=f"/shops/{shop.public_id}/",
    )
    if created:
        # Sent as soon as the freeze commits, not at the next 60-second sweep.
        notification_email_enqueue_on_commit(notice.pk)


# --- Notifications ------------------------------------------------------------------------------

# A worker that claimed an e-mail and then died leaves it SENDING; after this long it may be
# claimed again (the one case where a merchant could get the same e-mail twice).
NOTIFICATION_CLAIM_STALE_AFTER = timedelta(minutes=10)
# The task that sends one notice's e-mail, enqueued by name (common.enqueue says why: shops.tasks
# imports these services, so they must not import it back). shops.tasks registers under it.
SEND_NOTIFICATION_EMAIL_TASK = "shops.tasks.send_notification_email"


def notification_create(
    *,
    merchant_id: int,
    dedupe_key: str,
    kind: str,
    language: str,
    now: datetime,
    title: str = "",
    body: str = "",
    texts: Mapping[str, tuple[str, str]] | None = None,
    shop_id: int | None = None,
    link: str = "",
    email: bool = True,
) -> tuple[Notification, bool]:
    """Create the notice named `dedupe_key` unless it exists; returns (notice, created).

    Give `texts` ({language: (title, body)} for every language in settings.LANGUAGES) so the
    dashboard shows the notice in each reader's language; the e-mail is the merchant's
    `language`. A caller that gives only `title` and `body` (in `language`) gets a notice
    shown in that language to everyone.

    Building block (plain atomic, a savepoint): a concurrent creator of the same key waits on the
    unique index and then gets the existing row, so the notice exists exactly once.
    """
    if texts:
        stored = {code: [str(pair[0])[:300], str(pair[1])] for code, pair in texts.items()}
        if language not in stored:
            raise ValueError(f"texts has no {language!r} version for the e-mail")
        title, body = stored[language]
    else:
        stored = {language: [title[:300], body]}
    existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            notice = Notification.objects.create(
                merchant_id=merchant_id,
                shop_id=shop_id,
                dedupe_key=dedupe_key,
                kind=kind,
                language=language,
                title=title[:300],
                body=body,
                texts=stored,
                link=link,
                created_at=now,
                email_status=(
                    Notification.EmailStatus.PENDING if email else Notification.EmailStatus.NONE
                ),
            )
    except IntegrityError:
        return Notification.objects.get(dedupe_key=dedupe_key), False
    return notice, True


def notification_email_enqueue_on_commit(notification_id: int) -> None:
    """Ask a worker to send the notice's e-mail once the transaction commits. A broker that is
    down loses nothing: the periodic sweep (shops.tasks.deliver_notification_emails) finds it."""
    if not getattr(settings, "NOTIFICATION_EMAIL_ON_COMMIT", True):
        return
    transaction.on_commit(
        lambda: task_nudge(SEND_NOTIFICATION_EMAIL_TASK, notification_id=notification_id),
        robust=True,
    )


def notifications_mark_read(
    *,
    user_id: int,
    merchant_id: int,
    now: datetime,
    notification_ids: Iterable[int] | None = None,
) -> int:
    """Mark the merchant's notices read for this user only (all they have not read when no ids
    are given); their colleagues' read state is theirs. Returns how many were newly marked."""
    qs = Notification.objects.filter(merchant_id=merchant_id).exclude(reads__user_id=user_id)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    rows = [
        NotificationRead(notification_id=pk, user_id=user_id, read_at=now)
        for pk in qs.values_list("pk", flat=True)
    ]
    # A second tab marking the same notices at the same moment: the unique pair keeps one row.
    created = NotificationRead.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def notice_email_choices_set(*, user_id: int, choices: Mapping[str, bool], now: datetime) -> None:
    """Record which groups of notices this user wants e-mailed (shops.notice_kinds.GROUPS).
    Urgent kinds are e-mailed whatever is stored here; an unknown group is refused."""
    unknown = [code for code in choices if code not in BY_CODE]
    if unknown:
        raise InvalidInput(
            fields={"groups": [f"Unknown notice group {code!r}." for code in unknown]}
        )
    with transaction.atomic():
        for code, wanted in choices.items():
            NotificationPreference.objects.update_or_create(
                user_id=user_id, group=code, defaults={"email": bool(wanted), "updated_at": now}
            )


def notifications_email_due(*, now: datetime, limit: int = 500) -> list[int]:
    """Ids of notices whose e-mail is still to send (or whose claim went stale), oldest first."""
    stale = now - NOTIFICATION_CLAIM_STALE_AFTER
    return list(
        Notification.objects.filter(
            Q(email_status=Notification.EmailStatus.PENDING)
            | Q(email_status=Notification.EmailStatus.SENDING, email_claimed_at__lt=stale)
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def notification_email_claim(*, notification_id: int, now: datetime) -> bool:
    """Compare-and-set PENDING (or a stale SENDING) → SENDING; True when this caller won."""
    stale = now - NOTIFICATION_CLAIM_STALE_AFTER
    claimable = Q(email_status=Notification.EmailStatus.PENDING) | Q(
        email_status=Notification.EmailStatus.SENDING, email_claimed_at__lt=stale
    )
    claimed = Notification.objects.filter(claimable, pk=notification_id).update(
        email_status=Notification.EmailStatus.SENDING, email_claimed_at=now
    )
    return bool(claimed)


def notification_email_send(*, notification_id: int, now: datetime) -> bool:
    """Send a notice's e-mail exactly once; returns True when this call sent it.

    Never call inside a transaction (no network I/O inside one): the claim commits first, then the
    message goes out, then SENT commits. A failed send releases the claim so a retry can send.
    """
    if not notification_email_claim(notification_id=notification_id, now=now):
        return False
    notice = Notification.objects.select_related("merchant", "shop").get(pk=notification_id)
    try:
        messages = [
            _notification_message(notice, recipient) for recipient in notice_recipients(notice)
        ]
        for message in messages:
            # One message per person: colleagues never see each other's address. A failure part
            # way retries the whole notice (an earlier recipient may get it twice, as after a
            # worker that died mid-send).
            message.send(fail_silently=False)
    except Exception as exc:
        Notification.objects.filter(
            pk=notification_id, email_status=Notification.EmailStatus.SENDING
        ).update(
            email_status=Notification.EmailStatus.PENDING,
            email_attempts=notice.email_attempts + 1,
            email_error=str(exc)[:300],
        )
        raise
    if not messages:
        # Everyone switched this kind off: nothing was sent, and the row says so.
        Notification.objects.filter(
            pk=notification_id, email_status=Notification.EmailStatus.SENDING
        ).update(email_status=Notification.EmailStatus.NONE, email_error="")
        return False
    Notification.objects.filter(
        pk=notification_id, email_status=Notification.EmailStatus.SENDING
    ).update(
        email_status=Notification.EmailStatus.SENT,
        email_sent_at=now,
        email_attempts=notice.email_attempts + 1,
        email_error="",
    )
    return True


def _notification_message(notice: Notification, recipient: NoticeRecipient) -> EmailMessage:
    """The notice in the recipient's language (as written in it, else as written), amounts
    masked for a reader who may not see them (the dashboard's rule), as text and HTML."""
    title, body = notice.text_for(recipient.language)
    with translation.override(recipient.language):
        if not recipient.sees_money:
            hidden = str(AMOUNT_HIDDEN)
            title, body = mask_money(title, hidden), mask_money(body, hidden)
        footer = _notification_footer(notice)
        html = render_to_string(
            "email/notice.html",
            {
                "title": title,
                "body": body,
                "link": _absolute(notice.link),
                "notice": notice,
                "language": recipient.language,
            },
        )
    message = EmailMultiAlternatives(
        subject=title,
        body=f"{body}\n\n{footer}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"Content-Language": recipient.language},
    )
    message.attach_alternative(html, "text/html")
    return message


def _absolute(link: str) -> str:
    # A mail client has no page to resolve a relative link against.
    return settings.DASHBOARD_BASE_URL + link if link.startswith("/") else link


def _notification_footer(notice: Notification) -> str:
    gettext = translation.gettext  # under the notice's language (the caller overrides it)
    lines = [
        gettext("You can see this notice and your shop's deposit in your Deposit Desk dashboard.")
    ]
    if notice.link:
        lines.append(_absolute(notice.link))
    lines.append(gettext("This message was sent automatically; please do not reply."))
    return "\n".join(lines)


# --- Four-eyes (approvals) --------------------------------------------------------------------


def shop_unfreeze_or_request(
    *, shop: Shop, reason: str, actor: AbstractBaseUser, now: datetime
) -> int | FourEyesRequest:
    """Ops lift their own freeze: a second person approves it first while the action
    "shops.unfreeze" has a threshold (by default always); otherwise at once, as before."""
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["Say why the shop is unfrozen."]})

    def check() -> None:
        if not ShopRestriction.objects.filter(
            shop=shop, source=RestrictionSource.MANUAL, lifted_at__isnull=True
        ).exists():
            raise InvalidTransition("The shop has no manual freeze to lift.")

    return four_eyes_route(
        action=UNFREEZE_ACTION,
        maker=actor,
        reason=reason,
        now=now,
        subject=shop,
        subject_label=shop.name,
        payload={"shop_id": shop.pk},
        check=check,
        carry_out=lambda: shop_unfreeze(shop=shop, reason=reason, actor=actor, now=now),
    )


UNFREEZE_ACTION = "shops.unfreeze"


def _unfreeze_carry_out(
    *, request: FourEyesRequest, checker: AbstractBaseUser, now: datetime, note: str = ""
) -> int:
    return shop_unfreeze(
        shop=Shop.objects.get(pk=request.payload["shop_id"]),
        reason=request.reason,
        actor=checker,
        now=now,
    )


def register_four_eyes() -> None:
    from django.utils.translation import gettext_lazy

    approvals_registry.register(
        approvals_registry.ActionKind(
            action=UNFREEZE_ACTION,
            label=gettext_lazy("Manual unfreeze"),
            execute=_unfreeze_carry_out,
            threshold_key="shops.unfreeze",
        )
    )


# --- Exports of ops lists (the export log) ----------------------------------------------------


def export_log_start(
    *,
    user: AbstractBaseUser,
    list_label: str,
    list_name: str,
    file_format: str,
    filters: Mapping[str, list[str]],
    now: datetime,
) -> ExportLog:
    """Record an export before its first row is sent: a download that breaks off is still on
    record (with no row count), and none can be taken without a trace."""
    return ExportLog.objects.create(
        user=user,
        username=user.get_username(),
        list_label=list_label,
        list_name=list_name[:200],
        file_format=file_format,
        filters={key: list(values) for key, values in filters.items()},
        started_at=now,
    )


def export_log_finish(*, export_id: int, row_count: int, now: datetime) -> None:
    """The last row has gone out: how many there were."""
    ExportLog.objects.filter(pk=export_id, finished_at__isnull=True).update(
        row_count=row_count, finished_at=now
    )
