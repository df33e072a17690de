# Deposit Desk, production image: one image for web (gunicorn), worker and beat (Celery) and the
# one-shot migrate job; docker-compose.yml picks the command. Settings come from the environment
# (README.md lists the variables); nothing secret is baked in.
FROM python:3.11-slim

# pyproject.toml installs the dependencies only; the apps are imported from /app (PYTHONPATH).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings \
    DEPOSIT_DESK_VAR_DIR=/app/var \
    PORT=8000

# gettext: compilemessages (.mo files are built here, never committed). Pango and HarfBuzz's
# subsetter: WeasyPrint draws the e-policy PDF with them (its Chinese font comes from a wheel).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system app \
    && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, pinned to what the suite was run with, so a code change reuses this layer.
COPY pyproject.toml ./
COPY requirements/constraints.txt requirements/constraints.txt
RUN pip install -c requirements/constraints.txt .

COPY . .

# Static files are collected into the image (whitenoise serves them with a manifest). Settings
# refuse to load with DEBUG off and no secret, so the build uses a throwaway one.
RUN export DJANGO_DEBUG=false \
        DJANGO_SECRET_KEY=build-only-dummy-secret-not-used-at-runtime-0123456789 \
    && python manage.py collectstatic --noinput \
    && if [ -d locale ]; then python manage.py compilemessages; fi \
    && mkdir -p var \
    && chown -R app:app var

USER app
EXPOSE 8000

# The Procfile's web command (WEB_CONCURRENCY defaults to 4: measured on 2 cores, docs/operations.md).
CMD ["sh", "-c", "exec gunicorn config.wsgi:application --bind 0.0.0.0:${PORT:-8000} --workers ${WEB_CONCURRENCY:-4}"]
