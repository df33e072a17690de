"""A Redis broker that accepts connections and then never answers (frozen, or a half-open path)
must not hold the request that enqueues: without socket timeouts one send_task waited more than
4 minutes. With config.settings.BROKER_SOCKET_TIMEOUTS it fails within seconds, and the caller
(an on-commit enqueue, robust) logs it and goes on; the delivery sweep sends what was not queued.
"""

from __future__ import annotations

import socket
import threading
import time

from celery import Celery
from django.conf import settings
from kombu.exceptions import OperationalError


def test_a_broker_that_never_answers_fails_a_send_within_seconds_not_minutes(monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery would prefer it to ours
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections complete in the backlog; nothing is ever read or answered
    app = Celery("broker-timeout-probe", broker=f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
    app.conf.broker_url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    app.conf.broker_transport_options = dict(settings.BROKER_SOCKET_TIMEOUTS)
    outcome: dict[str, object] = {}

    def send() -> None:
        started = time.monotonic()
        try:
            app.send_task("partners.tasks.deliver_webhook", kwargs={"delivery_id": 1})
            outcome["result"] = "sent"
        except OperationalError as exc:
            outcome["result"] = exc
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=send, daemon=True)  # a hang fails the test, not the run
    thread.start()
    thread.join(60)
    silent.close()

    assert not thread.is_alive(), "send_task still waiting on the silent broker after 60 s"
    assert isinstance(outcome["result"], OperationalError)
    assert outcome["seconds"] < 20
