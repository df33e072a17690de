"""Roles (0007) meet two screens that arrived beside them: withdrawals' payouts and the audit page.

- finance records payouts (sent, paid, failed: deposits.change_withdrawal) and binds a shop's
  payout account (deposits.change_payoutaccount); every role reads both (0007 gave view of every
  deposits model that existed then; these are new).
- supervisor and auditor read the audit trail (audit.view_auditevent); nobody changes it.

Pinned dependencies, as 0007 explains.
"""

from django.db import migrations

READ_ALL = (("deposits", "view_withdrawal"), ("deposits", "view_payoutaccount"))
GRANTS = {
    "claims_agent": READ_ALL,
    "finance": READ_ALL
    + (("deposits", "change_withdrawal"), ("deposits", "change_payoutaccount")),
    "risk": READ_ALL,
    "supervisor": READ_ALL
    + (
        ("deposits", "change_withdrawal"),
        ("deposits", "change_payoutaccount"),
        ("audit", "view_auditevent"),
    ),
    "auditor": READ_ALL + (("audit", "view_auditevent"),),
}


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    for label in ("deposits", "audit"):
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
        ("shops", "0007_staff_roles"),
        ("deposits", "0014_withdrawal_payouts"),
        ("audit", "0002_shop_type_english_names"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
