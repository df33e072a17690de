"""Two more insurance tasks in django-celery-beat (ops can edit them in the admin):

- every 15 minutes, accepted applications whose premium was not paid in time lapse
  (`insurance.tasks.expire_unpaid_applications`: application EXPIRED, policy CANCELLED);
- every 5 minutes, the policy-term scan (`insurance.tasks.scan_policy_terms`): the renewal
  reminders 30, 7 and 1 days before `ends_on`, and expiry from 00:00 Asia/Shanghai the day after.
"""

from django.db import migrations

TASKS = [
    # name, task, every (seconds)
    (
        "Insurance: lapse unpaid acceptances",
        "insurance.tasks.expire_unpaid_applications",
        900,
    ),
    (
        "Insurance policies: renewal reminders and expiry",
        "insurance.tasks.scan_policy_terms",
        300,
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
        ("insurance", "0007_policy_term"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
