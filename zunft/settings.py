"""Zunft settings: everything comes from the environment (see .env.example).

With no configuration at all the project runs on its embedded default: a private PostgreSQL +
PostGIS cluster and a private redis-server under ``.var/``, both on unix sockets (``make run``).
"""

from pathlib import Path
from urllib.parse import quote

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from zunft.env import envbool, envdecimal, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("ZUNFT_VAR_DIR", str(BASE_DIR / ".var")))
RUN_DIR = VAR_DIR / "run"

DEBUG = envbool("DEBUG", True)
SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "channels",
    "ninja",  # serves its API docs from local static files, not a CDN
    "csp",
    "axes",
    "zunft.core.vendor_apps.AuditLog",  # auditlog, named for the admin
    "django_otp",
    "zunft.core.vendor_apps.TotpOtp",  # django_otp's TOTP plugin, named for the admin
    "zunft.core.vendor_apps.StaticOtp",  # one-time backup codes for a lost phone
    "zunft.core",
    "trades",
    "customers",
    "jobs",
    "scheduling",
    "invoicing",
    "zunft.demo",
]

MIDDLEWARE = [
    "zunft.core.middleware.RequestIdMiddleware",
    "zunft.core.middleware.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zunft.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Office staff and workshop admins see customers' data: a second factor first.
    "zunft.core.twofactor.TwoFactorMiddleware",
    "customers.privacy.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # last, as django-axes requires: locks out repeated failed logins
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # logs nobody in: the admin's permissions that come with a role
    "zunft.core.permissions.RoleBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Audit log of changes to sensitive records (reads are logged by customers.privacy).
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    "customers.Customer",
    "customers.Site",
    {"model": "trades.Workshop", "mask_fields": ["iban", "bic"], "m2m_fields": ["admins"]},
    {"model": "invoicing.Invoice", "include_fields": ["state", "paid_on"]},
    {"model": "core.User", "include_fields": ["role", "is_active", "is_staff", "is_superuser"]},
    # Hours and material are what members are paid for: who corrected or deleted what, and when.
    {"model": "jobs.TimeEntry", "include_fields": ["worker", "start", "end", "hours", "note"]},
    {"model": "jobs.MaterialEntry", "include_fields": ["text", "quantity", "unit", "unit_price"]},
)
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "Zunft")

ROOT_URLCONF = "zunft.urls"
ASGI_APPLICATION = "zunft.asgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "admin:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zunft" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database: DATABASE_URL, else the private cluster's unix socket under .var/run ---------------
DATABASE_URL = envstr("DATABASE_URL") or (
    f"postgis://zunft@{quote(str(RUN_DIR), safe='')}/{envstr('DATABASE_NAME', 'zunft')}"
)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 0))
}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis: channel layer, Celery broker and results, cache -------------------------------------
REDIS_URL = envstr("REDIS_URL") or f"unix://{RUN_DIR / 'redis.sock'}?db=0"


def celery_url(redis_url: str) -> str:
    """Kombu spells a unix-socket Redis as ``redis+socket://PATH?virtual_host=DB``."""
    if not redis_url.startswith("unix://"):
        return redis_url
    path, _sep, query = redis_url.removeprefix("unix://").partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    return f"redis+socket://{path}?virtual_host={params.get('db', '0')}"


CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # Without socket_timeout=None idle sockets die after ~5 s with redis-py 8; the default
            # capacity of 100 silently drops group messages beyond it.
            "hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 1000}],
            "capacity": envint("CHANNEL_CAPACITY", 2000),
            "expiry": 60,
        },
    }
}

CELERY_BROKER_URL = celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_url(REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_QUEUE", "zunft")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Berlin"
# A task of a killed worker is delivered again after this many seconds; it must exceed the
# longest task (a re-plan runs PLANNER_TIME_LIMIT seconds) plus any countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 300),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "expire-dispatch-offers": {"task": "scheduling.expire_offers", "schedule": 60.0},
    "detect-overruns": {
        "task": "scheduling.detect_overruns",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    # Events whose live publish failed (Redis away) go out once it is back.
    "core-republish-events": {
        "task": "core.republish_events",
        "schedule": 10.0,
        "options": {"expires": 10},
    },
    "invoicing-dunning": {"task": "invoicing.dunning", "schedule": crontab(hour=7, minute=0)},
}

# --- i18n: German first, English available -------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["zunft.formats"]  # English dates day first, as read in Germany
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- static and media files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "zunft" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Tests and a fresh checkout may render pages before collectstatic has written a manifest.
WHITENOISE_MANIFEST_STRICT = False
WHITENOISE_USE_FINDERS = DEBUG

# --- Content-Security-Policy: no inline script, no foreign origin (map tiles excepted) -----
MAP_TILE_URL = envstr("MAP_TILE_URL", "")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"]
        + ([MAP_TILE_URL.split("/{")[0]] if MAP_TILE_URL else []),
        "connect-src": ["'self'", "ws:", "wss:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
    }
}

# --- security: secure by default once DEBUG is off ----------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
CSRF_FAILURE_VIEW = "zunft.core.views.csrf_failure"  # the site's layout and the way back
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 14 * 24 * 3600)
SESSION_COOKIE_HTTPONLY = True

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Zunft <noreply@zunft.local>")

# The planner: how far ahead it plans, how long CP-SAT may search, with how many workers (on 2
# cores, 8 portfolio workers beat 2), when the working day starts, how long re-plan requests
# are collected before one re-plan runs.
PLANNER_HORIZON_DAYS = envint("PLANNER_HORIZON_DAYS", 120)
PLANNER_TIME_LIMIT = envint("PLANNER_TIME_LIMIT", 20)
PLANNER_WORKERS = envint("PLANNER_WORKERS", 8)
PLANNER_DAY_START_HOUR = envint("PLANNER_DAY_START_HOUR", 7)
PLANNER_DEBOUNCE_SECONDS = envint("PLANNER_DEBOUNCE_SECONDS", 10)
# Hours a workshop has to answer a dispatch offer; shorter for urgent work.
DISPATCH_OFFER_HOURS = envint("DISPATCH_OFFER_HOURS", 24)
DISPATCH_URGENT_HOURS = envint("DISPATCH_URGENT_HOURS", 2)
# Minutes a tradesperson has to answer an urgent (Notdienst) offer.
EMERGENCY_OFFER_MINUTES = envint("EMERGENCY_OFFER_MINUTES", 15)

# Passwordless login for homeowners.
LOGIN_CODE_MINUTES = envint("LOGIN_CODE_MINUTES", 20)

# Quotes: how long an offer holds, the travel rate charged per km, the VAT rate on work.
QUOTE_VALID_DAYS = envint("QUOTE_VALID_DAYS", 30)
TRAVEL_RATE_PER_KM = envdecimal("TRAVEL_RATE_PER_KM", "0.60")
VAT_RATE = envdecimal("VAT_RATE", "0.19")

# Invoicing: number prefix, payment term, the name in the seller contact (XRechnung needs one),
# the TrueType fonts embedded in PDFs (Debian's fonts-dejavu-core).
INVOICING_NUMBER_PREFIX = envstr("INVOICING_NUMBER_PREFIX", "RE")
INVOICING_PAYMENT_DAYS = envint("INVOICING_PAYMENT_DAYS", 14)
INVOICING_CONTACT_NAME = envstr("INVOICING_CONTACT_NAME", "Buchhaltung")
INVOICING_FONT_DIR = envstr("INVOICING_FONT_DIR", "/usr/share/fonts/truetype/dejavu")
INVOICING_CREDIT_NOTE_PREFIX = envstr("INVOICING_CREDIT_NOTE_PREFIX", "GS")
# The cooperative acts as general contractor: members' construction services to it fall under
# §13b UStG unless switched off.
INVOICING_SETTLEMENT_REVERSE_CHARGE = envbool("INVOICING_SETTLEMENT_REVERSE_CHARGE", True)
# Basiszinssatz (§247 BGB), published by the Bundesbank on 1 January and 1 July: the office enters
# each on the dunning page (invoicing.BaseRate); this one counts only before the first entered.
INVOICING_BASE_RATE = envdecimal("INVOICING_BASE_RATE", "1.27")
INVOICING_REMINDER_DAYS = envint("INVOICING_REMINDER_DAYS", 7)
INVOICING_DUNNING_INTERVAL_DAYS = envint("INVOICING_DUNNING_INTERVAL_DAYS", 14)
INVOICING_DUNNING_PAY_DAYS = envint("INVOICING_DUNNING_PAY_DAYS", 10)
INVOICING_DUNNING_FEE = envdecimal("INVOICING_DUNNING_FEE", "5.00")
INVOICING_DUNNING_B2B_FLAT = envdecimal("INVOICING_DUNNING_B2B_FLAT", "40.00")
INVOICING_DATEV = {
    "consultant": envint("DATEV_CONSULTANT", 1001),
    "client": envint("DATEV_CLIENT", 1),
    "chart": envstr("DATEV_CHART", "SKR03"),
    "account_length": 4,
    "fiscal_year_start_month": 1,
    "locked": False,
    "accounts": {},
}

# Geocoding of sites: "postcode" (offline table, `manage.py import_postcodes`), "nominatim", or a
# dotted path to a geocoder class. Online lookups fall back to the postcode table.
GEOCODER = envstr("GEOCODER", "postcode")
GEOCODER_URL = envstr("GEOCODER_URL", "https://nominatim.openstreetmap.org/search")
GEOCODER_USER_AGENT = envstr("GEOCODER_USER_AGENT", "zunft-geocoder/1.0")
GEOCODER_TIMEOUT = envint("GEOCODER_TIMEOUT", 5)

# GDAL 3.6 (Debian 12) is older than Django 5.2 officially supports; it works for our use.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- logging: one JSON object per line, carrying the request id ---------------------------------
LOG_LEVEL = envstr("LOG_LEVEL", "INFO")
LOG_FORMAT = envstr("LOG_FORMAT", "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "zunft.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Workers refresh a heartbeat in Redis every HEALTH_WORKER_BEAT_SECONDS; /healthz counts a worker
# as gone once its heartbeat is older than HEALTH_WORKER_TTL_SECONDS (at once when it stops).
HEALTH_WORKER_BEAT_SECONDS = envint("HEALTH_WORKER_BEAT_SECONDS", 2)
HEALTH_WORKER_TTL_SECONDS = envint("HEALTH_WORKER_TTL_SECONDS", 10)
if not 0 < HEALTH_WORKER_BEAT_SECONDS < HEALTH_WORKER_TTL_SECONDS:
    raise ImproperlyConfigured(
        "HEALTH_WORKER_BEAT_SECONDS must be positive and shorter than HEALTH_WORKER_TTL_SECONDS"
    )
