"""Schedules for webhook delivery and idempotency pruning, in django-celery-beat so ops can edit
them in the admin."""

from django.db import migrations

TASKS = [
    # name, task, every (seconds)
    ("Deliver due webhooks", "partners.tasks.deliver_due_webhooks", 15),
    ("Prune idempotency records (24 h)", "partners.tasks.prune_idempotency_records", 3600),
]


def install(apps, schema_editor):
    Interval = apps.get_model("django_celery_beat", "IntervalSchedule")
    Periodic = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, seconds in TASKS:
        interval, _ = Interval.objects.get_or_create(every=seconds, period="seconds")
        Periodic.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, _, _ in TASKS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_api_keys_idempotency_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
