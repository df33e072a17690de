from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        # Partner keys with money scopes under four-eyes (approvals.registry).
        from partners.services.key_approvals import register_four_eyes

        register_four_eyes()

        # A saved or deleted key or partner (the admin, a service) may refuse a key or change
        # its scopes or limit: web processes forget the keys they remember
        # (partners.services.key_cache).
        from django.db.models.signals import post_delete, post_save

        from partners.models import ApiKey, Partner
        from partners.services.key_cache import api_keys_forget

        def forget(**kwargs: object) -> None:
            api_keys_forget()

        for model in (ApiKey, Partner):
            post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"forget-{model}")
            post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"unkey-{model}")
