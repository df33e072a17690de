"""The default shortfall ladder (domain.md §4, Tmall timings) and the schedules of the shortfall
scan, the guarantee sweeper and the e-mail safety net, in django-celery-beat so ops can edit them.

Ladder: notify at once; restrict marketing after 72 h; hide from search and stop new orders after
15 days (makes the shop FROZEN); open an ops review for closure after 30 days (never automatic).
Each later step is preceded by a reminder 24 h ahead. Ops edit the rows in the admin; a case keeps
the plan it opened with.
"""

from datetime import timedelta

from django.db import migrations

LADDER = [
    # code, position, delay, action, restriction kind, note
    ("notify", 0, timedelta(0), "NOTIFY", "", "Tell the merchant at once."),
    (
        "restrict-marketing",
        1,
        timedelta(hours=72),
        "RESTRICT",
        "MARKETING",
        "Tmall: restore within 72 h, then marketing is restricted.",
    ),
    (
        "hide-and-stop-orders",
        2,
        timedelta(days=15),
        "RESTRICT",
        "HIDDEN",
        "Tmall: after 15 days the shop and its items cannot be found (监管).",
    ),
    (
        "ops-review",
        3,
        timedelta(days=30),
        "OPS_REVIEW",
        "",
        "Ops review the shop's qualification; closure is never automatic.",
    ),
]

TASKS = [
    # name, task, every (seconds)
    ("Shortfall scan", "deposits.tasks.scan_shortfalls", 300),
    ("Expire and start guarantees", "deposits.tasks.expire_due_guarantees", 300),
    ("Deliver notification e-mails", "deposits.tasks.deliver_notification_emails", 60),
]


def install(apps, schema_editor):
    Step = apps.get_model("deposits", "ShortfallLadderStep")
    for code, position, delay, action, kind, note in LADDER:
        Step.objects.get_or_create(
            code=code,
            defaults={
                "position": position,
                "delay": delay,
                "action": action,
                "restriction_kind": kind,
                "reminder_lead": timedelta(hours=24),
                "note": note,
            },
        )
    Interval = apps.get_model("django_celery_beat", "IntervalSchedule")
    Periodic = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, seconds in TASKS:
        interval, _ = Interval.objects.get_or_create(every=seconds, period="seconds")
        Periodic.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, _, _ in TASKS]
    ).delete()
    apps.get_model("deposits", "ShortfallLadderStep").objects.filter(
        code__in=[row[0] for row in LADDER]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0005_guarantees_shortfall"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
