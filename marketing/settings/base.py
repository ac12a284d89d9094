"""Settings shared by every environment. Everything that differs between machines comes
from environment variables; the defaults are what a newcomer on a laptop needs (SQLite,
an embedded Celery broker, e-mail written to .eml files)."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# A development-only key; production.py refuses to start without SECRET_KEY in the environment.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_scopes",
    "guardian",
    "simple_history",
    "axes",
    "marketing",
    "marketing.notifications",
    "marketing.approvals",
    "reports",
    "reports.submissions",
    "reports.meetings",
    "reports.receivables",
    "contracts",
    "expenses",
    "customers",
    "marketing.onboarding",
    "marketing.materials",
    "marketing.people",
    "marketing.workflows",
    "customers.partners",
    # Company sign-in (optional per tenant): django-allauth's social login, no sign-up.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.dingtalk",
    "allauth.socialaccount.providers.feishu",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "marketing.bounds.RefuseNulCharacters",
    # HTML pages without reflected input only (BREACH): marketing/compression.py.
    "marketing.compression.SafeGZipMiddleware",
    "marketing.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "marketing.locale_middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "marketing.tenancy.TenantMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks, so it sees the final response of a login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketing.urls"
WSGI_APPLICATION = "marketing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketing.navigation.context",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        # A pooled connection is tested before reuse: after a database restart the first
        # request reconnects instead of failing on the dead socket.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Server-side binding + prepared statements (docs/performance.md "Prepared statements"):
    # a query psycopg has seen DB_PREPARE_THRESHOLD times on a connection is planned once and
    # reused; with persistent connections (DB_CONN_MAX_AGE) that saves PostgreSQL's planning
    # on every page. Behind a transaction-pooling PgBouncer set DB_PREPARE_THRESHOLD=off.
    _prepare = os.environ.get("DB_PREPARE_THRESHOLD", "5").strip().lower()
    if _prepare not in ("", "off", "none", "0"):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": int(_prepare)}
        )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL + a busy timeout let the web process, the worker and beat share one file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "marketing.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads (xlsx imports, attachments) are capped here and again per form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- e-mail -------------------------------------------------------------------------
# Default: every message is written as a .eml file under var/mail so a newcomer can open
# what was "sent". Production sets EMAIL_BACKEND to SMTP and EMAIL_HOST etc.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "marketing.mail.EmlFileBackend")
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    # Same SMTP backend, with the bounded timeouts the exactly-once design relies on.
    EMAIL_BACKEND = "marketing.notifications.smtp.EmailBackend"
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Timeouts aligned with the exactly-once design (marketing/notifications/smtp.py and
# docs/notifications.md): every SMTP operation <= EMAIL_TIMEOUT, all of them before the end
# of the message <= EMAIL_SEND_DEADLINE, the answer to the final dot <= EMAIL_DATA_TIMEOUT.
# Their sum must stay below the send leases (15 min) and CELERY_TASK_TIME_LIMIT.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
EMAIL_SEND_DEADLINE = int(os.environ.get("EMAIL_SEND_DEADLINE", "120"))
EMAIL_DATA_TIMEOUT = int(os.environ.get("EMAIL_DATA_TIMEOUT", "300"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@branchdesk.local")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- links and chat -------------------------------------------------------------------
# The public address people open from e-mails and chat messages (no trailing slash).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Group-robot webhooks must point at the platform's own HTTPS host; hosts listed here are
# also accepted (tests and a local fake server only).
CHAT_WEBHOOK_EXTRA_HOSTS = env_list("CHAT_WEBHOOK_EXTRA_HOSTS", "")
CHAT_TIMEOUT = int(os.environ.get("CHAT_TIMEOUT", "10"))

# --- Celery -------------------------------------------------------------------------
# Default broker: kombu's filesystem transport (a folder of message files). It needs no
# server, survives restarts and is shared by the web process, the worker and beat on one
# machine -- exactly the newcomer's laptop. Production uses Redis (docker-compose.yml).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", f"file://{VAR_DIR / 'celery-results'}")
if CELERY_RESULT_BACKEND.startswith("file://"):
    Path(CELERY_RESULT_BACKEND.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Redis is also the cache in production; locally a per-process memory cache is enough.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Sessions read from the shared cache, written through to the database: no session query per
# page (docs/performance.md). Only with Redis: a per-process cache would keep serving a
# session that another process logged out. Deactivation does not depend on it: the membership
# is read live on every request (marketing/tenancy.py).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
CACHES = {
    "default": (
        {"BACKEND": "marketing.cache.RedisCache", "LOCATION": REDIS_URL}  # reuses its client: marketing/cache.py
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- third-party apps ---------------------------------------------------------------
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous users get nothing.
GUARDIAN_RAISE_403 = False
FILTERS_EMPTY_CHOICE_LABEL = _("全部")
FILTERS_NULL_CHOICE_LABEL = _("未填写")
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the socket
# address is the client). One resolver uses it for the audit log, the access log and axes.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "marketing.client_ip.client_ip"
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# django-allauth: only social login, only for existing users (marketing/notifications/signin.py
# maps the company account to a user by recorded id or mobile; it never creates one).
ACCOUNT_ADAPTER = "marketing.notifications.signin.NoSignupAccountAdapter"
SOCIALACCOUNT_ADAPTER = "marketing.notifications.signin.CompanySignInAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never attach an account to a user by e-mail alone
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in starts with a POST (CSRF-protected)
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_QUERY_EMAIL = False
ACCOUNT_EMAIL_VERIFICATION = "none"

# Key for encrypting personal details at rest (customers app). Development default only.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "dev-only-field-key-not-for-production")
# Uploaded import files (encrypted with a key derived from FIELD_ENCRYPTION_KEY) are deleted
# this many days after the upload (reports.tasks.purge_import_files, marketing/celery.py).
IMPORT_FILE_RETENTION_DAYS = int(os.environ.get("IMPORT_FILE_RETENTION_DAYS", "7"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
