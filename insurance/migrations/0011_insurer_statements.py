"""Insurers' statements (a proxy of deposits' settlement imports, so the screen and its
permission are insurance's) and the daily match of yesterday against them, at 02:40
Asia/Shanghai (after deposits' 02:30 run). The schedule is created only if none of that name
exists, so a time edited in the admin survives later deploys."""

from django.db import migrations

NAME = "Reconciliation: yesterday's insurer statements"
TASK = "insurance.tasks.reconcile_insurers_daily"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    Crontab = apps.get_model("django_celery_beat", "CrontabSchedule")
    Periodic = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = Crontab.objects.get_or_create(
        minute="40",
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
        ("deposits", "0016_reconciliation_append_only_and_schedule"),
        ("insurance", "0010_application_close_and_product_audit"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="InsurerStatement",
            fields=[],
            options={
                "verbose_name": "insurer statement",
                "verbose_name_plural": "insurer statements",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("deposits.settlementimport",),
        ),
        migrations.RunPython(schedule, unschedule),
    ]
