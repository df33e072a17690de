"""The third-party apps' configs with names ops can read in the admin's sidebar and app index, in
both languages ("Otp_Totp", "Otp_Static", "Axes", "Celery Results" said nothing to ops).

Only `verbose_name` changes: each subclasses the package's own config (same name, label and
ready()), so migrations, permissions and content types stay as they were. INSTALLED_APPS names
these classes instead of the packages.
"""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_celery_results.apps import CeleryResultConfig
from django_otp.plugins.otp_static.apps import DefaultConfig as OtpStaticAppConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as OtpTotpAppConfig


class OtpTotpConfig(OtpTotpAppConfig):
    verbose_name = _("Two-factor sign-in: authenticator apps")


class OtpStaticConfig(OtpStaticAppConfig):
    verbose_name = _("Two-factor sign-in: backup codes")


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in attempts and lockouts")


class CeleryResultsConfig(CeleryResultConfig):
    verbose_name = _("Background task results")
