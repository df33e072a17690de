"""Settings for bench/load_day.py: the project's own settings with one bench-only endpoint added
(bench/locust_urls.py: ops deciding a claim through the admin's service). Nothing else differs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "locust_urls"
