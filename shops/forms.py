from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class MerchantLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "That e-mail/username and password do not match. Check both and try again; "
            "after %(limit)s failed attempts the account is locked for an hour."
        ),
        "inactive": _(
            "This account is disabled. Ask your shop owner or the platform to enable it."
        ),
    }

    def get_invalid_login_error(self):  # type: ignore[no-untyped-def]
        from django.conf import settings
        from django.core.exceptions import ValidationError

        return ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"limit": settings.AXES_FAILURE_LIMIT},
        )
