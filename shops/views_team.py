"""The team page (owner only) and the invitation link (anyone holding it).

Only the owner sees or changes the team: any other member gets a 403 page saying so, a login
of another merchant a 404 for another merchant's invitation or member. Every write goes through
shops.team and redirects back (PRG). The join page signs the new member in after they choose
a password.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from common.errors import DomainError, InvalidInput
from common.ratelimit import client_ip, first_over, too_many_attempts
from shops import team
from shops.forms import InviteForm, RoleForm
from shops.models import Invitation, MerchantUser
from shops.selectors import (
    membership_for_user,
    team_changes,
    team_members,
    team_open_invitations,
)

# The backend a just-joined member is signed in with (the invitation proved who they are).
_BACKEND = "shops.auth_backends.MemberBackend"


def _owner_or_refusal(request: HttpRequest) -> MerchantUser | HttpResponse:
    membership = membership_for_user(request.user)
    if membership is None:
        return render(request, "dashboard/no_merchant.html", status=403)
    if not membership.may_manage_team:
        return render(request, "dashboard/team_forbidden.html", status=403)
    return membership


def _refusal_text(exc: DomainError) -> str:
    """A refusal of the team services in the page's language, by its stable code."""
    texts = {
        "invitation_rate_limited": gettext(
            "Too many invitations were sent in the last hour. Try again later."
        ),
        "invitation_used": gettext("This invitation has already been used."),
        "invitation_invalid": gettext("This invitation no longer exists."),
        "invalid_state": gettext("This has already changed: the list below is up to date."),
    }
    return texts.get(exc.code, gettext("That could not be done. Check the form and try again."))


@login_required
def team_page(request: HttpRequest, form: InviteForm | None = None) -> HttpResponse:
    membership = _owner_or_refusal(request)
    if isinstance(membership, HttpResponse):
        return membership
    merchant = membership.merchant
    now = timezone.now()
    invitations = team_open_invitations(merchant)
    return render(
        request,
        "dashboard/team.html",
        {
            "merchant": merchant,
            "membership": membership,
            "members": team_members(merchant),
            "invitations": invitations,
            "changes": team_changes(merchant),
            "form": form or InviteForm(initial={"language": merchant.language}),
            "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
            "now": now,
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def team_invite(request: HttpRequest) -> HttpResponse:
    membership = _owner_or_refusal(request)
    if isinstance(membership, HttpResponse):
        return membership
    form = InviteForm(request.POST)
    if not form.is_valid():
        return team_page(request, form)
    try:
        invitation = team.member_invite(
            merchant=membership.merchant,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            language=form.cleaned_data["language"],
            actor=request.user,
            now=timezone.now(),
        )
    except InvalidInput as exc:
        for field, errors in (exc.fields or {}).items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return team_page(request, form)
    except DomainError as exc:
        form.add_error(None, _refusal_text(exc))
        return team_page(request, form)
    # The same words whoever the address belongs to: the owner learns nothing about other
    # companies' logins.
    messages.success(
        request,
        gettext("Invitation sent to {email}. The link works once, for 7 days.").format(
            email=invitation.email
        ),
    )
    return redirect("team:page")


def _invitation_of(membership: MerchantUser, invitation_id: uuid.UUID) -> Invitation:
    invitation = Invitation.objects.filter(
        public_id=invitation_id, merchant_id=membership.merchant_id
    ).first()
    if invitation is None:
        raise Http404  # another merchant's invitation looks like a missing one
    return invitation


def _act_on_invitation(
    request: HttpRequest, invitation_id: uuid.UUID, action: Callable[..., object], done: str
) -> HttpResponse:
    """Resend and revoke differ only in the service they call and the words of success."""
    membership = _owner_or_refusal(request)
    if isinstance(membership, HttpResponse):
        return membership
    invitation = _invitation_of(membership, invitation_id)
    try:
        action(
            invitation_id=invitation.pk,
            merchant_id=membership.merchant_id,
            actor=request.user,
            now=timezone.now(),
        )
    except DomainError as exc:
        messages.error(request, _refusal_text(exc))
    else:
        messages.success(request, done.format(email=invitation.email))
    return redirect("team:page")


@login_required
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: uuid.UUID) -> HttpResponse:
    return _act_on_invitation(
        request,
        invitation_id,
        team.invitation_resend,
        gettext("A new link was sent to {email}; the earlier one no longer works."),
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: uuid.UUID) -> HttpResponse:
    return _act_on_invitation(
        request,
        invitation_id,
        team.invitation_revoke,
        gettext("The invitation to {email} was revoked; its link no longer works."),
    )


def _member_of(membership: MerchantUser, member_id: int) -> MerchantUser:
    member = (
        MerchantUser.objects.select_related("user")
        .filter(pk=member_id, merchant_id=membership.merchant_id)
        .first()
    )
    if member is None:
        raise Http404
    return member


@login_required
@require_POST
def member_role(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = _owner_or_refusal(request)
    if isinstance(membership, HttpResponse):
        return membership
    member = _member_of(membership, member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose viewer, finance or claims."))
        return redirect("team:page")
    try:
        team.member_change_role(
            member_id=member.pk,
            merchant_id=membership.merchant_id,
            role=form.cleaned_data["role"],
            actor=request.user,
            now=timezone.now(),
        )
    except DomainError as exc:
        messages.error(request, _refusal_text(exc))
    else:
        messages.success(
            request,
            gettext("{email} now has the role “{role}”, from their next click on.").format(
                email=member.user.email or member.user.get_username(),
                role=dict(MerchantUser.Role.choices)[form.cleaned_data["role"]],
            ),
        )
    return redirect("team:page")


@login_required
@require_POST
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = _owner_or_refusal(request)
    if isinstance(membership, HttpResponse):
        return membership
    member = _member_of(membership, member_id)
    try:
        email = team.member_remove(
            member_id=member.pk,
            merchant_id=membership.merchant_id,
            actor=request.user,
            now=timezone.now(),
        )
    except DomainError as exc:
        messages.error(request, _refusal_text(exc))
    else:
        messages.success(
            request,
            gettext("{email} was removed from the team and signed out.").format(email=email),
        )
    return redirect("team:page")


# --- The invitee -------------------------------------------------------------------------------


def _join_refusal(request: HttpRequest, exc: DomainError) -> HttpResponse:
    texts = {
        "invitation_expired": gettext(
            "This invitation has expired. Ask whoever invited you to send a new one."
        ),
        "invitation_used": gettext(
            "This invitation has already been used. Sign in with your e-mail address and password."
        ),
        "invitation_email_taken": gettext(
            "This e-mail address already has a Deposit Desk login, so it cannot join with this "
            "link. Sign in with it, or ask whoever invited you to use another address."
        ),
    }
    message = texts.get(
        exc.code,
        gettext(
            "This invitation link is not valid: it was replaced by a newer one or withdrawn. "
            "Ask whoever invited you to send it again."
        ),
    )
    return render(
        request,
        "dashboard/join_refused.html",
        {"message": message, "used": exc.code == "invitation_used"},
        status=exc.http_status,
    )


def join(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: choose a password, join with the invitation's role, signed in."""
    checks = [("join_ip", client_ip(request))]
    if request.method == "POST":
        checks.append(("join_invitation", token))
    wait = first_over(checks)
    if wait is not None:
        return too_many_attempts(request, wait)
    now = timezone.now()
    try:
        invitation = team.invitation_for_token(token, now=now)
    except DomainError as exc:
        return _join_refusal(request, exc)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            user = team.invitation_accept(
                token=token,
                password=request.POST.get("password", ""),
                password_again=request.POST.get("password_again", ""),
                language=request.LANGUAGE_CODE,
                now=now,
            )
        except InvalidInput as exc:
            errors = {field: [str(e) for e in errs] for field, errs in (exc.fields or {}).items()}
        except DomainError as exc:
            return _join_refusal(request, exc)
        else:
            login(request, user, backend=_BACKEND)
            messages.success(
                request,
                gettext("Welcome to {merchant}'s Deposit Desk.").format(
                    merchant=invitation.merchant.name
                ),
            )
            return redirect("dashboard:home")
    return render(
        request,
        "dashboard/join.html",
        {"invitation": invitation, "errors": errors},
        status=400 if errors else 200,
    )
