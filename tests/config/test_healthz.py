"""/healthz: what the load balancer and the compose healthcheck ask before sending traffic.

The broker check runs against whatever CELERY_BROKER_URL says: Redis in CI, the filesystem broker
on a developer's machine. A broker that does not answer is tested with a closed local port.
"""

from __future__ import annotations

import pytest

from common import views
from config.celery import app as celery_app


@pytest.mark.django_db
class TestHealthz:
    def test_answers_200_with_every_check_ok(self, client):
        response = client.get("/healthz")

        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"] == {"database": "ok", "broker": "ok"}
        assert "no-cache" in response["Cache-Control"]

    def test_answers_503_when_the_database_check_fails(self, client, monkeypatch):
        monkeypatch.setattr(views, "_check_database", lambda: "error: OperationalError")

        response = client.get("/healthz")

        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"] == "error: OperationalError"
        assert body["checks"]["broker"] == "ok"

    def test_answers_503_when_the_broker_does_not_answer(self, client, monkeypatch):
        # Port 1 on loopback: connection refused, so the real check fails (in about 2 s). Celery
        # reads CELERY_BROKER_*_URL from the environment before its own configuration.
        monkeypatch.setenv("CELERY_BROKER_WRITE_URL", "redis://127.0.0.1:1/0")
        assert celery_app.conf.broker_write_url == "redis://127.0.0.1:1/0"

        response = client.get("/healthz")

        assert response.status_code == 503
        body = response.json()
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["broker"].startswith("error: ")

    def test_refuses_methods_other_than_get(self, client):
        response = client.post("/healthz")

        assert response.status_code == 405

    def test_is_served_over_plain_http_when_https_is_enforced(self, client, settings):
        # Probes speak HTTP to the container; everything else is redirected to HTTPS.
        settings.SECURE_SSL_REDIRECT = True

        health = client.get("/healthz")
        login = client.get("/accounts/login/")

        assert health.status_code == 200
        assert login.status_code == 301
        assert login["Location"].startswith("https://")

    def test_echoes_the_request_id_for_log_correlation(self, client):
        response = client.get("/healthz", headers={"X-Request-Id": "probe-42"})

        assert response["X-Request-Id"] == "probe-42"
