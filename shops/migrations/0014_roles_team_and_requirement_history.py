"""Roles (0007) meet the screens added with the merchant's team (shops 0009: invitations, team
changes, notice preferences) and the requirement's history (deposits 0015): every role reads
them, as every business screen; nobody changes them in the admin (the services write them).

Pinned dependencies, as 0007 explains.
"""

from django.db import migrations

ROLES = ("claims_agent", "finance", "risk", "supervisor", "auditor")
VIEWS = {
    "shops": ("view_invitation", "view_teamchange", "view_notificationpreference"),
    "deposits": ("view_requirementchange",),
}


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for label, codenames in VIEWS.items():
        app_config = apps.get_app_config(label)
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models
        for codename in codenames:
            permission = Permission.objects.filter(
                content_type__app_label=label, codename=codename
            ).first()
            if permission is None:
                raise RuntimeError(f"no permission {label}.{codename}")
            for name in ROLES:
                Group.objects.get(name=name).permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0013_merge_overview_roles"),
        ("deposits", "0015_requirement_history"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
