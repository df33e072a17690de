"""The claims deadline scan in django-celery-beat (ops can edit it in the admin): every minute,
`claims.tasks.scan_deadlines` selects the claims whose deadline passed (one indexed query on
`next_deadline_at`) and enqueues `claims.tasks.process_deadline` for each."""

from django.db import migrations

TASKS = [
    # name, task, every (seconds)
    ("Claims: deadlines (escalation, automatic decision, evidence closed)", "claims.tasks.scan_deadlines", 60),
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
        ("claims", "0005_next_deadline_and_evidence_closed"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
