from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Shops")

    def ready(self) -> None:
        # The manual unfreeze under four-eyes (approvals.registry).
        from shops.services import register_four_eyes

        register_four_eyes()
