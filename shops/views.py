"""Merchant log-in: Django's view, plus the merchant's own language on first log-in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from shops.forms import MerchantLoginForm
from shops.selectors import membership_for_user


class MerchantLoginView(auth_views.LoginView):
    authentication_form = MerchantLoginForm
    redirect_authenticated_user = True

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
