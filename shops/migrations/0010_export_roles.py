"""Who may export which ops list, and who reads the export log (shops.ExportLog's permissions).

- finance exports ledger entries, shops with their coverage and claims (issue 14 part 3:
  finance does the exports);
- the claims agent exports claims only;
- risk exports nothing (its work is on the shop screens themselves);
- supervisor and auditor export every list, the audit trail included (they alone read it), and
  read the export log.

Pinned dependencies, as 0007 explains.
"""

from django.db import migrations

GRANTS = {
    "claims_agent": ("export_claims",),
    "finance": ("export_ledger", "export_shops", "export_claims"),
    "risk": (),
    "supervisor": (
        "export_ledger",
        "export_shops",
        "export_claims",
        "export_audit",
        "view_exportlog",
    ),
    "auditor": ("export_ledger", "export_shops", "export_claims", "export_audit", "view_exportlog"),
}


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("shops")
    had_models = getattr(app_config, "models_module", None)
    app_config.models_module = had_models or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.get(name=name)
        for codename in codenames:
            permission = Permission.objects.filter(
                content_type__app_label="shops", codename=codename
            ).first()
            if permission is None:
                raise RuntimeError(f"Role {name}: no permission shops.{codename}")
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("shops", "0009_export_log")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
