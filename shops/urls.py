"""Merchant dashboard pages. The home page lives in deposits (it shows each shop's deposit)."""

from django.urls import include, path

urlpatterns = [
    path("", include(("deposits.urls", "dashboard"), namespace="dashboard")),
]
