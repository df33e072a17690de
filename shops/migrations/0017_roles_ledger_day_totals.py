"""Roles (0007) meet the ledger's day totals behind the coverage chart and the statement
(deposits 0024): every role reads them, as every deposits screen; nobody changes them (the
nightly task and `manage.py rollup_entries` write them).

Pinned dependencies, as 0007 explains.
"""

from django.db import migrations

ROLES = ("claims_agent", "finance", "risk", "supervisor", "auditor")
CODENAMES = ("view_entrydayrollup", "view_entryrollupmark")


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("deposits")
    had_models = getattr(app_config, "models_module", None)
    app_config.models_module = had_models or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.filter(content_type__app_label="deposits", codename__in=CODENAMES)
    )
    if len(permissions) != len(CODENAMES):
        raise RuntimeError(f"missing permissions among deposits.{CODENAMES}")
    for name in ROLES:
        Group.objects.get(name=name).permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0016_merge_merchant_per_partner_and_key_roles"),
        ("deposits", "0024_entry_day_rollup"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
