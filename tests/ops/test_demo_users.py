"""seed_demo's staff: one user per role, and authenticator secrets printed for the demo only."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from shops.two_factor import staff_code_check, totp_secret_base32

ROLES = ("claims_agent", "finance", "risk", "supervisor", "auditor")

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_on_a_development_machine_each_role_has_a_user_and_a_printed_secret(settings, sent_tasks):
    settings.DEBUG = True

    printed = _seed()

    for role in ROLES:
        user = get_user_model().objects.get(username=role)
        assert user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [role]
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        secret = totp_secret_base32(device)
        assert f"{role} / " in printed and secret in printed
        code = f"{totp(device.bin_key):06d}"
        assert staff_code_check(user=user, token=code) == device, "the printed secret signs in"
    ops_device = TOTPDevice.objects.get(user__username="ops")
    assert totp_secret_base32(ops_device) in printed
    again = _seed()
    assert TOTPDevice.objects.filter(user__username__in=ROLES).count() == len(ROLES)
    assert totp_secret_base32(ops_device) in again, "a second run keeps the same secrets"


def test_with_production_settings_no_secret_is_created_or_printed(settings, sent_tasks):
    settings.DEBUG = False

    printed = _seed("--force")

    assert all(
        get_user_model().objects.filter(username=role, groups__name=role).exists() for role in ROLES
    )
    assert not TOTPDevice.objects.exists()
    assert "TOTP" not in printed and "no secrets printed" in printed
