"""The supervisor issues partner keys (issue 16, section 4): `partners.add_apikey`.

Until now only superusers could issue a key, so every new partner and every rotation needed one.
The supervisor already revokes keys and rotates them (change_apikey, 0007). A key with money
scopes, issued or rotated by ops, still waits for a *second* supervisor on the four-eyes list
(partners.services.key_approvals), so no one person holds a money key alone.

Pinned dependencies, as 0007 explains.
"""

from django.db import migrations


def grant(apps, schema_editor):  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("partners")
    had_models = getattr(app_config, "models_module", None)
    app_config.models_module = had_models or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="partners", codename="add_apikey")
    Group.objects.get(name="supervisor").permissions.add(permission)


def take_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(
        content_type__app_label="partners", codename="add_apikey"
    ).first()
    if permission is not None:
        Group.objects.get(name="supervisor").permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0014_roles_team_and_requirement_history"),
        ("partners", "0008_api_key_rotation"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
