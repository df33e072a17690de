"""`make run` keeps a development .env with the services it was given, so a later plain
`manage.py` command uses the same database; a command against a database without tables says
what to do instead of a traceback."""

from __future__ import annotations

import re
from pathlib import Path

from config.dev_env import write_dev_env
from tests.config.test_settings import REPO_ROOT, manage

POSTGRES = "postgres://postgres@127.0.0.1:5432/depositdesk"


def read(path: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in path.read_text().splitlines())
    return {k: v for k, sep, v in pairs if sep and not k.startswith("#")}


class TestTheMakefileWritesIt:
    def test_make_run_writes_the_env_file_through_dev_env(self):
        recipe = (REPO_ROOT / "Makefile").read_text().split("\nrun:")[-1].split("\n\n")[0]

        # before the first manage.py command, so migrate and later commands read the same file
        assert re.search(r"-m config\.dev_env \.env\n(.*\n)*.*manage\.py migrate", recipe)


class TestWriteDevEnv:
    def test_a_first_run_against_postgres_remembers_the_database_and_broker(self, tmp_path):
        env = tmp_path / ".env"

        write_dev_env(
            env, {"DATABASE_URL": POSTGRES, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
        )

        assert read(env) == {
            "DJANGO_DEBUG": "true",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": POSTGRES,
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        }

    def test_an_older_env_file_gets_the_database_and_keeps_what_the_developer_set(self, tmp_path):
        env = tmp_path / ".env"
        env.write_text("# mine\nDJANGO_DEBUG=true\nDJANGO_SECURE_SSL_REDIRECT=false\nX=1\n")

        changed = write_dev_env(env, {"DATABASE_URL": POSTGRES})

        assert changed == ["DATABASE_URL"]
        assert env.read_text().startswith("# mine\n")
        assert read(env) == {
            "DJANGO_DEBUG": "true",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "X": "1",
            "DATABASE_URL": POSTGRES,
        }

    def test_a_plain_run_keeps_the_remembered_database_and_writes_nothing(self, tmp_path):
        env = tmp_path / ".env"
        write_dev_env(env, {"DATABASE_URL": POSTGRES})
        before = env.read_text()

        assert write_dev_env(env, {}) == []
        assert env.read_text() == before

    def test_another_database_given_replaces_the_remembered_one(self, tmp_path):
        env = tmp_path / ".env"
        write_dev_env(env, {"DATABASE_URL": POSTGRES})

        write_dev_env(env, {"DATABASE_URL": POSTGRES + "2"})

        assert read(env)["DATABASE_URL"] == POSTGRES + "2"

    def test_settings_read_the_remembered_database(self, tmp_path):
        env = tmp_path / "dev.env"
        write_dev_env(env, {"DATABASE_URL": f"sqlite:///{tmp_path / 'remembered.sqlite3'}"})

        result = manage(
            "shell",
            "-c",
            "from django.conf import settings; print(settings.DATABASES['default']['NAME'])",
            env={"DEPOSIT_DESK_ENV_FILE": str(env)},
            var_dir=tmp_path,
        )

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "remembered.sqlite3")


def test_a_command_against_an_unmigrated_database_says_what_to_do(tmp_path):
    result = manage(
        "create_partner_key",
        "Tmall",
        env={"DJANGO_DEBUG": "true"},
        var_dir=tmp_path,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"The database (sqlite3 {tmp_path / 'db.sqlite3'}) has no Deposit Desk tables" in (
        result.stderr
    )
    assert "manage.py migrate" in result.stderr and "DATABASE_URL" in result.stderr
