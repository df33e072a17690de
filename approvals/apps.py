from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    """Four-eyes requests for every money action (docs/architecture.md, "Four-eyes").

    The apps above register their action kinds in their own `AppConfig.ready()`
    (approvals.registry), so this app never imports them."""

    name = "approvals"
    verbose_name = _("Four-eyes")
