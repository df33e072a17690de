"""Settings for the test suite: the real settings with fast hashing and quiet logs.

DATABASE_URL still decides the database, so `DATABASE_URL=postgres://... make test` runs the
money paths against PostgreSQL; without it the suite runs on SQLite and the PostgreSQL-only tests
skip (or fail when REQUIRE_POSTGRES=1, which CI sets).
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

from config.settings import *  # noqa: E402,F403
from config.settings import CACHES, DATABASES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
CELERY_TASK_ALWAYS_EAGER = False  # tests call services directly, or run a real worker
# Tasks enqueued by tests (e-mails, webhook deliveries) must not land in the development
# server's filesystem broker under var/; with a real broker configured (CI's Redis) keep it.
from config.settings import CELERY_BROKER_URL  # noqa: E402

if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_URL = "memory://"
AXES_ENABLED = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif os.environ.get("DATABASE_TEST_TEMPLATE"):
    # CI migrates one database once and names it here: each test database (one per xdist worker
    # and per test step) is then a copy (CREATE DATABASE … TEMPLATE) and `migrate` finds nothing
    # left to do, instead of every step spending a minute of CPU on 100+ migrations.
    DATABASES["default"]["TEST"] = {"TEMPLATE": os.environ["DATABASE_TEST_TEMPLATE"]}

if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    # One namespace of the shared Redis per xdist worker (tests/worker_cache.py says why).
    CACHES["default"]["BACKEND"] = "tests.worker_cache.WorkerRedisCache"
    CACHES["default"]["KEY_PREFIX"] = "test-" + os.environ.get("PYTEST_XDIST_WORKER", "main")
