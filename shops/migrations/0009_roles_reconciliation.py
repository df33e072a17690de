"""Roles meet reconciliation (issue 14, part 6): settlement files, runs and items in deposits,
insurer statements in insurance.

- finance and supervisor work it: read every screen, upload files, and assign, investigate, resolve and write off items (the models' change permissions, which the
  screens' actions require: common.admin.operate_permission).
- auditor reads every screen and changes nothing.
- claims_agent and risk do not see it: settlement data and the books' differences are finance's.
  0007 grants every role the view permission of every deposits and insurance model that exists
  when it runs, which on a fresh database may already include these; they are taken back here.

Pinned dependencies, as 0007 explains.
"""

from django.db import migrations

MODELS = (
    ("deposits", "settlementimport"),
    ("deposits", "settlementline"),
    ("deposits", "reconciliationrun"),
    ("deposits", "reconciliationitem"),
    ("deposits", "reconciliationitemevent"),
    ("insurance", "insurerstatement"),
)
READ = tuple((app, f"view_{model}") for app, model in MODELS)
# Uploading a file and working an item are the screens' actions (the change permission);
# runs, lines and the items' trail have none.
WORK = (
    ("deposits", "change_settlementimport"),
    ("deposits", "change_reconciliationitem"),
    ("insurance", "change_insurerstatement"),
)
GRANTS = {
    "claims_agent": (),
    "finance": READ + WORK,
    "risk": (),
    "supervisor": READ + WORK,
    "auditor": READ,
}


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    for label in ("deposits", "insurance"):
        app_config = apps.get_app_config(label)
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permission(app_label, codename):  # type: ignore[no-untyped-def]
        found = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if found is None:
            raise RuntimeError(f"No permission {app_label}.{codename}")
        return found

    every = [
        permission(app, f"{verb}_{model}")
        for app, model in MODELS
        for verb in ("view", "change", "add", "delete")
    ]
    for name, grants in GRANTS.items():
        group = Group.objects.get(name=name)
        group.permissions.remove(*every)
        group.permissions.add(*(permission(app, codename) for app, codename in grants))


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0008_roles_payouts_and_audit"),
        ("deposits", "0016_reconciliation_append_only_and_schedule"),
        ("insurance", "0011_insurer_statements"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
