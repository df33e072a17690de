"""Settings for the worker and beat that the Celery integration test starts as subprocesses.

The real settings, plus a queue of the test's own (SHORTFALL_IT_QUEUE) so that another worker
on the same Redis broker cannot take these tasks (and run them against another database), nor
this worker take theirs.
"""

import os

from config.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["SHORTFALL_IT_QUEUE"]
