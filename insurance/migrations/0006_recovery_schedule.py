"""The recovery scan in django-celery-beat (ops can edit it in the admin): every 5 minutes, the
reminders 3 and 1 days before a recovery's due date and the overdue step a few minutes after its
deadline (00:00 Asia/Shanghai the day after `due_on`)."""

from django.db import migrations

TASKS = [
    # name, task, every (seconds)
    ("Insurance recoveries: reminders and overdue", "insurance.tasks.scan_recoveries", 300),
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
        ("insurance", "0005_advances"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
