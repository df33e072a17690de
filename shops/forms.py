from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from shops.models import Merchant, MerchantUser
from shops.notice_kinds import GROUPS
from shops.selectors import NoticeFilters


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


# --- The team and the notification centre -------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=150,
        error_messages={
            "required": _("Enter the e-mail address to invite."),
            "invalid": _("Enter a valid e-mail address."),
        },
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (MerchantUser.Role.VIEWER, _("Viewer: sees shops and statuses, no amounts")),
            (MerchantUser.Role.FINANCE, _("Finance: tops up and withdraws")),
            (MerchantUser.Role.CLAIMS, _("Claims: answers consumer claims")),
        ],
        error_messages={"required": _("Choose a role.")},
    )
    language = forms.ChoiceField(
        label=_("Language of the e-mail"), choices=Merchant.Language.choices
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (MerchantUser.Role.VIEWER, _("Viewer")),
            (MerchantUser.Role.FINANCE, _("Finance")),
            (MerchantUser.Role.CLAIMS, _("Claims")),
        ],
    )


class NoticeFilterForm(forms.Form):
    """The notification centre's filters, read from the query string; a bad value is dropped
    rather than refused (a filter link is never an error page). A range whose start is after its
    end is the exception: both dates are valid, so dropping one would list something the reader
    did not ask for, and keeping both listed nothing, with no word why. It is a form error
    naming both fields, shown on the page (the view lists nothing while it stands)."""

    group = forms.ChoiceField(label=_("Kind"), required=False)
    unread = forms.BooleanField(label=_("Unread only"), required=False)
    date_from = forms.DateField(label=_("From date"), required=False)
    date_to = forms.DateField(label=_("To date"), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("All kinds"))] + [
            (group.code, group.label) for group in GROUPS
        ]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                _("“%(date_from)s” must be on or before “%(date_to)s”."),
                code="date_range_reversed",
                params={
                    "date_from": self.fields["date_from"].label,
                    "date_to": self.fields["date_to"].label,
                },
            )
        return data

    @property
    def range_error(self) -> bool:
        """The dates are reversed: an error to show, nothing to list."""
        return self.is_bound and any(
            error.code == "date_range_reversed"
            for error in self.errors.as_data().get("__all__", [])
        )

    def filters(self) -> NoticeFilters:
        self.is_valid()  # cleaned_data then holds the fields that are valid on their own
        data = self.cleaned_data
        return NoticeFilters(
            group=data.get("group") or "",
            unread=bool(data.get("unread")),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
