"""Scopes: each view names the scope each of its methods needs (`PartnerAPIView.scopes`)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class HasScope(BasePermission):
    message = "This API key may not do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.auth is None:
            return False  # DRF turns this into 401 not_authenticated
        needed = getattr(view, "scopes", {}).get(request.method)
        if needed and needed not in request.auth.scopes:
            self.message = f"This API key lacks the scope '{needed}'."
            return False
        return True
