"""Per-agent decision limits (issue 14, part 3), and the claim decision requests copied into the
one four-eyes table (approvals.FourEyesRequest, action "claims.decision"), same ids, so links
and history keep pointing at them. 0011 then drops the old table (after the audit trail stops
tracking it, audit 0003)."""

from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ACTION = "claims.decision"


def copy_requests(apps, schema_editor):  # type: ignore[no-untyped-def]
    Old = apps.get_model("claims", "ClaimDecisionRequest")
    New = apps.get_model("approvals", "FourEyesRequest")
    rows = []
    for old in Old.objects.select_related("claim").order_by("pk"):
        rows.append(
            New(
                pk=old.pk,
                action=ACTION,
                status=old.status,
                why="THRESHOLD",
                subject_type="claims.claim",
                subject_id=old.claim_id,
                subject_label=old.claim.external_ref,
                exclusive=True,
                amount_minor=old.award_minor,
                currency=old.currency,
                reason=old.note,
                payload={"claim_id": old.claim_id, "outcome": old.outcome, "amount_minor": old.amount_minor},
                maker_id=old.maker_id,
                made_at=old.made_at,
                expires_at=old.expires_at or old.made_at + timedelta(hours=72),
                checker_id=old.checker_id,
                checked_at=old.checked_at,
                check_note=old.check_note,
            )
        )
    New.objects.bulk_create(rows)
    if rows and schema_editor.connection.vendor == "postgresql":
        # Ids were kept: move the sequence past them.
        schema_editor.execute(
            "SELECT setval(pg_get_serial_sequence('approvals_foureyesrequest', 'id'), "
            "(SELECT MAX(id) FROM approvals_foureyesrequest))"
        )


def copy_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("approvals", "FourEyesRequest").objects.filter(action=ACTION).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_four_eyes_requests"),
        ("claims", "0009_evidence_and_consumer_flags"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AgentLimit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("limit_minor", models.BigIntegerField(help_text="Minor units (fen), in CNY.", verbose_name="may award alone up to")),
                ("currency", models.CharField(default="CNY", editable=False, max_length=3, verbose_name="currency")),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("updated_by", models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="updated by")),
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="claims_agent_limit", to=settings.AUTH_USER_MODEL, verbose_name="agent")),
            ],
            options={
                "verbose_name": "claims agent limit",
                "verbose_name_plural": "claims agent limits",
            },
        ),
        migrations.AddConstraint(
            model_name="agentlimit",
            constraint=models.CheckConstraint(condition=models.Q(("limit_minor__gte", 0)), name="claims_agent_limit_gte_0"),
        ),
        migrations.RunPython(copy_requests, copy_back),
    ]
