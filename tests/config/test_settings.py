"""Start-up refuses a bad environment, naming the variable; a production environment checks clean.

Each case runs `manage.py check` in a fresh process, because settings are read once at import.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Nothing from the parent may leak into a case: CI's PostgreSQL and Redis, settings_test's DEBUG,
# or DJANGO_ALLOW_ASYNC_UNSAFE, which the e2e conftest sets for the whole session (a deployment
# check error of its own).
_INHERITED_PREFIXES = ("DJANGO_", "DATABASE_", "CELERY_", "REDIS_", "AXES_", "DEPOSIT_")

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "deposit-desk.example.com",
}


def manage(*args: str, env: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEPOSIT_DESK_VAR_DIR=str(var_dir),
        DEPOSIT_DESK_ENV_FILE=str(var_dir / "no.env"),  # a developer's .env must not leak in
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestStartupRefusesBadEnvironment:
    @pytest.mark.parametrize(
        ("variable", "env"),
        [
            ("DJANGO_DEBUG", {"DJANGO_DEBUG": "maybe"}),
            ("DATABASE_URL", {"DATABASE_URL": "mysql://x"}),
            ("DATABASE_URL", {"DATABASE_URL": "nonsense"}),
            ("DATABASE_URL", {"DATABASE_URL": "postgres://db.example.com:5432/"}),
            ("DATABASE_URL", {"DATABASE_URL": "postgres://db.example.com:54x2/deposits"}),
            ("DATABASE_URL", {"DATABASE_URL": "sqlite://"}),
            ("CELERY_BROKER_URL", {"CELERY_BROKER_URL": "ftp://x"}),
            ("CELERY_BROKER_URL", {"CELERY_BROKER_URL": "redis://127.0.0.1:63790x/0"}),
            ("REDIS_URL", {"REDIS_URL": "http://x"}),
            ("REDIS_URL", {"REDIS_URL": "redis://127.0.0.1:6379/cache"}),
            ("DJANGO_SECRET_KEY", {"DJANGO_DEBUG": "false"}),
            ("DJANGO_SECRET_KEY", {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "too-short"}),
            (
                "DJANGO_CONN_MAX_AGE",
                {
                    "DATABASE_URL": "postgres://db.example.com:5432/deposits",
                    "DJANGO_CONN_MAX_AGE": "forever",
                },
            ),
            ("DJANGO_HSTS_SECONDS", {"DJANGO_HSTS_SECONDS": "-1"}),
            ("DJANGO_LOG_LEVEL", {"DJANGO_LOG_LEVEL": "LOUD"}),
            ("DJANGO_LOG_JSON", {"DJANGO_LOG_JSON": "sometimes"}),
            ("AXES_FAILURE_LIMIT", {"AXES_FAILURE_LIMIT": "0"}),
            (
                "DEPOSIT_ADJUSTMENT_APPROVAL_THRESHOLD_MINOR",
                {"DEPOSIT_ADJUSTMENT_APPROVAL_THRESHOLD_MINOR": "10000.00"},
            ),
        ],
        ids=lambda value: value if isinstance(value, str) else "-".join(value.values())[:40],
    )
    def test_exits_non_zero_naming_the_variable(self, variable, env, tmp_path):
        env = {"DJANGO_DEBUG": "true", **env}

        result = manage("check", env=env, var_dir=tmp_path)

        assert result.returncode != 0, result.stdout
        assert "ImproperlyConfigured" in result.stderr
        assert variable in result.stderr.strip().splitlines()[-1]

    def test_refuses_the_development_secret_with_debug_off(self, tmp_path):
        from config.settings import _DEV_SECRET

        result = manage(
            "check", env={**PRODUCTION, "DJANGO_SECRET_KEY": _DEV_SECRET}, var_dir=tmp_path
        )

        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY" in result.stderr


class TestProductionEnvironment:
    def test_passes_the_deployment_checks_without_a_warning(self, tmp_path):
        result = manage(
            "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, var_dir=tmp_path
        )

        assert result.returncode == 0, result.stderr
        assert "System check identified no issues" in result.stdout

    def test_deployment_checks_catch_a_weakened_setting(self, tmp_path):
        # Proves the check above can fail: HSTS off is a deployment warning.
        env = {**PRODUCTION, "DJANGO_HSTS_SECONDS": "0"}

        result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, var_dir=tmp_path)

        assert result.returncode != 0
        assert "security.W004" in result.stderr + result.stdout


def test_an_empty_host_list_is_refused_in_production(tmp_path):
    result = manage("check", env={**PRODUCTION, "DJANGO_ALLOWED_HOSTS": " , "}, var_dir=tmp_path)

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr.strip().splitlines()[-1]


class TestDevelopmentEnvFile:
    def test_values_fill_only_what_the_environment_does_not_set(self, tmp_path, monkeypatch):
        from config.env import load_env_file

        env_file = tmp_path / ".env"
        env_file.write_text("# dev\nDD_TEST_A=from-file\nDD_TEST_B='quoted'\n")
        monkeypatch.setenv("DD_TEST_A", "from-environment")
        monkeypatch.delenv("DD_TEST_B", raising=False)

        load_env_file(str(env_file))

        assert os.environ["DD_TEST_A"] == "from-environment"
        assert os.environ["DD_TEST_B"] == "quoted"
        monkeypatch.delenv("DD_TEST_B")

    def test_a_malformed_line_stops_start_up_naming_the_file_and_line(self, tmp_path):
        from django.core.exceptions import ImproperlyConfigured

        from config.env import load_env_file

        env_file = tmp_path / ".env"
        env_file.write_text("DJANGO_DEBUG=true\nthis is not a setting\n")

        with pytest.raises(ImproperlyConfigured, match="line 2"):
            load_env_file(str(env_file))

    def test_manage_py_commands_run_in_development_mode_after_make_run(self, tmp_path):
        env_file = tmp_path / "dev.env"
        env_file.write_text("DJANGO_DEBUG=true\n")

        result = manage("check", env={"DEPOSIT_DESK_ENV_FILE": str(env_file)}, var_dir=tmp_path)

        assert result.returncode == 0, result.stderr
