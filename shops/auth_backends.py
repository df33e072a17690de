"""Django's sign-in backend (behind axes' lockout check, which signs no one in), loading the user
of each request with their merchant membership joined. Every dashboard page asks for the
membership (the view, the navigation's "Team" link): one query for both instead of two (the
query budget, tests/dashboard/test_query_budget.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from shops.selectors import membership_remember


class MemberBackend(ModelBackend):
    """Django's ModelBackend, the membership joined."""

    def get_user(self, user_id: Any) -> Any:
        user = (
            get_user_model()
            ._default_manager.select_related("merchant_membership__merchant")
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        # A user without a membership (ops) joins none: remembered as such, not asked again.
        membership_remember(user, getattr(user, "merchant_membership", None))
        return user
