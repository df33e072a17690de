"""Two-factor sign-in for staff: enrolment, the code page, refusals, the reset command.

These tests sign in through the real admin log-in page (or a plain `force_login`, marked
`otp_enforced`) so that nothing marks the session verified behind the middleware's back.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shops.models import StaffTwoFactorReset
from tests.factories import make_member, make_shop, make_user

PASSWORD = "pw-123456!"
ENROL = "/admin/2fa/enrol/"
VERIFY = "/admin/2fa/verify/"

pytestmark = [pytest.mark.django_db, pytest.mark.otp_enforced]


def _current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _admin_log_in(client, user):  # type: ignore[no-untyped-def]
    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302, "the password is accepted"
    return response


def _enrolled(user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def _every_admin_url() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        urls.append(reverse("admin:app_list", kwargs={"app_label": meta.app_label}))
    return sorted(set(urls))


class TestAStaffUserWithoutADevice:
    def test_is_sent_to_enrolment_from_every_admin_page(self, client):
        staff = make_user(staff=True)
        client.force_login(staff)

        for url in _every_admin_url():
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"] == f"{ENROL}?next={quote(url, safe='')}", url

    def test_cannot_post_an_admin_action_either(self, client):
        staff = make_user(staff=True)
        client.force_login(staff)

        response = client.post("/admin/shops/shop/", {"action": "freeze", "_selected_action": []})

        assert response.status_code == 302 and response["Location"].startswith(ENROL)

    def test_after_the_password_lands_on_enrolment_with_a_qr_code_and_the_secret(self, client):
        staff = make_user(staff=True)
        _admin_log_in(client, staff)

        page = client.get("/admin/", follow=True)

        assert page.redirect_chain[-1][0].startswith(ENROL)
        content = page.content.decode()
        device = TOTPDevice.objects.get(user=staff, confirmed=False)
        assert "<svg" in content
        secret = page.context["secret"]
        assert secret in content and len(secret) >= 16
        assert "otpauth://" in device.config_url

    def test_confirms_the_app_with_a_first_code_and_sees_ten_backup_codes_once(self, client):
        staff = make_user(staff=True)
        _admin_log_in(client, staff)
        client.get(ENROL)
        device = TOTPDevice.objects.get(user=staff, confirmed=False)

        confirmed = client.post(ENROL, {"token": _current_code(device), "next": "/admin/"})

        device.refresh_from_db()
        assert device.confirmed
        codes = confirmed.context["codes"]
        assert len(codes) == 10 and len(set(codes)) == 10
        assert all(code in confirmed.content.decode() for code in codes)
        assert StaticToken.objects.filter(device__user=staff).count() == 10
        assert client.get("/admin/").status_code == 200, "the session is verified by enrolment"
        again = client.get(ENROL)
        assert again.status_code == 302, "enrolment (and its codes) is not shown a second time"

    def test_a_wrong_first_code_confirms_nothing(self, client):
        staff = make_user(staff=True)
        _admin_log_in(client, staff)
        client.get(ENROL)
        device = TOTPDevice.objects.get(user=staff, confirmed=False)
        wrong = f"{(int(_current_code(device)) + 1) % 1_000_000:06d}"

        response = client.post(ENROL, {"token": wrong})

        assert response.status_code == 200
        assert "That code is not right" in response.content.decode() or response.context["error"]
        device.refresh_from_db()
        assert not device.confirmed
        assert not StaticDevice.objects.filter(user=staff).exists()
        assert client.get("/admin/").status_code == 302


class TestAStaffUserWithADevice:
    def test_must_enter_a_code_after_the_password(self, client):
        staff = make_user(staff=True)
        _enrolled(staff)
        _admin_log_in(client, staff)

        response = client.get("/admin/deposits/account/")

        assert response.status_code == 302
        assert response["Location"].startswith(VERIFY)
        assert client.get(ENROL)["Location"].startswith(VERIFY), "no second enrolment"

    def test_a_right_code_opens_the_admin_and_goes_to_the_page_asked_for(self, client):
        staff = make_user(staff=True)
        device = _enrolled(staff)
        _admin_log_in(client, staff)

        response = client.post(
            VERIFY, {"token": _current_code(device), "next": "/admin/deposits/account/"}
        )

        assert response.status_code == 302
        assert response["Location"] == "/admin/deposits/account/"
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert client.get("/admin/deposits/account/").status_code == 200

    def test_a_wrong_code_is_refused(self, client):
        staff = make_user(staff=True)
        device = _enrolled(staff)
        _admin_log_in(client, staff)
        wrong = f"{(int(_current_code(device)) + 1) % 1_000_000:06d}"

        response = client.post(VERIFY, {"token": wrong})

        assert response.status_code == 200 and response.context["error"]
        assert client.get("/admin/").status_code == 302
        device.refresh_from_db()
        assert device.throttling_failure_count == 1, "failures throttle the device"

    def test_a_code_already_used_is_refused_in_a_second_session(self, client, django_user_model):
        staff = make_user(staff=True)
        device = _enrolled(staff)
        code = _current_code(device)
        _admin_log_in(client, staff)
        assert client.post(VERIFY, {"token": code}).status_code == 302

        client.post(reverse("admin:logout"))
        _admin_log_in(client, staff)
        replay = client.post(VERIFY, {"token": code})

        assert replay.status_code == 200 and replay.context["error"]
        assert client.get("/admin/").status_code == 302

    def test_a_backup_code_works_once(self, client):
        staff = make_user(staff=True)
        _enrolled(staff)
        backup = StaticDevice.objects.create(user=staff, name="backup codes", confirmed=True)
        backup.token_set.create(token="k3y9x2ab")
        _admin_log_in(client, staff)
        assert client.post(VERIFY, {"token": "k3y9x2ab"}).status_code == 302
        assert client.get("/admin/").status_code == 200

        client.post(reverse("admin:logout"))
        _admin_log_in(client, staff)
        second = client.post(VERIFY, {"token": "k3y9x2ab"})

        assert second.status_code == 200 and second.context["error"]
        assert not StaticToken.objects.filter(token="k3y9x2ab").exists()

    def test_a_device_of_another_user_in_the_session_does_not_count(self, client):
        staff, other = make_user(staff=True), make_user(staff=True)
        _enrolled(staff)
        foreign = _enrolled(other)
        client.force_login(staff)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = foreign.persistent_id
        session.save()

        assert client.get("/admin/")["Location"].startswith(VERIFY)


class TestTheLogInItself:
    def test_axes_still_locks_out_after_repeated_wrong_passwords(self, client, settings):
        staff = make_user(staff=True)
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("admin:login"), {"username": staff.username, "password": "no"})

        locked = client.post(
            reverse("admin:login"), {"username": staff.username, "password": PASSWORD}
        )

        assert locked.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_a_merchant_signs_in_to_the_dashboard_without_any_code(self, client, now):
        shop, _ = make_shop(now=now)
        merchant = make_member(shop)

        response = client.post(
            reverse("login"), {"username": merchant.username, "password": PASSWORD}
        )

        assert response.status_code == 302
        assert client.get(reverse("dashboard:home")).status_code == 200
        assert not TOTPDevice.objects.filter(user=merchant).exists()

    def test_the_enrolment_page_is_only_for_signed_in_staff(self, client, now):
        assert client.get(ENROL)["Location"].startswith(reverse("admin:login"))
        shop, _ = make_shop(now=now)
        client.force_login(make_member(shop))
        assert client.get(ENROL)["Location"].startswith(reverse("admin:login"))


class TestTheResetCommand:
    def test_deletes_the_devices_and_records_who_and_why(self, client):
        staff = make_user(staff=True)
        _enrolled(staff)
        StaticDevice.objects.create(user=staff, name="backup codes", confirmed=True)

        call_command("reset_staff_2fa", staff.username, reason="lost phone, ticket 4411", by="lin")

        assert not TOTPDevice.objects.filter(user=staff).exists()
        assert not StaticDevice.objects.filter(user=staff).exists()
        audit = StaffTwoFactorReset.objects.get()
        assert (audit.user, audit.username, audit.reset_by) == (staff, staff.username, "lin")
        assert (audit.reason, audit.devices_removed) == ("lost phone, ticket 4411", 2)
        _admin_log_in(client, staff)
        assert client.get("/admin/")["Location"].startswith(ENROL), "next sign-in enrols again"

    def test_refuses_without_a_reason_or_for_an_unknown_user(self):
        staff = make_user(staff=True)
        _enrolled(staff)

        with pytest.raises(CommandError):
            call_command("reset_staff_2fa", staff.username, reason="  ")
        with pytest.raises(CommandError):
            call_command("reset_staff_2fa", "nobody", reason="typo")

        assert TOTPDevice.objects.filter(user=staff).exists()
        assert not StaffTwoFactorReset.objects.exists()


@pytest.mark.django_db
def test_the_suite_s_force_login_helper_is_off_here_and_enforcement_is_real(client):
    """The suite-wide fixture verifies forced staff logins; under `otp_enforced` it must not."""
    staff = make_user(staff=True)
    client.force_login(staff)
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get("/admin/").status_code == 302


class TestThePagesReadInBothLanguages:
    def test_enrolment_in_chinese_by_default_and_in_english_without_chinese(self, client):
        import re

        staff = make_user(staff=True)
        client.force_login(staff)

        chinese = client.get(ENROL).content.decode()
        english = client.get(ENROL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

        assert "设置双重验证登录" in chinese and "手动输入的密钥" in chinese
        assert "Set up two-factor sign-in" in english
        assert not re.search(r"[\u4e00-\u9fff]", english.replace("简体中文", ""))

    def test_the_code_page_in_chinese(self, client):
        staff = make_user(staff=True)
        _enrolled(staff)
        client.force_login(staff)

        assert "输入登录验证码" in client.get(VERIFY).content.decode()
