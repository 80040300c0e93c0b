"""Every setting Lantern has. Production differs from `make run` only by environment variables
(CONTRACT.md, "Configuration"); `test.py` overrides only for speed and isolation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

# Secrets and hosts: dev values only while DEBUG is on; production must name them.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "DEBUG is off: set SECRET_KEY and ALLOWED_HOSTS in the environment."
        ) from exc
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the real hosts, never '*'.")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# Proxies in front of Lantern that each append the address they saw to X-Forwarded-For (a TLS
# terminator, a load balancer): the client's address is this many entries from the right. 0: no
# proxy, the socket's address. Too high lets a client choose its address; too low makes everyone
# one address (project.proxy).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL]

INSTALLED_APPS = [
    "daphne",  # first, so runserver serves ASGI and WebSockets
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # two_factor looks for backup devices; none are issued
    "two_factor",
    "axes",
    "django_ratelimit",
    "simple_history",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here, not a CDN
    "accounts",
    "cases",
    "intake",
    "triage",
    "referrals",
    "people",
    "risk",
    "feeds",
    "portal",
    "privacy",
    "live",
    "chat",
    "helpline",
    "dashboards",
    "notifications",
]

# Order: Django runs each sync-only middleware with a thread hop at every async/sync boundary
# under ASGI, so the async-capable ones come first and the sync-only ones (WhiteNoise, ours) last,
# in one block: one boundary per request instead of five.
MIDDLEWARE = [
    "project.proxy.TrustedProxyMiddleware",  # first: REMOTE_ADDR is the client's from here on
    "project.faults.DatabaseUnavailableMiddleware",  # 503 + Retry-After, not a 500, when down
    "django.middleware.security.SecurityMiddleware",
    "project.middleware.WebhookPath",  # Twilio's webhooks leave here by a short road
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files before any session work
    "project.middleware.NoStoreMiddleware",  # every answer but static files: never cached
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.StaffOnlyMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

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
                "accounts.context_processors.navigation",
                "feeds.context_processors.navigation",
                "notifications.context_processors.alerts",
            ],
        },
    },
]

# Databases, channel layer and cache: one process or several nodes (project/settings/nodes.py).
from project.settings.nodes import *  # noqa: E402, F403
from project.settings.nodes import REDIS_URL  # noqa: E402  (named: Celery and rate limits read it)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out attempts before any check
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "two_factor:login"
PASSWORD_RESET_TIMEOUT = 3600  # reset links live one hour, not Django's three days
# Password-reset requests per address and per account (the email asked about), e.g. "10/h"; more
# are answered 429 alike for known and unknown emails (accounts.password_reset).
PASSWORD_RESET_ADDRESS_RATE = env.str("PASSWORD_RESET_ADDRESS_RATE", default="10/h")
PASSWORD_RESET_ACCOUNT_RATE = env.str("PASSWORD_RESET_ACCOUNT_RATE", default="3/h")

# Sessions: database-backed so a Redis outage logs nobody out; an absolute limit of 12 hours and
# an idle limit enforced by accounts.middleware.SessionLimitsMiddleware.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_COOKIE_HTTPONLY = True
# The cookie ends with the browser (a shared computer keeps no staff session); the server-side
# limits above still end a session that is left open.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_AGE = None  # a browser-session cookie: no year-long trace on a shared device
CSRF_COOKIE_HTTPONLY = True

# Lock-out: by username and address together, so one office behind a NAT is never locked out by a
# single attacker guessing one name; unlocks itself after the cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# ...and a cap on one username's failures from all addresses together, so guessing spread over
# many addresses is stopped too; an admin can lift it at once (Staff, "Unlock sign-in").
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=20)
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_username"
AXES_PASSWORD_FORM_FIELD = "auth-password"  # noqa: S105 - a field name; axes masks its value
AXES_SENSITIVE_PARAMETERS = ["auth-password", "token-otp_token", "csrfmiddlewaretoken"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The address is REMOTE_ADDR as project.proxy set it from TRUSTED_PROXY_COUNT; axes never reads
# X-Forwarded-For itself (its leftmost entry is whatever the client wrote).
AXES_CLIENT_IP_CALLABLE = "project.proxy.client_ip"
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False

# OTP
OTP_TOTP_ISSUER = "Lantern"
OTP_TOTP_THROTTLE_FACTOR = 1
TWO_FACTOR_REMEMBER_COOKIE_AGE = None

# API tokens stop working this many days after they were issued (manage.py issue_token).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# Old versions of a row are shown in the admin, never written back over it (accounts.admin_history).
SIMPLE_HISTORY_REVERT_DISABLED = True
# Why a change was made is the staff member's own words (a merge, a changed detail): kept whole,
# not cut at simple-history's 100 characters (PostgreSQL refused longer ones; SQLite never checks).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Security headers (check --deploy is clean when DEBUG is off)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Field encryption: a data key of its own (not SECRET_KEY), a list so keys can be rotated: the first
# encrypts, all decrypt. The blind-index key makes exact look-ups (phone, name) possible without
# storing plaintext.
if DEBUG:
    FIELD_ENCRYPTION_KEYS = env.list(
        "FIELD_ENCRYPTION_KEYS", default=["ZGV2LW9ubHktZmllbGQta2V5LWRvLW5vdC11c2UtISE="]
    )
    BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="dev-only-blind-index-key")
else:
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
    BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email: with DEBUG off only a real SMTP server; a console, file or in-memory backend would write
# password-reset links and staff alerts into the logs or onto disk, or drop them.
if DEBUG:
    EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
else:
    try:
        EMAIL_CONFIG = env.email_url("EMAIL_URL")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured("DEBUG is off: set EMAIL_URL (smtp://...).") from exc
    if EMAIL_CONFIG["EMAIL_BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
        raise ImproperlyConfigured("DEBUG is off: EMAIL_URL must be an SMTP server (smtp://...).")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Lantern <no-reply@lantern.invalid>")

# Twilio
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
# Where the REST client sends: Twilio's own API unless set (tests point it at a loopback stand-in).
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")

# Channels
ASGI_APPLICATION = "project.asgi.application"

# Celery
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_IGNORE_RESULT = True
# Feed imports have a queue and worker of their own (bin: `celery worker -Q feeds`), so a big file
# never delays an alert or a message to a victim (seed 000: "does not affect case work").
CELERY_TASK_ROUTES = {
    "feeds.tasks.run_import": {"queue": "feeds"},
    "feeds.tasks.pull_source": {"queue": "feeds"},
}

# Lantern
CASE_NUMBER_PREFIX = env.str("CASE_NUMBER_PREFIX", default="LNT")

# Casework
# Minutes a new report may wait unclaimed, by priority, e.g. "high=5,medium=15,standard=60" (the
# default). Like REFERRAL_ACCEPT_HOURS, only the first values: on migrate they seed the deadlines
# admins edit (cases.models.PriorityTarget, read through cases.targets), which are used from then on.
QUEUE_SLA_MINUTES = env.dict("QUEUE_SLA_MINUTES", cast={"value": int}, default={})
# Hours a receiving organisation has to accept or decline a referral, by the case's priority; past
# it the referrer's supervisors are told and the queue shows it. e.g. "high=4,medium=24,standard=72"
REFERRAL_ACCEPT_HOURS = {
    "high": 4,
    "medium": 24,
    "standard": 72,
    **env.dict("REFERRAL_ACCEPT_HOURS", cast={"value": int}, default={}),
}
# Closed cases become archived (read-only to everyone) this many days after closing.
ARCHIVE_AFTER_DAYS = env.int("ARCHIVE_AFTER_DAYS", default=90)
# A victim's message on an open case sets its holder a follow-up to reply, due this soon.
VICTIM_REPLY_DUE_MINUTES = env.int("VICTIM_REPLY_DUE_MINUTES", default=60)
# Case files (PDF) one person may print, e.g. "30/h"; more is refused with 429 for a while.
CASE_PRINT_RATE = env.str("CASE_PRINT_RATE", default="30/h")

# Reports and exports
# Counts from 1 to this minus one are shown as "<N" in every export and in shareable reports: in a
# small district a count of 1 or 2 can single out a victim.
SMALL_NUMBER_THRESHOLD = env.int("SMALL_NUMBER_THRESHOLD", default=5)
# A case list longer than this is built by Celery and offered for download when ready.
EXPORT_ASYNC_ROWS = env.int("EXPORT_ASYNC_ROWS", default=5000)
# Exports one person may have being built at once; one more is refused with 429.
EXPORT_MAX_RUNNING = env.int("EXPORT_MAX_RUNNING", default=2)
# How long a finished export stays downloadable.
EXPORT_KEEP_HOURS = env.int("EXPORT_KEEP_HOURS", default=24)

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api_auth.IsVerifiedStaff"],
    # JSON with a size and depth limit (IN-06): too big or too deep is a 400, never a 500
    "DEFAULT_PARSER_CLASSES": [
        "project.json_parser.LimitedJSONParser",
        "project.json_parser.NoNulFormParser",
        "project.json_parser.NoNulMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "project.schema.LanternAutoSchema",
    "EXCEPTION_HANDLER": "cases.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"user": "600/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lantern API",
    "DESCRIPTION": "Cases, referrals and reports for victim-support helplines.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components: no read-only fields, and blank strings marked where
    # the serializer refuses them, so the schema and the validation agree (issue 11, item 14).
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PriorityEnum": "cases.models.Case.Priority",
        "ChannelEnum": "cases.models.Case.Channel",
        # the channels staff open a case from (POST /api/v1/cases/), a part of ChannelEnum
        "StaffChannelEnum": "cases.manual_payloads.STAFF_CHANNEL_VALUES",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Logging: structured, with no client addresses and no request bodies (victim data never in logs).
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
DJANGO_STRUCTLOG_CELERY_ENABLED = True
LOG_JSON = env.bool("LOG_JSON", default=not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {"()": "project.logging.formatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Ours only: Django's default handlers print raw lines with request paths while DEBUG is
        # on and would mail tracebacks with request data to ADMINS when it is off.
        "django": {
            "handlers": ["console"],
            "level": env.str("LOG_LEVEL", default="INFO"),
            "propagate": False,
        },
        "django.request": {"level": "ERROR"},
        # axes' own warnings name the username and address tried: lock-outs are logged by
        # accounts.lockout instead, with the account's id only
        "axes": {"level": "ERROR"},
        "weasyprint.progress": {"level": "WARNING"},  # seven INFO lines for every PDF
    },
}

# Phones: stored and compared in E.164; numbers typed without a country code are read as this region.
PHONENUMBER_DEFAULT_REGION = env.str("PHONE_REGION", default="GB")

# Forms render with the project's accessible Bootstrap markup (templates/forms/).
FORM_RENDERER = "project.forms.LanternFormRenderer"

# Static files: WhiteNoise serves them under daphne; in development straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Intake
# Which helpline a report belongs to: the one whose phone_number Twilio's `To` names, else this one
# (also the web form's). Empty: the only active helpline.
INTAKE_DEFAULT_HELPLINE = env.str("INTAKE_DEFAULT_HELPLINE", default="")
INTAKE_MAX_BODY_BYTES = 64 * 1024
# Reply to an inbound SMS. Empty by default: a reply can be read by whoever holds a shared phone.
SMS_ACK_TEXT = env.str("SMS_ACK_TEXT", default="")
VOICE_GREETING = env.str(
    "VOICE_GREETING",
    default="Thank you for calling. After the tone, please tell us what happened and how we can "
    "safely reach you. Hang up when you are done.",
)
VOICE_LANGUAGE = env.str("VOICE_LANGUAGE", default="en-GB")
VOICE_MAX_RECORDING_SECONDS = env.int("VOICE_MAX_RECORDING_SECONDS", default=300)
# Recordings are fetched (with the account's credentials) only from these hosts: never from a URL
# a request merely names.
TWILIO_MEDIA_HOSTS = env.list("TWILIO_MEDIA_HOSTS", default=["api.twilio.com"])
# Public form: submissions per address per hour before extra ones are quietly not stored.
INTAKE_FORM_RATE = env.str("INTAKE_FORM_RATE", default="10/h")
# The rate limit fails open: an intake path never refuses a real report because Redis is down.
RATELIMIT_FAIL_OPEN = True
if not REDIS_URL:
    # django-ratelimit wants a shared cache; embedded runs are one process, where locmem is shared.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# Outbox: a Celery publish never holds a request for long; rows it could not queue are picked up
# by the sweeper once the broker is back.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# A worker started while Redis is down waits for it instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task whose worker vanished is handed out again after this long: longer than any task may
    # run (CELERY_TASK_TIME_LIMIT), or a running one would be started twice. Tests shorten it.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    "socket_connect_timeout": 1,
    # A publish to a hung Redis holds the request that caused it this long, once: after that the
    # outbox waits for the sweeper (notifications.realtime.sends_paused). Replies take under 1 ms.
    "socket_timeout": 1,
    "max_retries": 0,
}
# Periodic jobs are rows admins can edit (django-celery-beat), seeded from project/schedules.py after
# every migrate. No CELERY_BEAT_SCHEDULE: beat would write it over the rows at every start.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE  # crontab hours are local time, summer time included
# No result backend, so nothing for beat's built-in nightly celery.backend_cleanup job to clean up;
# without this beat would put that job back into the table at every start.
CELERY_RESULT_EXPIRES = None
OUTBOX_SWEEP_AFTER_SECONDS = env.int("OUTBOX_SWEEP_AFTER_SECONDS", default=60)
# Sends that failed for a reason that may pass (provider down, timeout) are tried this many times,
# waiting OUTBOX_RETRY_SECONDS, then twice as long each time.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=5)
OUTBOX_RETRY_SECONDS = env.int("OUTBOX_RETRY_SECONDS", default=30)
# A send whose outcome is unknown (the worker died while the provider had it) is never repeated
# by itself: after this long without a delivery report it is marked failed for staff to check.
OUTBOX_UNKNOWN_AFTER_SECONDS = env.int("OUTBOX_UNKNOWN_AFTER_SECONDS", default=600)
# "Only if I contact you first": a reply by text is allowed this long after their last message.
SAFE_CONTACT_REPLY_HOURS = env.int("SAFE_CONTACT_REPLY_HOURS", default=24)

from project.settings.feeds import *  # noqa: E402, F403  (the feeds app's settings)
from project.settings.live import *  # noqa: E402, F403  (live calls, chat, WhatsApp, states)
from project.settings.portal import *  # noqa: E402, F403  (the victim portal's settings)
from project.settings.privacy import *  # noqa: E402, F403  (data protection's settings)

STORAGES["protected"] = PROTECTED_STORAGE  # noqa: F405
