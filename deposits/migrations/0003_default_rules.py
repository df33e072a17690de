"""Default requirement rules (domain.md §2, api-v1.md), in force from 2024-01-01.

Ops change them by adding rows with a later effective_from in the admin; these stay as history.
"""

from datetime import UTC, datetime

from django.db import migrations

START = datetime(2024, 1, 1, tzinfo=UTC)
YUAN = 100  # minor units (fen) per yuan

BASE = [
    ("FLAGSHIP", "REGISTERED", 50_000),
    ("FLAGSHIP", "APPLIED", 100_000),
    ("SPECIALTY", "REGISTERED", 50_000),
    ("SPECIALTY", "APPLIED", 100_000),
    ("FRANCHISE", "REGISTERED", 100_000),
    ("FRANCHISE", "APPLIED", 150_000),
]

# category, shop type ("" = any), trademark status ("" = any), amount in yuan, note
CATEGORY = [
    ("services", "FLAGSHIP", "", 10_000, "Virtual goods and services, flagship"),
    ("services", "SPECIALTY", "", 10_000, "Virtual goods and services, specialty"),
    ("education", "FLAGSHIP", "", 10_000, "Education, flagship"),
    ("education", "SPECIALTY", "", 10_000, "Education, specialty"),
    ("books_media", "FRANCHISE", "", 100_000, "Books and media, franchise"),
    ("medical_services", "", "", 300_000, "Medical services"),
    ("health_supplements", "", "", 300_000, "Health supplements and pharmacy"),
]


def install(apps, schema_editor):
    Base = apps.get_model("deposits", "BaseRequirementRule")
    CategoryRule = apps.get_model("deposits", "CategoryRequirementRule")
    Category = apps.get_model("shops", "Category")
    for shop_type, trademark, yuan in BASE:
        Base.objects.get_or_create(
            shop_type=shop_type,
            trademark_status=trademark,
            currency="CNY",
            effective_from=START,
            defaults={"amount_minor": yuan * YUAN, "note": "Default (Tmall)"},
        )
    for code, shop_type, trademark, yuan, note in CATEGORY:
        CategoryRule.objects.get_or_create(
            category=Category.objects.get(code=code),
            shop_type=shop_type,
            trademark_status=trademark,
            currency="CNY",
            effective_from=START,
            defaults={"amount_minor": yuan * YUAN, "note": note},
        )


class Migration(migrations.Migration):
    dependencies = [("deposits", "0002_ledger_triggers"), ("shops", "0002_default_categories")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
