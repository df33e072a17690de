"""The tests' insured shops date their policies as the product does: the term's days are the
marketplace's calendar (Asia/Shanghai, insurance.selectors.market_date), not the UTC date, which
is a day behind from 16:00 UTC (midnight in Shanghai) on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from insurance.selectors import market_date
from tests.dashboard_pages import build_world
from tests.insurance.advance_helpers import make_active_policy

pytestmark = pytest.mark.django_db

# 01:00 on 3 November in Shanghai, still 2 November in UTC.
AFTER_SHANGHAI_MIDNIGHT = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)


def test_the_advance_helpers_policy_starts_on_the_business_date(api, insurer_api):
    now = AFTER_SHANGHAI_MIDNIGHT

    policy = make_active_policy(api, insurer_api, now)

    assert market_date(now) == now.date() + timedelta(days=1)
    assert policy.starts_on == market_date(now)
    assert policy.ends_on == market_date(now) + timedelta(days=364)


def test_the_dashboard_worlds_policy_began_thirty_business_days_ago():
    now = AFTER_SHANGHAI_MIDNIGHT

    world = build_world(now=now)

    world.policy.refresh_from_db()
    assert world.policy.starts_on == market_date(now) - timedelta(days=30)
    assert world.policy.ends_on == market_date(now) + timedelta(days=334)
