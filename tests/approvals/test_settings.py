"""Thresholds per action in one dict, each overridable from the environment."""

from __future__ import annotations

from config import settings as project_settings


def test_a_threshold_is_overridden_by_its_environment_variable(monkeypatch):
    monkeypatch.setenv("FOUR_EYES_DEPOSITS_FORFEIT_ABOVE_MINOR", "500000")

    assert project_settings._four_eyes_threshold("deposits.forfeit", 1_000_000) == 500_000


def test_off_turns_four_eyes_off_for_that_action(monkeypatch):
    monkeypatch.setenv("FOUR_EYES_SHOPS_UNFREEZE_ABOVE_MINOR", "off")

    assert project_settings._four_eyes_threshold("shops.unfreeze", 0) is None


def test_without_a_variable_the_default_stands(monkeypatch):
    monkeypatch.delenv("FOUR_EYES_CLAIMS_DECISION_ABOVE_MINOR", raising=False)

    assert project_settings._four_eyes_threshold("claims.decision", 1_000_000) == 1_000_000


def test_every_registered_action_has_a_threshold_in_settings(settings):
    from approvals import registry

    for kind in registry.kinds():
        assert kind.threshold_key in settings.FOUR_EYES_THRESHOLDS_MINOR, kind.action
        if kind.daily_limit_key:
            assert kind.daily_limit_key in settings.FOUR_EYES_THRESHOLDS_MINOR
