"""Settings for ELViS, read from the environment (see `.env.example`).

Nothing here needs editing per deployment: every knob is an environment variable parsed by
django-environ. Defaults give the *embedded* mode (SQLite file and a filesystem Celery broker
under the git-ignored ``var/`` folder); ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL
and Redis. With ``DEBUG`` off the defaults are production-safe and ``SECRET_KEY`` is required.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from elvis import csp as elvis_csp
from elvis import observability

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG: bool = env.bool("DEBUG", default=False)

# Runtime data (SQLite file, broker folders, e-mails, uploads) lives in one ignored folder.
DATA_DIR = Path(env.str("ELVIS_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

_DEV_SECRET = "django-insecure-elvis-development-key-never-use-in-production"
SECRET_KEY: str = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links in e-mails: unset, they point at the development server, on the port `make run` serves.
SITE_URL: str = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

INSTALLED_APPS = [
    "elvis.apps.ElvisAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_guid",
    # Country names, translated, for institutions' countries (forms, filters, the API).
    "django_countries",
    "accounts",
    "collections_app",
    "elvis.workflow",
    "notifications",
    "loans",
    "visits",
    "virtual_access",
    "webhooks",
]

# Where workflow events go (see elvis.workflow.events): in-app notifications with e-mail, and
# partners' webhooks; reminders (elvis.workflow.tasks) go to the reminder sinks.
ELVIS_EVENT_SINKS = [
    "notifications.sinks.notify_workflow_event",
    "webhooks.sinks.record_webhook_deliveries",
]
# A kind's own step events (no transition, e.g. an item processed): partners only.
ELVIS_UPDATE_SINKS = ["webhooks.sinks.record_webhook_deliveries"]
ELVIS_REMINDER_SINKS = [
    "notifications.sinks.notify_reminder",
    "webhooks.sinks.record_webhook_deliveries",
]

MIDDLEWARE = [
    # /metrics for Prometheus (bearer token), answered before anything else, like /healthz/.
    "elvis.metrics.middleware.MetricsEndpointMiddleware",
    "elvis.health.HealthCheckMiddleware",
    # Request metrics (django-prometheus): this one first, RequestMetricsMiddleware last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Request id (X-Request-ID) and client address for every log record of the request.
    "django_guid.middleware.guid_middleware",
    "elvis.logcontext.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so that every answer (the guards' below included) carries these headers.
    "elvis.middleware.ContentSecurityPolicyMiddleware",
    "elvis.middleware.PrivateCacheMiddleware",
    # Before anything reads the body: too large is a 413 (JSON under /api/), body discarded.
    "elvis.middleware.RequestBodyLimitMiddleware",
    # NUL in the path, query, form fields or cookies is a 400 (PostgreSQL text cannot hold it).
    "elvis.middleware.NulCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's preferred language (profile) wins over the cookie and the browser.
    "accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Latency per view (the URL's name) and method, as django-prometheus measures it.
    "elvis.metrics.middleware.RequestMetricsMiddleware",
    # A statement cancelled by the web's statement timeout is a 503, not a 500.
    "elvis.db_timeouts.StatementTimeoutMiddleware",
    # Last, as django-axes asks: it turns lockouts into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "elvis.urls"
WSGI_APPLICATION = "elvis.wsgi.application"

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
                "elvis.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A persistent connection the database server dropped (restart, failover, idle timeout) is
# replaced before a request uses it, instead of failing that request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serves the embedded mode; WAL and a busy timeout let the worker and the web
    # process write the same file without "database is locked" errors.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer fails the connection after this many seconds
    # rather than the operating system's TCP timeout (minutes), so that a probe or a request
    # answers instead of hanging. Statement timeouts: DB_STATEMENT_TIMEOUT_MS below.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DB_CONNECT_TIMEOUT", default=5
    )
    # Django's backend, whose health check above needs no round trip (elvis/postgresql).
    DATABASES["default"]["ENGINE"] = "elvis.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Login rate limiting (django-axes): per account and address, for the web form, the admin
# and the API token endpoint alike.
AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.axes.login_identifier"
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Client addresses (elvis.clientip): the number of trusted reverse proxies in front, for the
# lock-out above, the API throttles and the logs alike.
PROXY_COUNT: int = env.int("AXES_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "elvis.clientip.client_ip"

# Languages: the pages and e-mails are translated (locale/); English is the default. Each
# e-mail is rendered in its recipient's preferred language (accounts.User.preferred_language).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Kosovo is a user-assigned code (not ISO 3166-1) that GBIF and GRSciColl use: django-countries
# knows it only when told.
COUNTRIES_OVERRIDE = {"XK": _("Kosovo")}
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Dates read 2027-01-15 in every language, in the admin as on the site (elvis/formats/).
FORMAT_MODULE_PATH = ["elvis.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
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
# Uploads are kept outside the web root and served only through permission-checked views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
# Attachments (permits, loan agreements, images): PDF or image, at most this size.
ATTACHMENT_MAX_BYTES: int = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# import_dwca maps an unquoted archive's rows in this many processes at once (byte ranges of
# the core file): a core each, leaving the database its share; at most 4, each holds batches.
DWCA_IMPORT_MAPPERS: int = env.int("DWCA_IMPORT_MAPPERS", default=min(os.cpu_count() or 1, 4))
# The memory each search-index build of a large import sorts in (PostgreSQL's
# maintenance_work_mem). Small on purpose: a sort of millions of keys runs fastest in runs that
# stay in the CPU's caches, merged after; 256MB took half as long again (bench/README.md).
DWCA_INDEX_BUILD_MEMORY: str = env.str("DWCA_INDEX_BUILD_MEMORY", default="16MB")
# Checked here, not when an import's rebuild would fail to set it: PostgreSQL takes 1MB to 2047GB.
_size = re.fullmatch(r"([1-9]\d*)(MB|GB)", DWCA_INDEX_BUILD_MEMORY)
_megabytes = int(_size[1]) * (1024 if _size[2] == "GB" else 1) if _size else 0
if not 1 <= _megabytes <= 2047 * 1024:
    raise ImproperlyConfigured(
        "DWCA_INDEX_BUILD_MEMORY must be a size from 1MB to 2047GB, such as 16MB."
    )
# Digitisation masters: the largest upload, and the most pixels a header may declare (more is
# refused as a decompression bomb before anything is decoded).
DIGITISATION_MAX_UPLOAD_BYTES: int = env.int("DIGITISATION_MAX_UPLOAD_BYTES", default=1024**3)
DIGITISATION_MAX_PIXELS: int = env.int("DIGITISATION_MAX_PIXELS", default=400_000_000)
# Private download links of digitisation packages expire after this many days.
DIGITISATION_LINK_DAYS: int = env.int("DIGITISATION_LINK_DAYS", default=30)
# The package is built once no capture has come in for this long after the last item was
# processed: an imaging station uploading an item's second file must not find the request
# delivered already. Seconds; "Build the package" in the admin does not wait.
DIGITISATION_PACKAGE_QUIET_SECONDS: int = env.int("DIGITISATION_PACKAGE_QUIET_SECONDS", default=300)
# A pipeline claim (a capture being processed, a package being built) older than this belongs
# to a worker that died; the work is offered again. Seconds; default 30 minutes.
DIGITISATION_STALE_CLAIM_SECONDS: int = env.int("DIGITISATION_STALE_CLAIM_SECONDS", default=1800)
# Test/ops knobs, default off: pause a capture's processing (derivatives written, not yet
# renamed into place) and a package's build (zip written, not yet renamed) this many seconds,
# so that a test can kill the worker at the worst moment. Never set in production.
DIGITISATION_PROCESSING_PAUSE_SECONDS: float = env.float(
    "DIGITISATION_PROCESSING_PAUSE_SECONDS", default=0
)
DIGITISATION_PACKAGING_PAUSE_SECONDS: float = env.float(
    "DIGITISATION_PACKAGING_PAUSE_SECONDS", default=0
)

# E-mail: by default every message is written as a file a person can open under var/mail/.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="filemail://")
EMAIL_BACKEND = EMAIL_CONFIG.get(
    "EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
if EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
else:
    vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="ELViS <elvis@localhost>")
# Seconds an SMTP connection may block; a hung mail server must not hold a worker forever.
EMAIL_TIMEOUT: int = env.int("EMAIL_TIMEOUT", default=10)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Production safety: on unless DEBUG, each overridable (e.g. TLS terminated by a proxy).
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE: bool = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE: bool = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our own scripts and styles only; see elvis/csp.py.
CONTENT_SECURITY_POLICY = elvis_csp.policy(BASE_DIR)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Celery. The broker is CELERY_BROKER_URL (redis://… or amqp://… for RabbitMQ), else REDIS_URL;
# with neither, kombu's filesystem transport, so that a real worker process (started by
# `make run`) still executes every task without a broker server.
REDIS_URL: str = env.str("REDIS_URL", default="")
CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_DATA_DIR = DATA_DIR / "celery"
_broker_scheme = CELERY_BROKER_URL.split("://", 1)[0]
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
# A broker outage is not an API outage: publishing after a commit (elvis/outbox.py) tries the
# broker once, briefly, and leaves what it could not hand over to the sweepers (beat). Connect
# within CELERY_BROKER_CONNECTION_TIMEOUT, no reconnection loop (max_retries 0: the worker's
# consumer reconnects by its own loop), and Redis sockets that give up rather than hang.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
_BROKER_SOCKET_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 3}
if not CELERY_BROKER_URL:
    for sub in ("in", "processed", "results", "control"):
        (CELERY_DATA_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "in"),
        "data_folder_out": str(CELERY_DATA_DIR / "in"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
        # Folders are polled; every 0.2 s rather than every second lets a worker answer the
        # readiness probe's ping (elvis.readiness) well within its budget.
        "polling_interval": 0.2,
    }
    _default_result_backend = f"file://{CELERY_DATA_DIR / 'results'}"
elif _broker_scheme in {"redis", "rediss", "redis+socket"}:
    # An unacknowledged task (acks_late) of a worker that died is delivered again after this
    # many seconds; longer than the longest task, or a slow task would run twice. (RabbitMQ
    # needs no such option: it gives a dead worker's tasks back when its connection drops.)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("REDIS_VISIBILITY_TIMEOUT", default=3600),
        # kombu leaves Redis sockets without timeouts: a Redis that stops answering (rather
        # than refusing) would hold a publishing request for ever.
        **_BROKER_SOCKET_TIMEOUTS,
    }
    _default_result_backend = REDIS_URL or CELERY_BROKER_URL
else:
    # RabbitMQ (amqp://, amqps://; or another kombu transport): results in Redis when there is
    # one, else sent back as AMQP messages to the caller that waits for them (rpc://): ELViS
    # itself reads no task's result, so no result store is needed.
    _default_result_backend = REDIS_URL or "rpc://"
if CELERY_BROKER_URL != "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS["max_retries"] = 0
CELERY_RESULT_BACKEND: str = env.str("CELERY_RESULT_BACKEND", default="") or _default_result_backend
# A Redis result store gives up rather than hangs, too (publishing never touches it: results
# are ignored, see CELERY_TASK_IGNORE_RESULT).
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = _BROKER_SOCKET_TIMEOUTS["socket_connect_timeout"]
CELERY_REDIS_SOCKET_TIMEOUT = _BROKER_SOCKET_TIMEOUTS["socket_timeout"]
CELERY_TASK_ALWAYS_EAGER: bool = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = TIME_ZONE
# Project-wide tasks outside any app (apps' tasks.py modules are autodiscovered).
CELERY_IMPORTS = ["elvis.tasks"]
CELERY_TASK_DEFAULT_QUEUE: str = env.str("CELERY_QUEUE", default="celery")
# No task runs for ever: the soft limit raises SoftTimeLimitExceeded inside the task (handled
# like any other error: recorded, or retried), the hard one kills its process a minute later.
# Below DIGITISATION_STALE_CLAIM_SECONDS, after which the work is offered again anyway.
CELERY_TASK_SOFT_TIME_LIMIT: int = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=1500)
CELERY_TASK_TIME_LIMIT: int = env.int("CELERY_TASK_TIME_LIMIT", default=1560)
# Outbox tasks (one e-mail, one webhook attempt) are short: stopped after the soft limit,
# killed after the hard one. A claim older than the hard limit and a third (60 s) belongs to a
# task that died, and the sweepers offer its work again (see elvis/claims.py).
OUTBOX_TASK_SOFT_TIME_LIMIT: int = env.int("OUTBOX_TASK_SOFT_TIME_LIMIT", default=30)
OUTBOX_TASK_TIME_LIMIT: int = env.int("OUTBOX_TASK_TIME_LIMIT", default=45)
# Results are stored only for tasks whose result someone reads (elvis.ping, which the worker
# integration tests wait on); every other task records its outcome in the database.
CELERY_TASK_IGNORE_RESULT = True
# The worker logs through LOGGING (JSON lines, request and task ids) rather than its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict = {
    # Re-offer e-mails a broker outage left behind (see notifications.tasks).
    "sweep-outbox": {"task": "notifications.sweep_outbox", "schedule": 60.0},
    # Every registered kind's reminders (see elvis.workflow.tasks).
    "reminders": {"task": "workflow.send_reminders", "schedule": crontab(hour=6, minute=0)},
    "sweep-webhooks": {"task": "webhooks.sweep", "schedule": 30.0},
    # Re-offer captures and packages a broker outage or a killed worker left behind.
    "sweep-pipeline": {"task": "virtual_access.sweep_pipeline", "schedule": 60.0},
    "purge-webhook-deliveries": {
        "task": "webhooks.purge",
        "schedule": crontab(hour=3, minute=30),
    },
    "purge-idempotency-keys": {
        "task": "accounts.purge_idempotency_keys",
        "schedule": crontab(minute=17),
    },
}
# --- Isolation (issue 15): queues, webhook time budget, database statement timeouts -------
# Webhook deliveries have a queue of their own, so that a slow or hanging partner occupies
# only webhook workers and e-mail keeps flowing. Named after CELERY_QUEUE, so that several
# sites on one broker stay apart. A worker consumes the queues of the groups in WORKER_QUEUES
# ("default", "webhooks"; both when unset or with -Q given; see elvis.celery).
CELERY_WEBHOOK_QUEUE: str = env.str(
    "CELERY_WEBHOOK_QUEUE", default=f"{CELERY_TASK_DEFAULT_QUEUE}.webhooks"
)
CELERY_TASK_QUEUES = (
    Queue(CELERY_TASK_DEFAULT_QUEUE, routing_key=CELERY_TASK_DEFAULT_QUEUE),
    Queue(CELERY_WEBHOOK_QUEUE, routing_key=CELERY_WEBHOOK_QUEUE),
)
CELERY_TASK_ROUTES = {"webhooks.deliver": {"queue": CELERY_WEBHOOK_QUEUE}}
WORKER_QUEUES: list[str] = env.list("WORKER_QUEUES", default=["default", "webhooks"])
# One webhook attempt: seconds to connect, and the whole attempt's budget (connect, send,
# read the answer), however slowly a receiver trickles bytes.
WEBHOOK_CONNECT_TIMEOUT: float = env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.0)
WEBHOOK_TIMEOUT: float = env.float("WEBHOOK_TIMEOUT", default=10.0)
# At most this many attempts in flight per subscription: a hanging receiver holds no more of
# the webhook workers' slots; its other deliveries wait their turn, others' keep flowing.
WEBHOOK_MAX_IN_FLIGHT: int = env.int("WEBHOOK_MAX_IN_FLIGHT", default=2)
# PostgreSQL: a statement of a web request is cancelled after DB_STATEMENT_TIMEOUT_MS (the
# request answers 503), one of a task after DB_TASK_STATEMENT_TIMEOUT_MS; 0 is no limit, as
# for management commands (migrate, import_dwca), which set none. See elvis.db_timeouts.
DB_STATEMENT_TIMEOUT_MS: int = env.int("DB_STATEMENT_TIMEOUT_MS", default=10000)
DB_TASK_STATEMENT_TIMEOUT_MS: int = env.int("DB_TASK_STATEMENT_TIMEOUT_MS", default=0)
# --- end isolation ---------------------------------------------------------------------------
# Webhooks (docs/webhooks.md): https to public addresses only, unless the site opts in.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES: bool = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_ALLOW_HTTP: bool = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
# Ports webhooks may be delivered to besides 443 and 80 (checked even for private addresses).
WEBHOOK_ALLOWED_PORTS: list[int] = env.list("WEBHOOK_ALLOWED_PORTS", cast=int, default=[])
# Tokens issued by POST /api/v1/auth/token/ expire after this many days.
API_LOGIN_TOKEN_LIFETIME = timedelta(days=env.int("API_LOGIN_TOKEN_DAYS", default=30))
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: it supplies the 401 challenge (WWW-Authenticate: Token).
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # JSON only: the interactive docs live at /api/v1/docs/. (DRF's browsable API rendered
    # forms our transition and nested serializers cannot serve: 500s for logged-in browsers.)
    "DEFAULT_RENDERER_CLASSES": ["elvis.api.renderers.OrjsonRenderer"],
    # JSON bodies: a 400, never a 500, for any input (deep nesting, NUL, other charsets).
    "DEFAULT_PARSER_CLASSES": [
        "elvis.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Ordering is a validated filter inside each FilterSet (DRF's OrderingFilter ignores typos).
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "elvis.api.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "elvis.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "elvis.api.throttling.AnonymousThrottle",
        "elvis.api.throttling.ApiTokenThrottle",
        "elvis.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="600/minute"),
        "user": env.str("THROTTLE_USER", default="3000/minute"),
        "login": env.str("THROTTLE_LOGIN", default="20/minute"),
        "token": env.str("THROTTLE_TOKEN", default="3000/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ELViS API",
    "DESCRIPTION": (
        "Access to natural-history collections: the institution registry, specimen catalogue "
        "and access requests (loans, visits, digitisation)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI served from our own static files: the docs work without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Fields named "type" in several components: each choice set keeps its own name.
    "ENUM_NAME_OVERRIDES": {
        "FacilityTypeEnum": "collections_app.models.Facility.Type",
        "PermitTypeEnum": "loans.models.Permit.Type",
        # Each kind's statuses show in its list row and its detail: one enum, named once.
        "LoanStatusEnum": "loans.models.LoanStatus",
        "VisitStatusEnum": "visits.models.VisitStatus",
        "DigitisationStatusEnum": "virtual_access.models.DigitisationStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "elvis.api.schema.add_error_responses",
        "elvis.api.idempotency.document_idempotency",
        "elvis.api.pagination.document_link_header",
        "webhooks.api.schema.document_deliveries",
    ],
}

# Cache: Redis when available (shared by processes: the API throttles), else local memory.
# A cache outage is not an API outage: Redis unreachable is a miss (elvis/cache.py), found
# out within a second however Redis fails (refused, or silent).
CACHES = {
    "default": (
        {
            "BACKEND": "elvis.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Metrics (elvis.metrics): /metrics answers a scrape with `Authorization: Bearer METRICS_TOKEN`,
# and does not exist without a token. Several processes (gunicorn workers, Celery workers) each
# write their counts to their own folder PROMETHEUS_MULTIPROC_DIR (prometheus_client's variable,
# set in the process's real environment) under one shared METRICS_DIR, whose files /metrics
# merges; unset, /metrics shows its own process's metrics only.
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
METRICS_DIR: str = env.str("METRICS_DIR", default="") or os.environ.get(
    "PROMETHEUS_MULTIPROC_DIR", ""
)

# Operations: errors that reach someone and logs a machine can read (elvis/observability.py).
# ADMINS="Ada Admin <ada@example.org>, ops@example.org": 500s are mailed to them.
ADMINS = observability.parse_admins(env.str("ADMINS", default=""))
SENTRY_DSN: str = env.str("SENTRY_DSN", default="")
SENTRY_ENABLED = observability.init_sentry(
    SENTRY_DSN,
    environment=env.str("SENTRY_ENVIRONMENT", default="production"),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)
# JSON lines in production, text for a person in development.
LOG_FORMAT: str = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'text'.")
LOGGING = observability.logging_config(
    level=env.str("LOG_LEVEL", default="INFO"), json=LOG_FORMAT == "json"
)
# Request ids (django-guid): an incoming X-Request-ID is kept if it is a UUID (a proxy's or a
# partner's), otherwise one is made; either way it is returned in X-Request-ID.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
}
