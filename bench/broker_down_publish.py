"""What an after-commit "deliver now" costs the request while the broker is down: Celery's
default publish (retries included, the path postings took before common.enqueue.task_nudge)
against the nudge (one try, then skipped for BROKER_DOWN_SKIP_SECONDS), in the same run.

    .venv/bin/python bench/broker_down_publish.py --rounds 15

Two brokers, both on this machine and both the project's transport options
(config.settings.BROKER_SOCKET_TIMEOUTS): a closed port (every connection refused at once, as
while Redis is restarting) and a socket that accepts and never answers (a hung Redis), the
latter once per path because each try costs the socket timeout. No database needed: nothing
is posted, only the publish is timed. Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "k" * 40)
os.environ.pop("CELERY_BROKER_URL", None)  # Celery would prefer it to the app's own

import django  # noqa: E402

django.setup()

from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402

from common import enqueue  # noqa: E402

TASK = "partners.tasks.deliver_webhook"


def app_for(port: int) -> Celery:
    url = f"redis://127.0.0.1:{port}/0"
    app = Celery(f"bench-{port}", broker=url, set_as_current=False)
    app.conf.broker_url = url
    app.conf.broker_transport_options = dict(settings.BROKER_SOCKET_TIMEOUTS)
    app.set_current()
    return app


def seconds(call: Callable[[], object]) -> float:
    started = time.monotonic()
    try:
        call()
    except Exception:  # the reference path raises once Celery gives up; that is the point
        pass
    return time.monotonic() - started


def celery_default() -> object:
    from celery import current_app

    return current_app.send_task(TASK, kwargs={"delivery_id": 1})


def nudge_first() -> object:
    enqueue.broker_down_forget()
    return enqueue.task_nudge(TASK, delivery_id=1)


def nudge_next() -> object:
    return enqueue.task_nudge(TASK, delivery_id=1)  # within the memo: not tried


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)

    rows: list[tuple[str, str, float, float]] = []
    app_for(closed_port)
    for name, call in (
        ("Celery's default publish (before)", celery_default),
        ("task_nudge, first after the broker went down", nudge_first),
        ("task_nudge, the next ones (memo)", nudge_next),
    ):
        if call is nudge_next:
            nudge_first()
        times = [seconds(call) for _ in range(args.rounds)]
        rows.append(("refused", name, statistics.median(times), max(times)))
    app_for(silent.getsockname()[1])
    for name, call in (
        ("Celery's default publish (before)", celery_default),
        ("task_nudge, first after the broker went down", nudge_first),
        ("task_nudge, the next ones (memo)", nudge_next),
    ):
        if call is nudge_next:
            nudge_first()
        times = [seconds(call) for _ in range(1 if call is not nudge_next else args.rounds)]
        rows.append(("hung", name, statistics.median(times), max(times)))
    silent.close()

    print(f"rounds {args.rounds}; load average {os.getloadavg()[0]:.2f}")
    print("| broker | publish | median | max |")
    print("| --- | --- | --- | --- |")
    for broker, name, median, worst in rows:
        print(f"| {broker} | {name} | {median * 1000:.1f} ms | {worst * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
