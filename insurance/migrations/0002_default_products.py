"""The two default products of api-v1.md, in force from 2024-01-01, insurer unset (ops or
`create_partner_key --insurer <code>` assign one). Ops change a product by adding a newer
version in the admin; these stay as history."""

from datetime import UTC, datetime

from django.db import migrations

START = datetime(2024, 1, 1, tzinfo=UTC)
CATEGORIES = [
    "apparel",
    "jewelry",
    "shoes_bags",
    "home_furnishing",
    "digital_3c",
    "home_appliances",
    "food",
]
# code, name_zh, name_en, premium rate bps, coverage share bps, term days, recovery days
PRODUCTS = [
    ("perf-bond", "保证金履约险", "Deposit performance insurance", 300, 10_000, 365, 15),
    (
        "perf-bond-half",
        "保证金履约险（半额）",
        "Deposit performance insurance (half cover)",
        250,
        5_000,
        365,
        15,
    ),
]


def install(apps, schema_editor):
    Product = apps.get_model("insurance", "InsuranceProduct")
    Category = apps.get_model("shops", "Category")
    categories = list(Category.objects.filter(code__in=CATEGORIES))
    for code, name_zh, name_en, rate, share, term, recovery in PRODUCTS:
        product, created = Product.objects.get_or_create(
            code=code,
            effective_from=START,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "premium_rate_bps": rate,
                "coverage_share_bps": share,
                "term_days": term,
                "recovery_days": recovery,
            },
        )
        if created:
            product.categories.set(categories)


class Migration(migrations.Migration):
    dependencies = [("insurance", "0001_initial"), ("shops", "0002_default_categories")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
