"""Give the third-party screens ops use every day (Celery schedules and task results) the same
Unfold look and search as ours. Lives in config because it touches several packages' admins."""

from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin
from django.http import HttpRequest
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_celery_results import admin as results_admin
from django_celery_results.models import GroupResult, TaskResult
from unfold.admin import ModelAdmin

for model in (
    PeriodicTask,
    IntervalSchedule,
    CrontabSchedule,
    SolarSchedule,
    ClockedSchedule,
    TaskResult,
    GroupResult,
    AccessAttempt,
):
    admin.site.unregister(model)


def _actions_only_with(permission: str, names: tuple[str, ...]) -> Any:
    """These packages' actions carry no `allowed_permissions`, so anyone who may view the list
    could run them; keep them for users with the model permission that matches what they do
    (tests/ops/test_roles.py holds every action to a decision per role)."""

    def get_actions(self: Any, request: HttpRequest) -> dict[str, Any]:
        actions = super(type(self), self).get_actions(request)
        if not getattr(self, f"has_{permission}_permission")(request):
            for name in names:
                actions.pop(name, None)
        return actions

    return get_actions


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin, ModelAdmin):
    get_actions = _actions_only_with(
        "change", ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks")
    )


@admin.register(IntervalSchedule)
class IntervalScheduleAdmin(beat_admin.IntervalScheduleAdmin, ModelAdmin):
    search_fields = ["every", "period"]


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin, ModelAdmin):
    search_fields = ["minute", "hour", "day_of_week"]


@admin.register(SolarSchedule)
class SolarScheduleAdmin(beat_admin.SolarScheduleAdmin, ModelAdmin):
    search_fields = ["event"]


@admin.register(ClockedSchedule)
class ClockedScheduleAdmin(beat_admin.ClockedScheduleAdmin, ModelAdmin):
    search_fields = ["clocked_time"]


@admin.register(TaskResult)
class TaskResultAdmin(results_admin.TaskResultAdmin, ModelAdmin):
    pass


@admin.register(GroupResult)
class GroupResultAdmin(results_admin.GroupResultAdmin, ModelAdmin):
    pass


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    get_actions = _actions_only_with("delete", ("cleanup_expired_attempts",))
