"""Two-factor sign-in for staff (django-otp): enrolment, verification and the audited reset.

Every staff user signs in to the admin with a password and then a code from an authenticator app
(TOTP) or one of ten single-use backup codes (a django-otp static device). Enforcement is
`shops.middleware.StaffTwoFactorMiddleware`; this module holds the writes and reads it needs.
Merchant users (not staff) never meet any of it.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.errors import InvalidInput
from shops.models import StaffTwoFactorReset

BACKUP_CODE_COUNT = 10
TOTP_NAME = "authenticator"
BACKUP_NAME = "backup codes"


def staff_has_confirmed_device(user: AbstractBaseUser) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def totp_pending_device(*, user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (created on first sight, kept across page
    loads so the QR code scanned a minute ago still matches)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in by hand."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG (qrcode's SVG path image: no Pillow needed)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    # Drop the XML declaration: the SVG goes inline into an HTML page.
    return svg[svg.index("<svg") :]


def staff_enrolment_confirm(*, user: AbstractBaseUser, token: str) -> tuple[Device, list[str]]:
    """Confirm the pending authenticator with its first code and issue the backup codes.

    Returns the confirmed device (to mark the session verified) and the backup codes, which are
    shown once and never again. A wrong code raises InvalidInput and confirms nothing."""
    with transaction.atomic():
        device = totp_pending_device(user=user)
        if not device.verify_token(token.strip()):
            raise InvalidInput("That code is not right.")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # A user who enrols again (after a reset) gets a fresh sheet of codes.
        StaticDevice.objects.filter(user=user).delete()
        backup = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return device, codes


def staff_code_check(*, user: AbstractBaseUser, token: str) -> Device | None:
    """The confirmed device that accepts this code, or None. django-otp refuses a TOTP code at
    or before the last accepted time step (no replay), deletes a backup code once used, and
    throttles a device after failures."""
    token = token.strip().replace(" ", "")
    if not token:
        return None
    return match_token(user, token)


def staff_two_factor_reset(*, username: str, reset_by: str, reason: str, now: datetime) -> int:
    """Delete every two-factor device of a staff user, so their next sign-in starts with
    enrolment, and record who did it and why. Returns the number of devices removed."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("A reason is required.")
    user_model = get_user_model()
    with transaction.atomic():
        try:
            user = user_model.objects.get(username=username)
        except user_model.DoesNotExist:
            raise InvalidInput(f"No user named {username}.") from None
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        StaffTwoFactorReset.objects.create(
            user=user,
            username=user.get_username(),
            reset_by=reset_by,
            reason=reason,
            devices_removed=removed,
            created_at=now,
        )
    return removed
