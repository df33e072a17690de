from django.contrib import admin
from unfold.admin import ModelAdmin

from partners.models import Event, Partner


@admin.register(Partner)
class PartnerAdmin(ModelAdmin):
    list_display = ["name", "kind", "is_active", "throttle_per_minute", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "public_id"]
    readonly_fields = ["public_id", "created_at"]


@admin.register(Event)
class EventAdmin(ModelAdmin):
    list_display = ["id", "type", "partner", "ordering_key", "created_at"]
    list_filter = ["type", "partner"]
    search_fields = ["public_id", "type", "ordering_key"]
    readonly_fields = ["public_id", "partner", "type", "ordering_key", "data", "created_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
