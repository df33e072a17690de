from django.contrib import admin
from unfold.admin import ModelAdmin

from partners.models import Partner


@admin.register(Partner)
class PartnerAdmin(ModelAdmin):
    list_display = ["name", "kind", "is_active", "throttle_per_minute", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "public_id"]
    readonly_fields = ["public_id", "created_at"]
