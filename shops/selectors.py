"""Reads for the merchant dashboard, with their joins planned (no N+1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, Exists, OuterRef, Prefetch, QuerySet, When
from django.utils.translation import gettext_lazy as _

from common.templatetags.money import mask_money
from shops.models import (
    Category,
    Invitation,
    Merchant,
    MerchantUser,
    Notification,
    NotificationPreference,
    NotificationRead,
    Shop,
    ShopRestriction,
    TeamChange,
)
from shops.notice_kinds import BY_CODE, GROUPS, group_of, is_urgent

# What a reader without the deposit permission reads where a notice names an amount.
AMOUNT_HIDDEN = _("[amount hidden]")


def merchant_for_user(user: AbstractBaseUser | AnonymousUser) -> Merchant | None:
    if not user.is_authenticated:
        return None
    membership = MerchantUser.objects.select_related("merchant").filter(user_id=user.pk).first()
    return membership.merchant if membership else None


# Where the membership is kept on the user object for the rest of the request: the view and
# the navigation's context processors (team link, switcher) ask for it on every page.
_MEMBERSHIP_ON_USER = "_deposit_desk_membership"


def membership_for_user(user: AbstractBaseUser | AnonymousUser) -> MerchantUser | None:
    """The user's membership of their merchant, read once per user object (one request: the
    authentication middleware loads a fresh user for each)."""
    if not user.is_authenticated:
        return None
    if hasattr(user, _MEMBERSHIP_ON_USER):
        return getattr(user, _MEMBERSHIP_ON_USER)
    membership = MerchantUser.objects.select_related("merchant").filter(user_id=user.pk).first()
    membership_remember(user, membership)
    return membership


def membership_remember(user: AbstractBaseUser, membership: MerchantUser | None) -> None:
    """Keep the membership read with the user (shops.auth_backends joins it) for the request."""
    setattr(user, _MEMBERSHIP_ON_USER, membership)


def shops_for_merchant(merchant: Merchant) -> QuerySet[Shop]:
    return (
        Shop.objects.filter(merchant=merchant)
        .prefetch_related(
            "categories",
            Prefetch(
                "restrictions",
                queryset=ShopRestriction.objects.filter(lifted_at__isnull=True),
                to_attr="active_restrictions",
            ),
        )
        .order_by("name", "id")
    )


def restrictions_lifted_for_shop(shop: Shop, *, limit: int = 50) -> list[ShopRestriction]:
    """The shop's restriction history (lifted ones), most recently lifted first."""
    return list(shop.restrictions.filter(lifted_at__isnull=False).order_by("-lifted_at")[:limit])


def notifications_for_merchant(merchant: Merchant, *, limit: int = 100) -> list[Notification]:
    """The merchant's latest in-app notices, newest first, each with its shop joined."""
    return list(
        Notification.objects.filter(merchant=merchant)
        .select_related("shop")
        .order_by("-created_at", "-id")[:limit]
    )


def unread_notices(user_id: int) -> QuerySet[Notification]:
    """The notices of their merchant this user has not read (the navigation's badge counts them;
    the navigation's one query counts them in a subquery)."""
    return Notification.objects.filter(merchant__members__user_id=user_id).exclude(
        reads__user_id=user_id
    )


def unread_notices_count(user_id: int) -> int:
    return unread_notices(user_id).count()


@dataclass(frozen=True)
class NoticeRow:
    """One notice as one reader sees it: in their language, amounts only if they may see them."""

    notice: Notification
    title: str
    body: str
    is_read: bool
    kind_label: str = ""  # the group the notice is filtered and e-mailed under


def notice_rows(membership: MerchantUser, *, language: str, limit: int = 100) -> list[NoticeRow]:
    """The merchant's latest notices for this member, newest first, in `language` (the
    reader's, not the one of the day the notice was made). A member who may not see amounts
    reads every amount as "amount hidden", as on the rest of the dashboard."""
    notices = notices_for_member(membership, NoticeFilters())[:limit]
    return notice_rows_for(membership, notices, language=language)


@dataclass(frozen=True)
class NoticeFilters:
    """The notification centre's filters: a group of kinds (shops.notice_kinds), unread only,
    and a date range (inclusive, in the dashboard's time zone)."""

    group: str = ""
    unread: bool = False
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.group or self.unread or self.date_from or self.date_to)


def notices_for_member(membership: MerchantUser, filters: NoticeFilters) -> QuerySet[Notification]:
    """The merchant's notices this member may filter and page through, newest first, each with
    its shop and whether this member has read it (`is_read`)."""
    reads = NotificationRead.objects.filter(notification=OuterRef("pk"), user_id=membership.user_id)
    notices = (
        Notification.objects.filter(merchant_id=membership.merchant_id)
        .select_related("shop")
        .annotate(is_read=Exists(reads))
        .order_by("-created_at", "-id")
    )
    group = BY_CODE.get(filters.group)
    if group is not None:
        notices = notices.filter(group.q())
    if filters.unread:
        notices = notices.filter(is_read=False)
    if filters.date_from:
        notices = notices.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        notices = notices.filter(created_at__date__lte=filters.date_to)
    return notices


def notice_rows_for(
    membership: MerchantUser, notices: Iterable[Notification], *, language: str
) -> list[NoticeRow]:
    hidden = None if membership.may_see_money else AMOUNT_HIDDEN
    rows = []
    for notice in notices:
        title, body = notice.text_for(language)
        if hidden is not None:
            title, body = mask_money(title, str(hidden)), mask_money(body, str(hidden))
        group = group_of(notice.kind)
        rows.append(
            NoticeRow(
                notice=notice,
                title=title,
                body=body,
                is_read=notice.is_read,  # type: ignore[attr-defined]
                kind_label=str(group.label) if group else "",
            )
        )
    return rows


def unread_count_for_member(membership: MerchantUser) -> int:
    return notices_for_member(membership, NoticeFilters(unread=True)).count()


# --- E-mail preferences and who gets a notice's e-mail ------------------------------------------


def notice_email_choices(user_id: int) -> dict[str, bool]:
    """{group code: e-mailed?} for every group; a group never chosen is e-mailed."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id=user_id).values_list("group", "email")
    )
    return {group.code: chosen.get(group.code, True) for group in GROUPS}


@dataclass(frozen=True)
class NoticeRecipient:
    email: str
    language: str
    sees_money: bool


def notice_recipients(notice: Notification) -> list[NoticeRecipient]:
    """Who gets this notice's e-mail: every active member with an e-mail address who has not
    switched its group off (an urgent kind goes to all of them whatever they chose), each in
    their own language; and the merchant's contact address, the company's address of record,
    which follows its owners' choice (off only when every owner switched the group off). A
    merchant nobody has joined yet (registered through the API, owner invited) gets it at the
    contact address."""
    merchant = notice.merchant
    members = list(
        MerchantUser.objects.filter(merchant=merchant, user__is_active=True)
        .select_related("user", "merchant")
        .order_by("id")
    )
    off: set[int] = set()
    group = group_of(notice.kind)
    if group is not None and not is_urgent(notice.kind) and members:
        off = set(
            NotificationPreference.objects.filter(
                user_id__in=[m.user_id for m in members], group=group.code, email=False
            ).values_list("user_id", flat=True)
        )
    recipients: dict[str, NoticeRecipient] = {}
    for member in members:
        address = (member.user.email or "").strip().lower()
        if address and member.user_id not in off and address not in recipients:
            recipients[address] = NoticeRecipient(
                email=address, language=member.email_language, sees_money=member.may_see_money
            )
    contact = merchant.contact_email.strip().lower()
    owners = [m for m in members if m.is_owner]
    if contact not in recipients and (not owners or any(o.user_id not in off for o in owners)):
        if not any((m.user.email or "").strip().lower() == contact for m in members):
            recipients[contact] = NoticeRecipient(
                email=contact, language=merchant.language, sees_money=True
            )
    return list(recipients.values())


# --- The team page -----------------------------------------------------------------------------


def team_members(merchant: Merchant) -> list[MerchantUser]:
    return list(
        MerchantUser.objects.filter(merchant=merchant)
        .select_related("user")
        .order_by(
            # The owner first, then colleagues by e-mail.
            Case(When(role=MerchantUser.Role.OWNER, then=0), default=1),
            "user__email",
            "id",
        )
    )


def team_open_invitations(merchant: Merchant) -> list[Invitation]:
    return list(
        Invitation.objects.filter(
            merchant=merchant, accepted_at__isnull=True, revoked_at__isnull=True
        ).order_by("-created_at", "-id")
    )


def team_changes(merchant: Merchant, *, limit: int = 20) -> list[TeamChange]:
    return list(TeamChange.objects.filter(merchant=merchant).order_by("-created_at", "-id")[:limit])


def category_catalogue(shop: Shop) -> list[Category]:
    """Every category, open ones first, by code, each with `on_shop` (whether `shop` sells in
    it): the what-if's choices and the shop's own categories in one query."""
    on_shop = Shop.categories.through.objects.filter(shop_id=shop.pk, category_id=OuterRef("pk"))
    return list(Category.objects.annotate(on_shop=Exists(on_shop)).order_by("-is_active", "code"))


def switcher_shops(user_id: int) -> QuerySet[Shop]:
    """The shops of the user's merchant, names and status only, by name (the shop switcher; the
    navigation's one query annotates it with what the badges count)."""
    return (
        Shop.objects.filter(merchant__members__user_id=user_id)
        .only("public_id", "name", "status")
        .order_by("name", "id")
    )


def shops_for_user_switcher(user_id: int) -> list[Shop]:
    return list(switcher_shops(user_id))
