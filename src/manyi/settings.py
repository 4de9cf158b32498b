"""Manyi settings, driven entirely by the environment.

Nothing here exists only in production: the demo, the tests and a team's
server read the same variables.

MANYI_DATA_DIR        where the SQLite database and uploads live (default ~/.manyi)
MANYI_DATABASE_URL    sqlite:///path or postgres://user:pass@host:port/db
MANYI_SECRET_KEY      required when MANYI_DEBUG is off and not running tests
MANYI_DEBUG           1 to turn on Django's debug pages
MANYI_ALLOWED_HOSTS   comma separated, default localhost,127.0.0.1
MANYI_TIME_ZONE       default Asia/Shanghai
MANYI_NIGHTLY_AT      local time the worker queues the nightly analytics refresh, default 02:30
MANYI_IMPORT_STALE_SECONDS  a running import silent this long was interrupted and may be resumed, default 120
MANYI_COMPLAINT_MAILBOX     imap://user:password@host:port/INBOX (or imaps://): inbound mail there becomes complaints
MANYI_COMPLAINT_MAIL_OWNER  username who owns customers first met through that mailbox (default: the first administrator)
MANYI_SLA_SWEEP_SECONDS     how often a worker checks the SLA clocks, default 60
MANYI_SMTP_URL              smtp://user:password@host:port (smtps:// for TLS): notifications are also e-mailed when set
MANYI_MAIL_FROM             the From address of those e-mails, default manyi@localhost
MANYI_PUBLIC_URL            the address customers reach Manyi at, for links in mail sent without a request (survey links), default http://127.0.0.1:8000
MANYI_TASKS                 db (default): background work queued in the database, run by `manyi worker`;
                            rq: queued in Redis, run by `manyi rqworker --with-scheduler` (as many as you like)
MANYI_REDIS_URL             redis://host:port/db of the rq queues, default redis://127.0.0.1:6379/0
MANYI_SMS_URL               the SMS provider's send endpoint (generic HTTP API: POST JSON {to, text, ref, sign})
MANYI_SMS_TOKEN             bearer token sent to that provider; its webhooks must send it too
MANYI_CAMPAIGN_SWEEP_SECONDS  how often a worker re-queues campaigns whose sending stalled, default 300
MANYI_SMS_SIGN              the sender signature marketing SMS carry as 【...】, e.g. 满意科技
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("MANYI_DATA_DIR") or Path.home() / ".manyi").expanduser()
DEBUG = _env_bool("MANYI_DEBUG")
SECRET_KEY = os.environ.get("MANYI_SECRET_KEY", "")
if not SECRET_KEY:
    key_file = DATA_DIR / "secret_key"
    try:
        SECRET_KEY = key_file.read_text().strip()
    except OSError:
        # A per-installation key is created on first start and kept in the data dir.
        from django.core.management.utils import get_random_secret_key

        SECRET_KEY = get_random_secret_key()
        try:
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(SECRET_KEY)
            key_file.chmod(0o600)
        except OSError:
            pass

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("MANYI_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("MANYI_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "manyi.core",
    "manyi.accounts",
    "manyi.customers",
    "manyi.interactions",
    "manyi.analytics",
    "manyi.transfer",
    "manyi.service",
    "manyi.sales",
    "manyi.care",
    "manyi.satisfaction",
    "manyi.loyalty",
    "manyi.campaigns",
    "manyi.web",
    "manyi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "manyi.web.middleware.chinese_first",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "manyi.api.middleware.json_api_errors",
]

ROOT_URLCONF = "manyi.urls"
WSGI_APPLICATION = "manyi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "manyi.web.context_service.unread_notifications",
            ],
        },
    }
]

_default_db_url = f"sqlite:///{DATA_DIR / 'manyi.sqlite3'}"
DATABASE_URL = os.environ.get("MANYI_DATABASE_URL") or _default_db_url
# Connections are kept between requests on both databases: opening SQLite
# anew each request also throws away its page cache (measured in bench/).
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer commits; IMMEDIATE avoids
        # "database is locked" upgrades from read to write transactions.
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=10000;"
            "PRAGMA cache_size=-65536;"
            "PRAGMA mmap_size=2147418112;"
            "PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("MANYI_TEST_SQLITE_NAME") or None}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Manyi's reads are short and index-driven. PostgreSQL misjudges how many
    # rows a walk of the list's order must read for a common search (it
    # cannot estimate "name contains"), plans parallel workers for it, and
    # their start-up alone took 10 of the 16 ms such a walk cost.
    # The statements Manyi prepares (core.queries.execute) are those whose
    # best plan is the same for every value: planned once, generically.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", "-c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_generic_plan"
    )
# Hot reads of fixed shape are prepared once per PostgreSQL connection. A
# connection pooler in transaction mode (PgBouncer's default) hands each
# transaction another server connection: turn this off behind one.
MANYI_PREPARED_STATEMENTS = _env_bool("MANYI_PREPARED_STATEMENTS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["manyi.accounts.backends.TeamAwareBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("MANYI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Assets are served straight from the package by WhiteNoise's finders: no
# collectstatic step to forget. MANYI_STATIC_ROOT is for a front proxy that
# serves collected files itself.
STATIC_ROOT = os.environ.get("MANYI_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_ENGINE = "manyi.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = _env_bool("MANYI_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

MANYI_PAGE_SIZE = 25
# Lists count up to this many rows and then say "more than" (searches stop sooner).
MANYI_COUNT_CAP = 10_000
MANYI_API_MAX_PAGE_SIZE = 200

# Background work: Django's tasks API, stored in the database (no broker);
# `manyi worker` runs them. MANYI_TASKS=rq puts them in Redis instead, for
# RQ workers on as many machines as needed (`manyi rqworker --with-scheduler`;
# the scheduler runs tasks queued for later, such as a throttled campaign's next window).
MANYI_TASKS = os.environ.get("MANYI_TASKS", "db").strip().lower()
MANYI_REDIS_URL = os.environ.get("MANYI_REDIS_URL", "redis://127.0.0.1:6379/0")
if MANYI_TASKS == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": MANYI_REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
elif MANYI_TASKS == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"MANYI_TASKS must be db or rq, not {MANYI_TASKS!r}")
MANYI_NIGHTLY_AT = os.environ.get("MANYI_NIGHTLY_AT", "02:30")
MANYI_IMPORT_STALE_SECONDS = float(os.environ.get("MANYI_IMPORT_STALE_SECONDS", "120"))

# Complaints: attachments live outside the static files and are served only
# to those who may see the complaint.
MANYI_ATTACHMENT_DIR = DATA_DIR / "attachments"
MANYI_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
MANYI_ATTACHMENT_MAX_FILES = 5
MANYI_COMPLAINT_MAILBOX = os.environ.get("MANYI_COMPLAINT_MAILBOX", "")
MANYI_COMPLAINT_MAIL_OWNER = os.environ.get("MANYI_COMPLAINT_MAIL_OWNER", "")
MANYI_SLA_SWEEP_SECONDS = float(os.environ.get("MANYI_SLA_SWEEP_SECONDS", "60"))
# The public complaint form: posts per client address per 10 minutes, per link per hour.
MANYI_FORM_LIMIT_CLIENT = 5
MANYI_FORM_LIMIT_LINK = 30

MANYI_SMTP_URL = os.environ.get("MANYI_SMTP_URL", "")
MANYI_MAIL_FROM = os.environ.get("MANYI_MAIL_FROM", "manyi@localhost")
# The address customers reach Manyi at: the base of links mailed by workers
# (survey links), which have no request to take it from.
MANYI_PUBLIC_URL = os.environ.get("MANYI_PUBLIC_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = MANYI_MAIL_FROM
MANYI_SMS_URL = os.environ.get("MANYI_SMS_URL", "")
# How often a worker looks for campaigns whose sending stalled (a worker died).
MANYI_CAMPAIGN_SWEEP_SECONDS = float(os.environ.get("MANYI_CAMPAIGN_SWEEP_SECONDS", "300"))
MANYI_SMS_TOKEN = os.environ.get("MANYI_SMS_TOKEN", "")
MANYI_SMS_SIGN = os.environ.get("MANYI_SMS_SIGN", "")
if MANYI_SMTP_URL:
    from urllib.parse import unquote, urlsplit

    _smtp = urlsplit(MANYI_SMTP_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp.hostname or "localhost"
    EMAIL_PORT = _smtp.port or (465 if _smtp.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_smtp.username or "")
    EMAIL_HOST_PASSWORD = unquote(_smtp.password or "")
    EMAIL_USE_SSL = _smtp.scheme == "smtps"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MANYI_LOG_LEVEL", "WARNING")},
}
