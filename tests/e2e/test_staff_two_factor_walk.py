"""A new staff member signs in to the admin for the first time: password, then the enrolment page
(QR code drawn, secret readable), the first code, the backup codes once, then the admin; signing
in again asks for a code, and a backup code works in its place."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import totp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "ops-Passw0rd-2026"


def _password_step(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/admin/")
    page.fill("input[name=username]", "wen")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def _code_for(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def test_first_sign_in_enrols_then_a_code_or_a_backup_code_is_asked(
    live_server, new_page, screenshot
):
    user = get_user_model().objects.create_user("wen", "wen@platform.example", PASSWORD)
    user.is_staff = user.is_superuser = True
    user.save()
    base = live_server.url
    page = new_page(locale="en-US")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])

    _password_step(page, base)
    assert "/admin/2fa/enrol/" in page.url
    assert page.locator("#otp-qr svg").count() == 1
    secret = page.locator("#otp-secret").inner_text().strip()
    screenshot(page, "2fa-01-enrol")

    page.fill("#id_token", _code_for(secret))
    page.click("#otp-enrol-form button[type=submit]")
    page.wait_for_load_state()
    codes = page.locator("#backup-codes li").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "2fa-02-backup-codes")
    page.click("text=Continue to the admin")
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/admin")

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    _password_step(page, base)
    assert "/admin/2fa/verify/" in page.url
    page.goto(f"{base}/admin/deposits/account/")
    assert "/admin/2fa/verify/" in page.url, "no admin page before the code"
    page.fill("#id_token", "000000" if _code_for(secret) != "000000" else "111111")
    page.click("#otp-verify-form button[type=submit]")
    page.wait_for_load_state()
    assert "not accepted" in page.locator("body").inner_text()
    screenshot(page, "2fa-03-wrong-code")
    page.wait_for_timeout(1_500)  # a failure throttles the devices for a second (django-otp)
    page.fill("#id_token", codes[0])
    page.click("#otp-verify-form button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/deposits/account/" in page.url
