"""Roles (0007) meet the daily deposit snapshot behind the ops overview (deposits 0015): every
role reads it, as every deposits screen; nobody changes it (beat writes it).

Pinned dependencies, as 0007 explains.
"""

from django.db import migrations

ROLES = ("claims_agent", "finance", "risk", "supervisor", "auditor")


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("deposits")
    had_models = getattr(app_config, "models_module", None)
    app_config.models_module = had_models or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(
        content_type__app_label="deposits", codename="view_dailydepositsnapshot"
    ).first()
    if permission is None:
        raise RuntimeError("no permission deposits.view_dailydepositsnapshot")
    for name in ROLES:
        Group.objects.get(name=name).permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0008_roles_payouts_and_audit"),
        ("deposits", "0015_daily_deposit_snapshot"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
