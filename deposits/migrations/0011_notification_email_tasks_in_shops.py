"""The notice e-mail tasks moved from deposits.tasks to shops.tasks (Notification is a shops
model; the tasks call shops' services): point the django-celery-beat schedule that 0006 installed
at the new path, keeping its name, interval and anything ops changed in the admin.

It lives in deposits, not shops, because deposits installed the row (0006) and shops must not
know about deposits' migrations (dependencies point claims → … → deposits → shops).

A message queued under an old name before the deploy reaches a worker that no longer knows it
and is dropped as unregistered; nothing is lost: the notice is still PENDING, and the sweep
(every 60 s) enqueues it again under the new name.
"""

from django.db import migrations
from django.utils import timezone

MOVED = [
    # old task path, new task path
    ("deposits.tasks.deliver_notification_emails", "shops.tasks.deliver_notification_emails"),
    ("deposits.tasks.send_notification_email", "shops.tasks.send_notification_email"),
]


def _rename(apps, pairs):
    Periodic = apps.get_model("django_celery_beat", "PeriodicTask")
    changed = sum(Periodic.objects.filter(task=old).update(task=new) for old, new in pairs)
    if changed:
        # A running beat (DatabaseScheduler) reloads its schedule only when this marker moves;
        # queryset.update() sends no signal, so move it here.
        apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
            ident=1, defaults={"last_update": timezone.now()}
        )


def install(apps, schema_editor):
    _rename(apps, MOVED)


def remove(apps, schema_editor):
    _rename(apps, [(new, old) for old, new in MOVED])


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0010_shop_currency_fixed"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
