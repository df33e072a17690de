"""The e-policy sweep in django-celery-beat (ops can edit it in the admin): every 2 minutes,
ACTIVE policies activated more than 2 minutes ago without their e-policy are issued
(`insurance.tasks.issue_missing_policy_documents`, on the notices queue). The premium's
on-commit message is a nudge that a broker outage drops; this finds what it dropped.
"""

from django.db import migrations

TASKS = [
    # name, task, every (seconds)
    (
        "Insurance: issue e-policies the nudge missed",
        "insurance.tasks.issue_missing_policy_documents",
        120,
    ),
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
        ("insurance", "0012_payment_ref_per_partner"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
