"""Adjustment requests move into the one four-eyes table (approvals.FourEyesRequest, action
"deposits.adjustment"), with new ids after the claim decisions' (copied by claims 0010, which
keeps its ids); AdjustmentRequest stays as a proxy (its permissions and content type stay, so
the finance role keeps its screen). After the roles (shops 0008), which name its permissions."""

from datetime import timedelta

from django.db import migrations

ACTION = "deposits.adjustment"


def copy_requests(apps, schema_editor):  # type: ignore[no-untyped-def]
    Old = apps.get_model("deposits", "AdjustmentRequest")
    New = apps.get_model("approvals", "FourEyesRequest")
    for old in Old.objects.select_related("account__shop").order_by("pk"):
        status = old.status
        New.objects.create(
            action=ACTION,
            status=status,
            why="THRESHOLD",
            subject_type="deposits.account",
            subject_id=old.account_id,
            subject_label=old.account.shop.name if old.account.shop_id else str(old.account_id),
            amount_minor=old.amount_minor,
            currency=old.account.currency,
            reason=old.reason,
            payload={"account_id": old.account_id, "amount_minor": old.amount_minor},
            maker_id=old.requested_by_id,
            made_at=old.created_at,
            expires_at=old.created_at + timedelta(hours=72),
            checker_id=old.decided_by_id,
            checked_at=old.decided_at or (old.created_at if status != "PENDING" else None),
            check_note=old.decision_note,
            result={"transaction_id": old.transaction_id} if old.transaction_id else {},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_four_eyes_requests"),
        ("claims", "0010_agent_limits_and_decisions_to_four_eyes"),
        ("deposits", "0014_withdrawal_payouts"),
        ("shops", "0008_roles_payouts_and_audit"),
    ]

    operations = [
        migrations.RunPython(copy_requests, migrations.RunPython.noop),
        migrations.DeleteModel(name="AdjustmentRequest"),
        migrations.CreateModel(
            name="AdjustmentRequest",
            fields=[],
            options={
                "verbose_name": "adjustment request",
                "verbose_name_plural": "adjustment requests",
                "ordering": ["-id"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("approvals.foureyesrequest",),
        ),
    ]
