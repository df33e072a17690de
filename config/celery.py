"""The Celery application: settings come from Django settings under the CELERY_ namespace."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("deposit_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _audit_context_open(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    """Every database change a task makes is audited with the task's name as its actor."""
    # Imported here: this module loads with the settings, before the app registry is ready.
    from common.history import task_context_open

    if task_id is not None and task is not None:
        task_context_open(task_id=task_id, task_name=task.name)


@task_postrun.connect
def _audit_context_close(task_id: str | None = None, **_: Any) -> None:
    from common.history import task_context_close

    if task_id is not None:
        task_context_close(task_id=task_id)
