"""Settings for bench/api_floor.py: the project's own settings, with two reference endpoints
added (bench/floor_urls.py). Nothing else differs, so the API measured beside them is the
production API."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
