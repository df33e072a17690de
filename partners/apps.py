from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        # Partner keys with money scopes under four-eyes (approvals.registry).
        from partners.services.key_approvals import register_four_eyes

        register_four_eyes()
