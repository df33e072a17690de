"""Staff roles as groups (issue 14): claims agent, finance, risk, supervisor, auditor.

Why in shops: shops owns the people who use the system (merchants' users, the log-in pages and
now staff two-factor sign-in); a role is a staff concern, not a deposit or claims one. The
permissions it grants belong to every app, so this migration runs after theirs; it only names
permissions (app label, codename), it imports none of their code.

The grants are frozen here, as a data migration should be: a later change of a role is a new
migration. Each staff user gets roles in the admin (Users → groups). A role grants the model's
view permission to read a screen and its change permission to run that screen's actions
(common.admin.operate_permission); docs/architecture.md has the table.
"""

from django.db import migrations

# Read by every role: the business apps' screens (not staff accounts or two-factor devices).
READ_APPS = ("shops", "deposits", "insurance", "claims", "partners")
# Read, in addition, by supervisor and auditor: who may do what, log-ins and scheduled jobs.
READ_ALSO = (
    ("auth", "view_user"),
    ("auth", "view_group"),
    ("axes", "view_accessattempt"),
    ("axes", "view_accesslog"),
    ("axes", "view_accessfailurelog"),
    ("django_celery_beat", "view_periodictask"),
    ("django_celery_beat", "view_crontabschedule"),
    ("django_celery_beat", "view_intervalschedule"),
    ("django_celery_beat", "view_solarschedule"),
    ("django_celery_beat", "view_clockedschedule"),
    ("django_celery_results", "view_taskresult"),
    ("django_celery_results", "view_groupresult"),
)

CLAIMS_AGENT = (
    # the queue, the claim page, decisions up to the agent's limit, ops evidence, more material
    ("claims", "change_claim"),
    ("claims", "decide_claim"),
)
FINANCE = (
    # adjustments, forfeitures, refunds on exit, recomputation, top-up/withdrawal review,
    # reversals, releases, guarantees, shortfall handling, premiums side of insurance
    ("deposits", "change_account"),
    ("deposits", "change_adjustmentrequest"),
    ("deposits", "change_ledgertransaction"),
    ("deposits", "change_hold"),
    ("deposits", "change_guarantee"),
    ("deposits", "change_shortfallcase"),
    ("deposits", "change_shortfallreview"),
    ("insurance", "change_policy"),
    ("insurance", "change_insuranceapplication"),
)
RISK = (
    # restrictions, freezes and unfreezes, exits, requirement overrides, the blacklist
    ("shops", "change_shop"),
    ("shops", "add_shoprestriction"),
    ("shops", "change_shoprestriction"),
    ("deposits", "add_shoprequirementoverride"),
    ("deposits", "change_shoprequirementoverride"),
    ("deposits", "delete_shoprequirementoverride"),
    ("claims", "add_consumerflag"),
    ("claims", "change_consumerflag"),
)
SUPERVISOR_ONLY = (
    # the second person, and the rules everyone else works under
    ("claims", "approve_claim_decision"),
    ("claims", "add_compensationrule"),
    ("claims", "change_compensationrule"),
    ("deposits", "add_baserequirementrule"),
    ("deposits", "change_baserequirementrule"),
    ("deposits", "add_categoryrequirementrule"),
    ("deposits", "change_categoryrequirementrule"),
    ("deposits", "add_gmvrequirementschedule"),
    ("deposits", "change_gmvrequirementschedule"),
    ("deposits", "change_shortfallladderstep"),
    ("insurance", "add_insuranceproduct"),
    ("insurance", "change_insuranceproduct"),
    ("partners", "change_apikey"),
    ("partners", "change_webhookendpoint"),
    ("partners", "change_delivery"),
    ("partners", "change_event"),
    ("django_celery_beat", "change_periodictask"),
)

ROLES = {
    "claims_agent": CLAIMS_AGENT,
    "finance": FINANCE,
    "risk": RISK,
    "supervisor": CLAIMS_AGENT + FINANCE + RISK + SUPERVISOR_ONLY + READ_ALSO,
    "auditor": READ_ALSO,
}


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Create (or bring back to exactly these grants) the five groups. Idempotent."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after the last migration (post_migrate); create them now
    # so that the grants below find every one on a fresh database.
    for app_config in apps.get_app_configs():
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    read = list(
        Permission.objects.filter(
            content_type__app_label__in=READ_APPS, codename__startswith="view_"
        )
    )
    for name, grants in ROLES.items():
        wanted = list(read)
        for app_label, codename in grants:
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None:
                raise RuntimeError(f"Role {name}: no permission {app_label}.{codename}")
            wanted.append(permission)
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(wanted)


class Migration(migrations.Migration):
    # Pinned to each app's migration at the time of writing (not `__latest__`): a later migration
    # of those apps must not become a parent of this one once it is applied. Permissions of models
    # added later are given to roles by a migration of their own.
    dependencies = [
        ("shops", "0006_staff_two_factor_reset"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("django_celery_results", "0014_alter_taskresult_status"),
        ("partners", "0005_event_publish_function"),
        ("deposits", "0014_withdrawal_payouts"),
        ("insurance", "0010_application_close_and_product_audit"),
        ("claims", "0009_evidence_and_consumer_flags"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
