"""The claim decision requests are four-eyes requests now (copied in 0010): the old table goes,
and ClaimDecisionRequest stays as a proxy of approvals.FourEyesRequest with the same permissions
(decide_claim, approve_claim_decision: the content type claims.claimdecisionrequest is kept, so
the roles that grant them keep them). After the roles (shops 0008), which name those permissions,
and after the audit trail stops tracking the old table (audit 0003)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0010_agent_limits_and_decisions_to_four_eyes"),
        ("audit", "0003_four_eyes_requests_tracked"),
        ("shops", "0008_roles_payouts_and_audit"),
    ]

    operations = [
        migrations.DeleteModel(name="ClaimDecisionRequest"),
        migrations.CreateModel(
            name="ClaimDecisionRequest",
            fields=[],
            options={
                "verbose_name": "decision waiting for a second person",
                "verbose_name_plural": "decisions waiting for a second person",
                "ordering": ["expires_at", "id"],
                "permissions": [
                    ("decide_claim", "Can decide claims"),
                    ("approve_claim_decision", "Can approve another person's claim decision"),
                ],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("approvals.foureyesrequest",),
        ),
    ]
