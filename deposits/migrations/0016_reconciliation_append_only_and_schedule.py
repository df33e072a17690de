"""Reconciliation's records of fact are append-only in PostgreSQL, and the daily job is scheduled.

- Imports, their lines and item events are never updated or deleted (a trigger refuses it on
  every path, psql included): what the counterparty sent and who did what to an item stay as
  they were. Items themselves change state through the services (compare-and-set).
- The daily job (`deposits.tasks.reconcile_daily`: the ledger check, then yesterday against the
  payment partner's statement) runs at 02:30 Asia/Shanghai, after the partner's file for the
  day has usually arrived; ops may move it in the admin (Periodic tasks). Created only if no
  schedule of that name exists, so an edited time survives later deploys.
"""

from django.db import migrations

TABLES = ("deposits_settlementimport", "deposits_settlementline", "deposits_reconciliationitemevent")

FUNCTION = """
CREATE OR REPLACE FUNCTION deposits_reconciliation_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'reconciliation records are append-only: % on % is refused',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""

NAME = "Reconciliation: ledger check and yesterday's payment partner file"
TASK = "deposits.tasks.reconcile_daily"


def triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; "
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION deposits_reconciliation_reject_change();",
            params=None,
        )


def drop_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};", params=None)
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS deposits_reconciliation_reject_change();", params=None
    )


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    Crontab = apps.get_model("django_celery_beat", "CrontabSchedule")
    Periodic = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = Crontab.objects.get_or_create(
        minute="30",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    Periodic.objects.get_or_create(name=NAME, defaults={"task": TASK, "crontab": crontab})


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0015_reconciliation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(triggers, drop_triggers),
        migrations.RunPython(schedule, unschedule),
    ]
