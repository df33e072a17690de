"""The notification centre: the merchant's notices as this member reads them (their language,
their read state, amounts only if their role shows amounts), filtered and paged; marking read;
and the member's e-mail preferences per group of notices (urgent kinds shown locked)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from shops import services
from shops.forms import NoticeFilterForm
from shops.notice_kinds import GROUPS
from shops.selectors import (
    NoticeFilters,
    membership_for_user,
    notice_email_choices,
    notice_rows_for,
    notices_for_member,
    unread_count_for_member,
)

NOTICES_PER_PAGE = 25
_KEPT = ("group", "unread", "date_from", "date_to", "page")


def _back_to(query: str) -> str:
    """The centre with the filters the reader had (re-encoded: only our own parameters)."""
    given = QueryDict(query)
    kept = QueryDict(mutable=True)
    for name in _KEPT:
        if given.get(name):
            kept[name] = given[name]
    url = reverse("dashboard:notices")
    return f"{url}?{kept.urlencode()}" if kept else url


@login_required
def notice_centre(request: HttpRequest) -> HttpResponse:
    """GET lists; POST marks read for this user only (the ticked notices, or all of them) and
    redirects back to the same filters (PRG)."""
    membership = membership_for_user(request.user)
    if membership is None:
        return render(request, "dashboard/no_merchant.html", status=403)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("notice") if v.isdigit()]
        marked = services.notifications_mark_read(
            user_id=request.user.pk,
            merchant_id=membership.merchant_id,
            now=timezone.now(),
            notification_ids=ids or None,
        )
        if ids:
            messages.success(request, gettext("Marked as read."))
        elif marked:
            messages.success(request, gettext("All notices marked as read."))
        return redirect(_back_to(request.POST.get("query", "")))
    form = NoticeFilterForm(request.GET) if request.GET else NoticeFilterForm()
    filters = form.filters() if request.GET else NoticeFilters()
    if form.range_error:  # "From" after "To": the error on the page, no list under it
        page, rows = None, []
    else:
        page = Paginator(notices_for_member(membership, filters), NOTICES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        rows = notice_rows_for(membership, page.object_list, language=request.LANGUAGE_CODE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboard/notices.html",
        {
            "merchant": membership.merchant,
            "items": rows,
            "page": page,
            "form": form,
            "filters": filters,
            "filter_query": query.urlencode(),
            "query": request.GET.urlencode(),
            "unread_notices": unread_count_for_member(membership),
        },
        status=400 if form.range_error else 200,
    )


@login_required
def notice_preferences(request: HttpRequest) -> HttpResponse:
    """Which groups of notices this member gets by e-mail. The urgent kinds of each group are
    listed locked, with the reason they cannot be switched off."""
    membership = membership_for_user(request.user)
    if membership is None:
        return render(request, "dashboard/no_merchant.html", status=403)
    if request.method == "POST":
        wanted = set(request.POST.getlist("email"))
        services.notice_email_choices_set(
            user_id=request.user.pk,
            choices={group.code: group.code in wanted for group in GROUPS},
            now=timezone.now(),
        )
        messages.success(request, gettext("Your e-mail preferences are saved."))
        return redirect("notices:preferences")
    choices = notice_email_choices(request.user.pk)
    return render(
        request,
        "dashboard/notice_preferences.html",
        {
            "groups": [{"group": group, "email": choices[group.code]} for group in GROUPS],
            "address": request.user.email or membership.merchant.contact_email,
        },
    )
