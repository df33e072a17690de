"""Roles (0007) meet the four-eyes requests (approvals) and the claims agents' limits.

- every role reads the four-eyes list (approvals.view_foureyesrequest) and the agents' limits;
- the supervisor is the second person: approves or rejects requests of every kind
  (approvals.approve_request, and change to run the list's actions), and sets each claims
  agent's limit (claims.add_/change_agentlimit). Claim decisions also need
  claims.approve_claim_decision, which 0007 gave the supervisor.

Pinned dependencies, as 0007 explains.
"""

from django.db import migrations

READ_ALL = (("approvals", "view_foureyesrequest"), ("claims", "view_agentlimit"))
GRANTS = {
    "claims_agent": READ_ALL,
    "finance": READ_ALL,
    "risk": READ_ALL,
    "supervisor": READ_ALL
    + (
        ("approvals", "change_foureyesrequest"),
        ("approvals", "approve_request"),
        ("claims", "add_agentlimit"),
        ("claims", "change_agentlimit"),
    ),
    "auditor": READ_ALL,
}


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    for label in ("approvals", "claims"):
        app_config = apps.get_app_config(label)
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GRANTS.items():
        group = Group.objects.get(name=name)
        for app_label, codename in grants:
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None:
                raise RuntimeError(f"Role {name}: no permission {app_label}.{codename}")
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0008_roles_payouts_and_audit"),
        ("approvals", "0001_four_eyes_requests"),
        ("claims", "0011_decision_requests_are_four_eyes_requests"),
        ("deposits", "0015_adjustment_requests_are_four_eyes_requests"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
