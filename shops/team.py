"""A merchant's team: invitations by e-mail, joining with a password, roles, removal.

Writes (keyword-only, `now` passed in) for the team pages (shops.views_team) and for the partner
API's registration of a new merchant (deposits.services.onboarding: the first owner is invited).
Every change writes a `TeamChange` row in the same transaction. Invitation e-mails leave through
the outbox pattern of the notices: the row is PENDING, a task enqueued by name after commit
claims and sends it, the periodic sweep catches a lost enqueue.

Why the link is signed rather than a stored random token: the worker that sends (or re-sends
after a failure) rebuilds the link from the row, so no secret sits in the database or in a
queued message; the nonce in the row is what a resend rotates and what acceptance checks.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from common.enqueue import task_nudge
from common.errors import (
    InvalidInput,
    InvalidTransition,
    InvitationEmailTaken,
    InvitationExpired,
    InvitationNotUsable,
    InvitationUsed,
    TooManyInvitations,
)
from shops import locks
from shops.models import Invitation, Merchant, MerchantUser, TeamChange

INVITATION_VALID_FOR = timedelta(days=7)
# Claimed e-mails whose worker died are taken again after this long (as the notices').
INVITATION_CLAIM_STALE_AFTER = timedelta(minutes=10)
SEND_INVITATION_EMAIL_TASK = "shops.tasks.send_invitation_email"
INVITABLE_ROLES = (MerchantUser.Role.VIEWER, MerchantUser.Role.FINANCE, MerchantUser.Role.CLAIMS)
_SALT = "shops.team.invitation"
# A username is the e-mail (merchants sign in with it); Django's username holds 150 characters.
_MAX_EMAIL = 150


def invitations_per_hour() -> int:
    """Invitations (and resends) one merchant may send in an hour: enough for onboarding a
    team, too few for the form to be a way of mailing strangers."""
    return int(getattr(settings, "TEAM_INVITATIONS_PER_HOUR", 10))


# --- The link ------------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps([str(invitation.public_id), invitation.nonce], salt=_SALT, compress=True)


def invitation_link(invitation: Invitation) -> str:
    path = reverse("team:join", args=[invitation_token(invitation)])
    return settings.DASHBOARD_BASE_URL + path


def invitation_for_token(token: str, *, now: datetime) -> Invitation:
    """The open invitation this link names, or the refusal that says why not: a link we did not
    sign (or one replaced by a resend, or revoked) is not valid; an accepted one is used; a late
    one has expired."""
    try:
        public_id, nonce = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise InvitationNotUsable() from None
    invitation = (
        Invitation.objects.select_related("merchant").filter(public_id=public_id).first()
        if _looks_like_uuid(public_id)
        else None
    )
    if invitation is None:
        raise InvitationNotUsable()
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.revoked_at is not None or not secrets.compare_digest(invitation.nonce, nonce):
        raise InvitationNotUsable()
    if invitation.expires_at <= now:
        raise InvitationExpired()
    return invitation


def _looks_like_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- The owner's actions -----------------------------------------------------------------------


def _record(
    *,
    merchant_id: int,
    action: str,
    email: str,
    now: datetime,
    actor: AbstractBaseUser | None,
    actor_label: str = "",
    old_role: str = "",
    new_role: str = "",
) -> TeamChange:
    return TeamChange.objects.create(
        merchant_id=merchant_id,
        action=action,
        email=email,
        old_role=old_role,
        new_role=new_role,
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor else ""),
        created_at=now,
    )


def _check_rate(merchant_id: int, now: datetime) -> None:
    sent = TeamChange.objects.filter(
        merchant_id=merchant_id,
        action__in=[TeamChange.Action.INVITED, TeamChange.Action.RESENT],
        created_at__gt=now - timedelta(hours=1),
    ).count()
    if sent >= invitations_per_hour():
        raise TooManyInvitations(
            fields={
                "email": [
                    gettext("At most {count} invitations an hour.").format(
                        count=invitations_per_hour()
                    )
                ]
            }
        )


def _enqueue_on_commit(invitation_id: int) -> None:
    if not getattr(settings, "NOTIFICATION_EMAIL_ON_COMMIT", True):
        return
    transaction.on_commit(
        lambda: task_nudge(SEND_INVITATION_EMAIL_TASK, invitation_id=invitation_id),
        robust=True,
    )


def _normalised_email(email: str) -> str:
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(fields={"email": [gettext("Enter a valid e-mail address.")]}) from None
    if len(address) > _MAX_EMAIL:
        raise InvalidInput(
            fields={"email": [gettext("At most {count} characters.").format(count=_MAX_EMAIL)]}
        )
    return address


def member_invite(
    *,
    merchant: Merchant,
    email: str,
    role: str,
    language: str,
    actor: AbstractBaseUser,
    now: datetime,
) -> Invitation:
    """The owner invites someone with a role. The answer is the same whether or not the address
    already has a login with another merchant (the owner learns nothing about other companies);
    only the person holding the link is told, when they try to accept it."""
    address = _normalised_email(email)
    if role not in INVITABLE_ROLES:
        raise InvalidInput(fields={"role": [gettext("Choose viewer, finance or claims.")]})
    if language not in Merchant.Language.values:
        raise InvalidInput(fields={"language": [gettext("Choose a language.")]})
    with transaction.atomic():
        locks.lock_merchant(merchant.pk)  # serialise the rate
        if (
            MerchantUser.objects.filter(merchant=merchant)
            .filter(Q(user__email__iexact=address) | Q(user__username__iexact=address))
            .exists()
        ):
            raise InvalidInput(fields={"email": [gettext("Already a member of your team.")]})
        if Invitation.objects.filter(
            merchant=merchant, email=address, accepted_at__isnull=True, revoked_at__isnull=True
        ).exists():
            raise InvalidInput(
                fields={
                    "email": [gettext("An invitation to this address is open: re-send it below.")]
                }
            )
        _check_rate(merchant.pk, now)
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    merchant=merchant,
                    email=address,
                    role=role,
                    language=language,
                    nonce=secrets.token_hex(16),
                    invited_by=actor,
                    created_at=now,
                    expires_at=now + INVITATION_VALID_FOR,
                )
        except IntegrityError:  # a second tab sent the same invitation at the same moment
            raise InvalidInput(
                fields={
                    "email": [gettext("An invitation to this address is open: re-send it below.")]
                }
            ) from None
        _record(
            merchant_id=merchant.pk,
            action=TeamChange.Action.INVITED,
            email=address,
            new_role=role,
            actor=actor,
            now=now,
        )
        _enqueue_on_commit(invitation.pk)
    return invitation


def _lock_open(invitation_id: int, merchant_id: int) -> Invitation:
    invitation = locks.lock_invitation(invitation_id, merchant_id=merchant_id)
    if invitation is None:
        raise InvitationNotUsable()
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.revoked_at is not None:
        raise InvalidTransition("This invitation was revoked.")
    return invitation


def invitation_resend(
    *, invitation_id: int, merchant_id: int, actor: AbstractBaseUser | None, now: datetime
) -> Invitation:
    """A new link (the old one stops working), valid for another full period, e-mailed again."""
    with transaction.atomic():
        invitation = _lock_open(invitation_id, merchant_id)
        _check_rate(merchant_id, now)
        invitation.nonce = secrets.token_hex(16)
        invitation.expires_at = now + INVITATION_VALID_FOR
        invitation.email_status = Invitation.EmailStatus.PENDING
        invitation.email_claimed_at = None
        invitation.email_sent_at = None
        invitation.save(
            update_fields=[
                "nonce",
                "expires_at",
                "email_status",
                "email_claimed_at",
                "email_sent_at",
            ]
        )
        _record(
            merchant_id=merchant_id,
            action=TeamChange.Action.RESENT,
            email=invitation.email,
            new_role=invitation.role,
            actor=actor,
            actor_label="" if actor else "Deposit Desk",
            now=now,
        )
        _enqueue_on_commit(invitation.pk)
    return invitation


def invitation_revoke(
    *, invitation_id: int, merchant_id: int, actor: AbstractBaseUser, now: datetime
) -> Invitation:
    with transaction.atomic():
        invitation = _lock_open(invitation_id, merchant_id)
        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
        _record(
            merchant_id=merchant_id,
            action=TeamChange.Action.REVOKED,
            email=invitation.email,
            old_role=invitation.role,
            actor=actor,
            now=now,
        )
    return invitation


def _lock_member(member_id: int, merchant_id: int) -> MerchantUser:
    member = locks.lock_member(member_id, merchant_id)
    if member is None:
        raise InvalidTransition("This person is no longer in your team.")
    if member.role == MerchantUser.Role.OWNER:
        raise InvalidInput(fields={"role": [gettext("The owner's role cannot be changed here.")]})
    return member


def _member_email(member: MerchantUser) -> str:
    return member.user.email or member.user.get_username()


def member_change_role(
    *, member_id: int, merchant_id: int, role: str, actor: AbstractBaseUser, now: datetime
) -> MerchantUser:
    """Takes effect at the member's next request: every page reads the role afresh."""
    if role not in INVITABLE_ROLES:
        raise InvalidInput(fields={"role": [gettext("Choose viewer, finance or claims.")]})
    with transaction.atomic():
        member = _lock_member(member_id, merchant_id)
        old = member.role
        if old != role:
            member.role = role
            member.save(update_fields=["role"])
            _record(
                merchant_id=merchant_id,
                action=TeamChange.Action.ROLE_CHANGED,
                email=_member_email(member),
                old_role=old,
                new_role=role,
                actor=actor,
                now=now,
            )
    return member


def member_remove(
    *, member_id: int, merchant_id: int, actor: AbstractBaseUser, now: datetime
) -> str:
    """Removes the membership and disables the login: Django refuses an inactive user's session
    at its next request, and the unusable password ends any other session too (its hash no
    longer matches). Returns the removed e-mail. The login stays (history points at it) and may
    be invited again later."""
    with transaction.atomic():
        member = _lock_member(member_id, merchant_id)
        user = member.user
        email = _member_email(member)
        _record(
            merchant_id=merchant_id,
            action=TeamChange.Action.REMOVED,
            email=email,
            old_role=member.role,
            actor=actor,
            now=now,
        )
        member.delete()
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])
    return email


# --- The invitee -----------------------------------------------------------------------------


def _reusable_user(address: str, merchant_id: int):  # type: ignore[no-untyped-def]
    """The login this address may join with: none yet (None), or one left behind by an earlier
    removal (inactive, no membership, not ops). Any other login with this address belongs to
    someone else here (another merchant, ops): refused without naming which."""
    users = locks.lock_logins_with_address(address)
    if not users:
        return None
    member_ids = set(
        MerchantUser.objects.filter(user__in=users).values_list("user_id", "merchant_id")
    )
    for user in users:
        if any(uid == user.pk and mid == merchant_id for uid, mid in member_ids):
            raise InvitationEmailTaken(
                "You are already a member of this team: sign in with your password."
            )
    if len(users) == 1:
        user = users[0]
        if not user.is_active and not user.is_staff and not member_ids:
            return user
    raise InvitationEmailTaken()


def invitation_accept(
    *, token: str, password: str, password_again: str, language: str, now: datetime
) -> AbstractBaseUser:
    """Join the team with the invitation's role and the chosen password; returns the login to
    sign in. The password passes Django's validators (AUTH_PASSWORD_VALIDATORS). Single use: the
    invitation row is locked, checked open and marked accepted in one transaction."""
    with transaction.atomic():
        found = invitation_for_token(token, now=now)
        invitation = locks.lock_invitation(found.pk)
        if invitation is None:  # pragma: no cover - invitations are never deleted
            raise InvitationNotUsable()
        # Re-checked under the lock: a second tab may have accepted it a moment ago.
        if invitation.accepted_at is not None:
            raise InvitationUsed()
        if invitation.revoked_at is not None or invitation.nonce != found.nonce:
            raise InvitationNotUsable()
        if password != password_again:
            raise InvalidInput(fields={"password_again": [gettext("The two passwords differ.")]})
        user = _reusable_user(invitation.email, invitation.merchant_id)
        User = get_user_model()
        candidate = user or User(username=invitation.email, email=invitation.email)
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as exc:
            raise InvalidInput(fields={"password": list(exc.messages)}) from None
        candidate.set_password(password)
        candidate.is_active = True
        candidate.email = invitation.email
        candidate.save()
        member = MerchantUser.objects.create(
            user=candidate,
            merchant_id=invitation.merchant_id,
            role=invitation.role,
            language=language if language in Merchant.Language.values else "",
            joined_at=now,
        )
        invitation.accepted_at = now
        invitation.accepted_user = candidate
        invitation.save(update_fields=["accepted_at", "accepted_user"])
        _record(
            merchant_id=invitation.merchant_id,
            action=TeamChange.Action.JOINED,
            email=invitation.email,
            new_role=member.role,
            actor=candidate,
            now=now,
        )
    return candidate


# --- A merchant registered through the partner API ----------------------------------------------


def merchant_owner_invite(*, merchant: Merchant, now: datetime) -> Invitation | None:
    """Invite the contact e-mail as the owner of a merchant nobody can sign in for yet (the
    partner API registered it). Nothing when the merchant has a member or an open owner
    invitation still valid; an expired one is re-issued (new link, new period). Building
    block: runs inside the registration's transaction; the e-mail leaves after commit."""
    if MerchantUser.objects.filter(merchant=merchant).exists():
        return None
    address = merchant.contact_email.strip().lower()
    open_one = locks.lock_open_invitation(merchant.pk, address)
    if open_one is not None:
        if open_one.expires_at > now:
            return None
        return invitation_resend(
            invitation_id=open_one.pk, merchant_id=merchant.pk, actor=None, now=now
        )
    invitation = Invitation.objects.create(
        merchant=merchant,
        email=address,
        role=MerchantUser.Role.OWNER,
        language=merchant.language,
        nonce=secrets.token_hex(16),
        created_at=now,
        expires_at=now + INVITATION_VALID_FOR,
    )
    _record(
        merchant_id=merchant.pk,
        action=TeamChange.Action.INVITED,
        email=address,
        new_role=MerchantUser.Role.OWNER,
        actor=None,
        actor_label="Deposit Desk",
        now=now,
    )
    _enqueue_on_commit(invitation.pk)
    return invitation


# --- The e-mail ----------------------------------------------------------------------------------


def invitations_email_due(*, now: datetime, limit: int = 500) -> list[int]:
    stale = now - INVITATION_CLAIM_STALE_AFTER
    return list(
        Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .filter(
            Q(email_status=Invitation.EmailStatus.PENDING)
            | Q(email_status=Invitation.EmailStatus.SENDING, email_claimed_at__lt=stale)
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def invitation_email_send(*, invitation_id: int, now: datetime) -> bool:
    """Send the invitation's e-mail once per (re)send; True when this call sent it. Outside any
    transaction: the claim commits, the message goes, SENT commits; a failure releases the
    claim for a retry. A revoked or accepted invitation is not sent."""
    stale = now - INVITATION_CLAIM_STALE_AFTER
    claimed = (
        Invitation.objects.filter(
            pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .filter(
            Q(email_status=Invitation.EmailStatus.PENDING)
            | Q(email_status=Invitation.EmailStatus.SENDING, email_claimed_at__lt=stale)
        )
        .update(email_status=Invitation.EmailStatus.SENDING, email_claimed_at=now)
    )
    if not claimed:
        return False
    invitation = Invitation.objects.select_related("merchant", "invited_by").get(pk=invitation_id)
    try:
        message = invitation_message(invitation)
        message.send(fail_silently=False)
    except Exception as exc:
        Invitation.objects.filter(
            pk=invitation_id, email_status=Invitation.EmailStatus.SENDING
        ).update(email_status=Invitation.EmailStatus.PENDING, email_error=str(exc)[:300])
        raise
    Invitation.objects.filter(pk=invitation_id, email_status=Invitation.EmailStatus.SENDING).update(
        email_status=Invitation.EmailStatus.SENT,
        email_sent_at=now,
        sends=invitation.sends + 1,
        email_error="",
    )
    return True


def invitation_message(invitation: Invitation) -> EmailMultiAlternatives:
    """The invitation as plain text and HTML, in the language chosen for the invitee."""
    with translation.override(invitation.language):
        context = {
            "invitation": invitation,
            "merchant": invitation.merchant,
            "role": invitation.get_role_display(),
            "is_owner": invitation.role == MerchantUser.Role.OWNER,
            "link": invitation_link(invitation),
            "expires_at": invitation.expires_at,
        }
        subject = render_to_string("email/invitation_subject.txt", context).strip()
        text = render_to_string("email/invitation.txt", context)
        html = render_to_string("email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
        headers={"Content-Language": invitation.language},
    )
    message.attach_alternative(html, "text/html")
    return message
