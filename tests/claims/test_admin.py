"""Ops screens render; a rule in force is read-only, a future one editable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.utils import timezone

from claims.models import CompensationRule
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_claims_and_rules_pages_render(client):
    client.force_login(make_user(staff=True))
    for url in ("/admin/claims/claim/", "/admin/claims/compensationrule/"):
        assert client.get(url).status_code == 200


def test_a_rule_in_force_is_read_only_and_a_future_one_is_not():
    admin = site._registry[CompensationRule]
    request = RequestFactory().get("/")
    in_force = CompensationRule.objects.get(reason="LATE_SHIPMENT")
    future = CompensationRule.objects.create(
        reason="LATE_SHIPMENT",
        kind="RATE",
        rate_bps=3500,
        minimum_minor=500,
        maximum_minor=50_000,
        window_hours=24,
        effective_from=timezone.now() + timedelta(days=30),
    )

    assert "rate_bps" in admin.get_readonly_fields(request, in_force)
    assert "rate_bps" not in admin.get_readonly_fields(request, future)
    assert not admin.has_delete_permission(request, in_force)
    assert admin.has_delete_permission(request, future)
