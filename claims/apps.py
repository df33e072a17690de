from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Claims")

    def ready(self) -> None:
        # Claim decisions under four-eyes (approvals.registry).
        from claims.services.approvals import register_four_eyes

        register_four_eyes()
