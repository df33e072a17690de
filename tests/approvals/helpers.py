"""People for four-eyes tests: staff users in the roles of shops/migrations/0007 (groups)."""

from __future__ import annotations

from django.contrib.auth.models import Group

from tests.factories import make_user


def in_role(role: str, username: str | None = None):  # type: ignore[no-untyped-def]
    user = make_user(username)
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


def thresholds(settings, **values: int | None) -> None:  # type: ignore[no-untyped-def]
    """Override some four-eyes thresholds (keys with dots written with double underscores)."""
    settings.FOUR_EYES_THRESHOLDS_MINOR = {
        **settings.FOUR_EYES_THRESHOLDS_MINOR,
        **{key.replace("__", "."): value for key, value in values.items()},
    }
