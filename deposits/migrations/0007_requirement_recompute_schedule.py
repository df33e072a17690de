"""Hourly requirement recompute, so a rule with a future effective_from applies on its date."""

from django.db import migrations

NAME = "Recompute deposit requirements"


def install(apps, schema_editor):
    Interval = apps.get_model("django_celery_beat", "IntervalSchedule")
    Periodic = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = Interval.objects.get_or_create(every=3600, period="seconds")
    Periodic.objects.get_or_create(
        name=NAME, defaults={"task": "deposits.tasks.recompute_requirements", "interval": interval}
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("deposits", "0006_default_ladder_and_schedules")]

    operations = [migrations.RunPython(install, remove)]
