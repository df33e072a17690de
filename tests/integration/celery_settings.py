"""Settings for the worker and beat that the Celery integration test starts as subprocesses.

The real settings, plus a queue of the test's own (SHORTFALL_IT_QUEUE) so that another worker
on the same Redis broker cannot take these tasks (and run them against another database), nor
this worker take theirs.
"""

import os

from config.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["SHORTFALL_IT_QUEUE"]
# Every task on that one queue: the production routes (money, notices, webhooks) would send the
# tasks the worker enqueues itself to queues it does not consume.
CELERY_TASK_ROUTES: dict[str, dict[str, str]] = {}

# A worker killed while it held kombu's restore mutex (test_worker_killed kills one on purpose)
# would keep every other worker from restoring unacknowledged messages for the mutex's expiry
# (300 s by default): a few seconds here, so the next worker takes over at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **globals().get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    "unacked_mutex_expire": 5,
}
