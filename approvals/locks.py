"""The row locks of the four-eyes mechanism.

Order: the request first, then whatever its executor locks (a claim's pair, a deposit account,
a shop): approvals sit below every app, so nothing locks a request while holding their rows.
The maker's user row serialises one maker's actions of a kind with a daily limit, so two
adjustments made at once cannot both fit under the limit; it is taken before the action's own
locks too. Mode FOR NO KEY UPDATE, as everywhere (deposits.locks).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from approvals.models import FourEyesRequest, RequestStatus


def lock_request(request_id: int) -> FourEyesRequest:
    return (
        FourEyesRequest.objects.select_for_update(no_key=True, of=("self",))
        .select_related("maker")
        .get(pk=request_id)
    )


def lock_pending_for_subject(action: str, subject_id: int) -> list[FourEyesRequest]:
    return list(
        FourEyesRequest.objects.filter(
            action=action, subject_id=subject_id, status=RequestStatus.PENDING
        )
        .select_for_update(no_key=True, of=("self",))
        .select_related("maker")
        .order_by("pk")
    )


def lock_maker(user_id: int) -> None:
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user_id).first()
