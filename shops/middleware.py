"""Two-factor enforcement for the admin (see shops/two_factor.py).

A signed-in staff user whose session is not OTP-verified may reach, under the admin, only the
log-in and log-out pages and the two-factor pages: enrolment when they have no confirmed device,
the code page when they have one. Everything else under the admin redirects there, so no admin
page, action or JSON endpoint is reachable on a password alone. Paths outside the admin (the
merchant dashboard, the API) are not this middleware's concern: a partner's call to the API skips
it without even resolving the admin's path (common.api_lane)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from common.api_lane import is_partner_call
from shops.two_factor import staff_has_confirmed_device


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_partner_call(request):
            return self.get_response(request)
        redirect = self._redirect_for(request)
        return redirect if redirect is not None else self.get_response(request)

    def _redirect_for(self, request: HttpRequest) -> HttpResponse | None:
        if not request.path.startswith(reverse("admin:index")):
            return None
        user = request.user
        if not (user.is_authenticated and user.is_staff) or user.is_verified():
            return None
        enrol, verify = reverse("staff_2fa_enrol"), reverse("staff_2fa_verify")
        open_paths = {reverse("admin:login"), reverse("admin:logout"), enrol, verify}
        if request.path in open_paths:
            return None
        target = verify if staff_has_confirmed_device(user) else enrol
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
