"""The one settings module, read from the environment.

Defaults serve a developer on one machine (SQLite in WAL mode and Celery's filesystem broker under
var/); production sets DATABASE_URL, CELERY_BROKER_URL, REDIS_URL, DJANGO_SECRET_KEY and
DJANGO_ALLOWED_HOSTS. A bad value stops start-up with a message naming the variable (config.env).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from common.replica import REPLICA_ALIAS
from config.env import (
    DATABASE_POOLERS,
    behind_pooler,
    env_bool,
    env_broker,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_redis,
    env_str,
    load_env_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# `make run` writes a .env with DJANGO_DEBUG=true so that later `manage.py` commands on a
# developer's machine run in the same mode; real environment variables always win over it.
load_env_file(env_str("DEPOSIT_DESK_ENV_FILE", str(BASE_DIR / ".env")))
VAR_DIR = Path(env_str("DEPOSIT_DESK_VAR_DIR", str(BASE_DIR / "var")))
# The embedded defaults (SQLite, filesystem broker) live here; create it before anything opens it.
(VAR_DIR / "broker" / "out").mkdir(parents=True, exist_ok=True)
(VAR_DIR / "broker" / "processed").mkdir(parents=True, exist_ok=True)
(VAR_DIR / "broker" / "control").mkdir(parents=True, exist_ok=True)
(VAR_DIR / "staticfiles").mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when missing

DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a real secret when DJANGO_DEBUG is off."
    )
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
if not ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is empty: list the host names this site is served under "
        "(comma-separated), e.g. deposit-desk.example.com."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# Third-party apps whose admin names ops read go through config.third_party_apps (the same apps,
# named for people).
INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "config.third_party_apps.CeleryResultsConfig",
    "django_htmx",
    "config.third_party_apps.AxesConfig",
    "pgtrigger",
    "pghistory",
    "django_otp",
    "config.third_party_apps.OtpTotpConfig",
    "config.third_party_apps.OtpStaticConfig",
    "common",
    # config is an app only for its management commands (seed_demo, banner), which may import
    # every app; the apps themselves import one way (import-linter).
    "config",
    # Four-eyes requests: below every business app, so each registers its actions here.
    "approvals",
    "partners",
    "shops",
    "deposits",
    "insurance",
    "claims",
    # After every app it tracks: its admin wraps their history views (audit/admin.py).
    "audit",
]

MIDDLEWARE = [
    # Outermost: a database that cannot be reached becomes 503 with Retry-After, not a 500.
    "common.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (common/csp.py: the admin's and the API docs'
    # named exceptions).
    "common.csp.SitePolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, the first to read the body: an upload larger than its view allows
    # is a 413 from its Content-Length, before Django spools it to disk (common/uploads.py).
    "common.uploads.UploadLimitMiddleware",
    # Django's own, by name: the deployment check (security.W003) looks for it.
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified when the session holds a confirmed device; then staff without
    # it are kept to the two-factor pages anywhere under the admin. common.api_lane: these four
    # skip a partner's call to the API (key, no cookie), to which they have nothing to say.
    "common.api_lane.OTPMiddleware",
    "shops.middleware.StaffTwoFactorMiddleware",
    "common.api_lane.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.api_lane.HtmxMiddleware",
    "common.logging.RequestLogMiddleware",
    # After the request id exists and the session user is known: the audit trail's who/where.
    "common.history.HistoryContextMiddleware",
    # django-axes wants to be last: it turns a lockout raised by the backend into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shops.context_processors.team_link",
                "claims.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
POSTGRESQL_ENGINE = "common.postgresql"  # common/postgresql/base.py says why
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while the worker writes; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue instead of failing with "database is locked" mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # The statement's covering index (INCLUDE columns) is a plain index on SQLite: said once
    # here, not on every command of `make run`.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The same backend, with a health check that reads the socket instead of sending SELECT 1.
    DATABASES["default"]["ENGINE"] = POSTGRESQL_ENGINE
    # DATABASE_POOLER=pgbouncer: DATABASE_URL is a PgBouncer in transaction pooling mode, which
    # hands each transaction whichever server connection is free (docs/operations.md, "Scaling
    # out"). Migrations go to PostgreSQL directly (docker-compose.yml).
    behind_pooler(DATABASES["default"], env_choice("DATABASE_POOLER", "none", DATABASE_POOLERS))
    # A read replica for the merchant's statements only (deposits/statement.py asks for it by
    # common.replica.statement_db). Everything else, and every write, stays on default: a
    # replica lags, and the money paths read under row locks.
    _replica_url = env_str("DATABASE_REPLICA_URL", "")
    if _replica_url:
        DATABASES[REPLICA_ALIAS] = env_database("DATABASE_REPLICA_URL", _replica_url)
        DATABASES[REPLICA_ALIAS]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
        DATABASES[REPLICA_ALIAS]["CONN_HEALTH_CHECKS"] = True
        if DATABASES[REPLICA_ALIAS]["ENGINE"].endswith("postgresql"):
            DATABASES[REPLICA_ALIAS]["ENGINE"] = POSTGRESQL_ENGINE
        behind_pooler(
            DATABASES[REPLICA_ALIAS],
            env_choice("DATABASE_REPLICA_POOLER", "none", DATABASE_POOLERS),
        )
        # Tests run the replica as a mirror of the test database (no second copy to fill).
        DATABASES[REPLICA_ALIAS]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]
# ATOMIC_REQUESTS stays off: entry-point services open their own durable transactions.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ----------------------------------------------------------------------------
REDIS_URL = env_redis("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that stops answering (not just refusing) must not hold requests: the
            # throttle fails open after this long (partners/api/throttling.py).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# A Redis broker that accepts connections but stops answering (frozen, swapped out, a half-open
# network path) held one send_task for more than 4 minutes, and with it the request whose
# posting had just committed (the on-commit "deliver now"). With these a send fails within
# seconds; the on-commit nudges (common.enqueue.task_nudge) try once, without Celery's publish
# retries, log the failure and drop it, and the sweep (deliver_due_webhooks) sends the
# delivery. The worker's BRPOP waits 1 s, below the socket timeout; a connect on the local
# network takes milliseconds, so 1 s is plenty for it.
BROKER_SOCKET_TIMEOUTS = {"socket_timeout": 2, "socket_connect_timeout": 1}
# After a nudge failed to publish, this process skips the next ones for this long: while Redis
# is down each request would otherwise pay a failed connect (or a hung broker's timeout) again.
BROKER_DOWN_SKIP_SECONDS = env_int("BROKER_DOWN_SKIP_SECONDS", 5, minimum=0)
CELERY_BROKER_URL = env_broker("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A message taken by a worker that then died (SIGKILL, OOM, the host gone) is unacked (acks
    # late): Redis gives it to another worker after this many seconds. Longer than any task
    # runs, or a slow task would run twice (harmless, they are idempotent, but wasted); the
    # periodic scans also find the work again (tests/integration/test_worker_killed.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900, minimum=1),
        **BROKER_SOCKET_TIMEOUTS,
    }
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
# Workers and beat log through the LOGGING below (JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Three queues, each with workers of its own (Procfile, docker-compose.yml), so a backlog of one
# kind never delays another: 50,000 webhook retries to a partner that is down must not hold up a
# shortfall's enforcement, nor a slow mail server the claims deadlines. A new task needs a line
# here (tests/config/test_task_routes.py); one without would sit on the default queue.
TASKS_BY_QUEUE = {
    # What moves or guards money, and the ledger's own checks: few, short, and they must not wait.
    "money": [
        "deposits.tasks.enforce_shortfall",
        "deposits.tasks.scan_shortfalls",
        "deposits.tasks.expire_due_holds",
        "deposits.tasks.expire_due_guarantees",
        "deposits.tasks.recompute_requirements",
        "deposits.tasks.reconcile_daily",
        "deposits.tasks.run_ledger_check",
        "deposits.tasks.take_daily_snapshot",
        # Reads of the ledger like the snapshot's; a chunk of accounts is short, once a night.
        "deposits.tasks.roll_up_ledgers",
        "deposits.tasks.roll_up_ledger_accounts",
        "claims.tasks.scan_deadlines",
        "claims.tasks.process_deadline",
        "insurance.tasks.scan_recoveries",
        "insurance.tasks.process_recovery",
        "insurance.tasks.scan_policy_terms",
        "insurance.tasks.process_policy_term",
        "insurance.tasks.expire_unpaid_applications",
        "insurance.tasks.reconcile_insurers_daily",
        "approvals.tasks.expire_requests",
    ],
    # What tells people: e-mails, and the e-policy PDF (CPU-heavy rendering, never urgent).
    "notices": [
        "shops.tasks.send_notification_email",
        "shops.tasks.send_invitation_email",
        "shops.tasks.deliver_notification_emails",
        "insurance.tasks.issue_policy_document",
        # Its sweep rides with it: a backlog of renders must not delay the money queue.
        "insurance.tasks.issue_missing_policy_documents",
    ],
    # What talks to partners' systems: deliveries wait on other people's servers (timeouts,
    # retries with backoff), and the partner API's idempotency housekeeping.
    "webhooks": [
        "partners.tasks.deliver_webhook",
        "partners.tasks.deliver_due_webhooks",
        "partners.tasks.prune_idempotency_records",
    ],
}
CELERY_TASK_ROUTES = {
    name: {"queue": queue} for queue, names in TASKS_BY_QUEUE.items() for name in names
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Auth -------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the user of a request with their merchant membership joined
    # (one query for both: the dashboard's query budget). Sessions signed in under the plain
    # ModelBackend's path sign in again once.
    "shops.auth_backends.MemberBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Attempts (attempts, seconds) on the merchant's sign-in, password reset and invitation pages,
# counted per client address and per account (common/ratelimit.py); over one: 429.
RATE_LIMITS = {
    # Failed sign-ins from one address, any usernames (axes locks username+address); successes
    # are not counted: an office behind one NAT signs in all day (shops.views).
    "login_ip": (30, 15 * 60),
    "login_account": (20, 15 * 60),  # one username, from any addresses
    "password_reset_ip": (10, 60 * 60),
    "password_reset_account": (3, 60 * 60),  # e-mails to one address
    "join_ip": (20, 15 * 60),  # invitation links opened or submitted
    "join_invitation": (10, 15 * 60),  # password submissions on one invitation link
}
# Staff two-factor sign-in (shops/two_factor.py): the name authenticator apps show.
OTP_TOTP_ISSUER = "Deposit Desk"

# --- I18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the switcher's choice outlives the session
TIME_ZONE = "Asia/Shanghai"  # shown to people; stored in UTC because USE_TZ is on
USE_I18N = True
USE_TZ = True

# --- Static -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files whitenoise serves at the site's root, before Django: /favicon.ico, which browsers ask
# for on every page whatever the page links (it was a 404, a log line each time).
WHITENOISE_ROOT = BASE_DIR / "site_root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str(
    "DJANGO_DEFAULT_FROM_EMAIL", "Deposit Desk <no-reply@deposit-desk.local>"
)

# Who hears about a failed ledger check or a disabled webhook endpoint (comma-separated e-mails).
ADMINS = [(email, email) for email in env_list("DJANGO_ADMINS", "")]
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# No inline script anywhere, nothing loaded from another site (no CDN), no framing, forms post
# only here. common/csp.py relaxes styles (and eval for Alpine.js) for the admin and API docs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # partner bodies are small; a larger one is a 413/400

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Deposit Desk partner API",
    "DESCRIPTION": (
        "Shops, deposits, holds and webhooks for marketplace, payment and insurer partners."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # The product's icon (site_root/favicon.ico), not Swagger's; the docs templates
    # (partners/templates/partners/api/) link it with its SVG, as every other page does.
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Several models have a `status`; each set of values gets a name of its own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "RecoveryStatusEnum": "insurance.models.advances.RecoveryStatus",
        "WithdrawalStatusEnum": ["REQUESTED", "SENT", "PAID", "FAILED"],
        "PayoutReportStatusEnum": ["SENT", "PAID", "FAILED"],
        "ClaimOutcomeEnum": ["UPHELD", "PARTLY_UPHELD", "REJECTED"],
        "AppealOutcomeEnum": "claims.models.claims.APPEAL_OUTCOME_CHOICES",
    },
}

# Outbound webhooks (partners.services.webhooks): loopback and private receivers are refused
# unless their host is listed here (".example.internal" allows a domain and its subdomains) or
# DEBUG is on (api-v1.md).
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", "")

# --- Unfold (ops admin) -----------------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": "Deposit Desk ops",
    "SITE_HEADER": "Deposit Desk",
    "SITE_SYMBOL": "account_balance",
    # The dashboard's icon (templates/base.html) on the admin's pages too.
    "SITE_FAVICONS": [
        {"rel": "icon", "sizes": "32x32", "href": "/favicon.ico"},
        {"rel": "icon", "type": "image/svg+xml", "href": "config.dashboard.favicon_svg_url"},
    ],
    "SHOW_LANGUAGES": True,
    # The home page is the ops overview (config/dashboard.py, templates/admin/index.html).
    "DASHBOARD_CALLBACK": "config.dashboard.dashboard_callback",
}

# --- Domain knobs -----------------------------------------------------------------------------
DEPOSIT_DEFAULT_CURRENCY = "CNY"
# Exit refund: released 30 days + 10 working days after the exit is confirmed (domain.md §3).
DEPOSIT_REFUND_DELAY_DAYS = env_int("DEPOSIT_REFUND_DELAY_DAYS", 30)
DEPOSIT_REFUND_DELAY_WORKING_DAYS = env_int("DEPOSIT_REFUND_DELAY_WORKING_DAYS", 10)
# The sandbox payment page stands in for the payment provider: never on in production by default.
DEPOSIT_SANDBOX_PAYMENTS = env_bool("DEPOSIT_SANDBOX_PAYMENTS", DEBUG)
# The most one sandbox payment may credit, in major units of the deposit's currency (raised to
# twice the shop's own requirement plus its debt where that is more): a typo of ¥99,999,999,999
# went through to the confirmation page and would have credited it.
DEPOSIT_SANDBOX_TOP_UP_MAX_MAJOR = env_int("DEPOSIT_SANDBOX_TOP_UP_MAX_MAJOR", 1_000_000)
# Absolute base of links in merchant e-mails, e.g. https://deposit-desk.example.com.
DASHBOARD_BASE_URL = env_str("DASHBOARD_BASE_URL", "").rstrip("/")
# Manual adjustments above this (minor units, 10,000.00 CNY) need a second person's approval.
DEPOSIT_ADJUSTMENT_APPROVAL_THRESHOLD_MINOR = env_int(
    "DEPOSIT_ADJUSTMENT_APPROVAL_THRESHOLD_MINOR", 1_000_000
)
# Claim decisions awarding more than this (minor units, 10,000.00 CNY) wait for a second person
# (claims.services.approvals).
CLAIMS_FOUR_EYES_ABOVE_MINOR = env_int("CLAIMS_FOUR_EYES_ABOVE_MINOR", 1_000_000)
# A claims agent decides alone up to their own limit (set per user by a supervisor); this is
# the limit of an agent nobody set one for. Above it the decision waits for a second person.
CLAIMS_AGENT_DEFAULT_LIMIT_MINOR = env_int(
    "CLAIMS_AGENT_DEFAULT_LIMIT_MINOR", CLAIMS_FOUR_EYES_ABOVE_MINOR
)

# Four-eyes (approvals app, docs/operations.md "Four-eyes"): per action kind, the amount in minor
# units ABOVE which the action waits for a second person. Kinds without an amount (an unfreeze, a
# rule change, a partner key with money scopes) wait whenever their value is set; None turns
# four-eyes off for that kind. `deposits.adjustment_daily` is the cumulative limit of adjustments
# one maker carries out alone in a day (Asia/Shanghai), so many small ones cannot add up past it.
# Each is overridden by FOUR_EYES_<KEY>_ABOVE_MINOR (key upper-cased, dots as underscores), e.g.
# FOUR_EYES_DEPOSITS_FORFEIT_ABOVE_MINOR=500000, or "off".
_FOUR_EYES_DEFAULTS: dict[str, int | None] = {
    "deposits.adjustment": DEPOSIT_ADJUSTMENT_APPROVAL_THRESHOLD_MINOR,
    "deposits.adjustment_daily": 5 * DEPOSIT_ADJUSTMENT_APPROVAL_THRESHOLD_MINOR,
    "deposits.forfeit": 1_000_000,
    "deposits.requirement_override": 1_000_000,  # how far an override lowers the requirement
    "deposits.requirement_rule": 0,
    "shops.unfreeze": 0,
    "claims.decision": CLAIMS_FOUR_EYES_ABOVE_MINOR,
    "claims.compensation_rule": 0,
    "partners.money_key": 0,
}


def _four_eyes_threshold(key: str, default: int | None) -> int | None:
    name = "FOUR_EYES_" + key.upper().replace(".", "_") + "_ABOVE_MINOR"
    raw = env_str(name, "").strip().lower()
    if raw in {"off", "none"}:
        return None
    return env_int(name, 0) if raw else default


FOUR_EYES_THRESHOLDS_MINOR = {k: _four_eyes_threshold(k, v) for k, v in _FOUR_EYES_DEFAULTS.items()}

# Partner key rotation (partners.services.keys.api_key_rotate): the old key keeps working for
# the overlap (default 24 h; a rotation may ask for 0 up to the maximum), then gets 401.
PARTNER_KEY_ROTATION_MAX_OVERLAP_HOURS = env_int(
    "PARTNER_KEY_ROTATION_MAX_OVERLAP_HOURS", 7 * 24, minimum=1
)
PARTNER_KEY_ROTATION_OVERLAP_HOURS = min(
    env_int("PARTNER_KEY_ROTATION_OVERLAP_HOURS", 24), PARTNER_KEY_ROTATION_MAX_OVERLAP_HOURS
)

# Claim evidence files: private, outside STATIC_ROOT and every URL the site serves; they go out
# only through the authorised views (claims.views_evidence, the API, the admin) as attachments.
CLAIMS_EVIDENCE_DIR = Path(env_str("CLAIMS_EVIDENCE_DIR", str(VAR_DIR / "evidence")))

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_choice(
    "DJANGO_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
)
LOG_JSON = env_bool("DJANGO_LOG_JSON", not DEBUG)
from common.logging import logging_config  # noqa: E402  (needs LOG_* above)

LOGGING = logging_config(level=LOG_LEVEL, json=LOG_JSON)
