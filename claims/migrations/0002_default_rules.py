"""The default compensation rules of domain.md §6.1, in CNY, in force from 2024-01-01. Ops change
a rule by adding a newer version in the admin; these stay as history (claims cite them)."""

from datetime import UTC, datetime

from django.db import migrations

START = datetime(2024, 1, 1, tzinfo=UTC)
CAPPED = {
    "kind": "RATE",
    "rate_bps": 3000,
    "multiplier": None,
    "minimum_minor": 500,
    "maximum_minor": 50_000,
    "window_hours": 24,
}
OPS = {
    "kind": "OPS_DECIDES",
    "rate_bps": None,
    "multiplier": None,
    "minimum_minor": None,
    "maximum_minor": None,
    "window_hours": None,
}
RULES = {
    "LATE_SHIPMENT": CAPPED,
    "FALSE_SHIPMENT": CAPPED,
    "OUT_OF_STOCK": CAPPED,
    "COUNTERFEIT": {**OPS, "kind": "MULTIPLIER", "multiplier": 5},
    "RETURN_REFUSED": OPS,
    "AFTER_SALES": OPS,
    "FALSE_ADVERTISING": OPS,
    "PRICE_FRAUD": OPS,
    "OTHER": OPS,
}
NOTES = {
    "RATE": "30%, min 5.00, at most 500.00 per consumer per shop for orders paid within 24 h",
    "MULTIPLIER": "假一赔四: refund + 4× the paid amount, no maximum",
    "OPS_DECIDES": "ops decide; the requested amount is the estimate",
}


def install(apps, schema_editor):
    Rule = apps.get_model("claims", "CompensationRule")
    for reason, terms in RULES.items():
        Rule.objects.get_or_create(
            reason=reason,
            currency="CNY",
            effective_from=START,
            defaults={**terms, "note": NOTES[terms["kind"]]},
        )


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
