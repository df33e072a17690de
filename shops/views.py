"""Merchant log-in: Django's view, plus the merchant's own language on first log-in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from common.ratelimit import (
    client_ip,
    failure_count,
    failures_over,
    first_over,
    too_many_attempts,
)
from shops.forms import MerchantLoginForm
from shops.selectors import membership_for_user


class MerchantLoginView(auth_views.LoginView):
    authentication_form = MerchantLoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Per account every attempt counts (one account tried from many addresses); per address
        # only the failures (form_invalid): an office behind one NAT signs in all morning, and
        # once an address has failed too often, even the right password waits.
        waits = [
            wait
            for wait in (
                first_over([("login_account", request.POST.get("username", ""))]),
                failures_over("login_ip", client_ip(request)),
            )
            if wait is not None
        ]
        if waits:
            return too_many_attempts(request, max(waits))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: MerchantLoginForm) -> HttpResponse:
        failure_count("login_ip", client_ip(self.request))
        return super().form_invalid(form)

    def form_valid(self, form: MerchantLoginForm) -> HttpResponse:
        response = super().form_valid(form)
        # A language the person chose with the switcher wins; otherwise show the dashboard in the
        # language the merchant's account is kept in (the one its e-mails are written in).
        if settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES:
            membership = membership_for_user(form.get_user())
            if membership is not None:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    membership.merchant.language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
        return response


class MerchantPasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, with attempts capped per address and per e-mail typed: the form
    answers the same whether or not the e-mail is known, so the cap (429) is too, and it stops
    the form from mailing one inbox without end."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = first_over(
            [
                ("password_reset_ip", client_ip(request)),
                ("password_reset_account", request.POST.get("email", "")),
            ]
        )
        if wait is not None:
            return too_many_attempts(request, wait)
        return super().post(request, *args, **kwargs)
