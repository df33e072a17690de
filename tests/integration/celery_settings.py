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
# kombu 5.7 sweeps for unacknowledged messages every `unacked_restore_interval` seconds but
# scans Redis only on every `unacked_restore_throttle`th sweep: 10 × 10 s, so a killed worker's
# message came back up to 100 s after its visibility timeout (the test waited 100 s for it).
# Production keeps the defaults: against a 900 s visibility timeout, 100 s more is noise.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **globals().get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    "unacked_mutex_expire": 5,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
