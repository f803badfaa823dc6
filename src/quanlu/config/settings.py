"""Django settings for quanlu.

One table of QUANLU_* environment variables (documented in README.md), read once,
typed, with safe defaults: DEBUG is off unless asked for, and the embedded default
(SQLite + a local folder) needs no configuration at all.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from quanlu.config.env import env_bool, env_int, env_list, env_secret, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = Path(env_str("QUANLU_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("QUANLU_DEBUG", False)
SECRET_KEY = env_secret("QUANLU_SECRET_KEY", fallback_file=DATA_DIR / "secret_key")
ALLOWED_HOSTS = env_list("QUANLU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("QUANLU_CSRF_TRUSTED_ORIGINS", [])

DATABASE_URL = env_str("QUANLU_DATABASE_URL", f"sqlite:///{DATA_DIR / 'quanlu.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # Writers queue instead of failing at once; IMMEDIATE takes the write lock at
        # BEGIN so two concurrent services serialise instead of deadlocking on upgrade.
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests use a file, not shared-cache memory: concurrency tests need real locking
    # (busy timeout, WAL), which SQLite's shared cache does not give.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    # Parallel test runs (several checkouts, one server) each need their own database.
    _db["TEST"] = {"NAME": env_str("QUANLU_TEST_DB_NAME", "") or None}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "quanlu.core",
    "quanlu.org",
    "quanlu.ledger",
    "quanlu.blobs",
    "quanlu.cases",
    "quanlu.rulebooks",
    "quanlu.supervision",
    "quanlu.file_review",
    "quanlu.archive",
    "quanlu.devices",
    "quanlu.media",
    "quanlu.records",
    "quanlu.access",
    "quanlu.field",
    "quanlu.api",
    "quanlu.web",
    "quanlu.demo",
    # Serves Swagger UI (/api/v1/docs) from its own static files, not a CDN: no inline script.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "quanlu.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "quanlu.org.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "quanlu.config.urls"
WSGI_APPLICATION = "quanlu.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

AUTH_USER_MODEL = "org.Officer"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = env_str("QUANLU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app directories without a collectstatic step, so the
# embedded default runs as one process.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_SECURE = env_bool("QUANLU_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("QUANLU_SESSION_HOURS", 12, minimum=1) * 3600
X_FRAME_OPTIONS = "DENY"
# HSTS: how long browsers must use HTTPS only for this site; 0 (the default) is off.
# Turn it on only once the site is served over HTTPS for good (e.g. 31536000).
SECURE_HSTS_SECONDS = env_int("QUANLU_HSTS_SECONDS", 0, minimum=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Accounts (等保 2.0 登录失败处理): after QUANLU_LOGIN_MAX_FAILURES failed sign-ins within
# QUANLU_LOGIN_WINDOW_MINUTES the account locks for QUANLU_LOGIN_LOCK_MINUTES; API tokens
# expire QUANLU_TOKEN_DAYS after issue.
QUANLU_LOGIN_MAX_FAILURES = env_int("QUANLU_LOGIN_MAX_FAILURES", 5, minimum=1)
QUANLU_LOGIN_WINDOW_MINUTES = env_int("QUANLU_LOGIN_WINDOW_MINUTES", 15, minimum=1)
QUANLU_LOGIN_LOCK_MINUTES = env_int("QUANLU_LOGIN_LOCK_MINUTES", 30, minimum=1)
QUANLU_TOKEN_DAYS = env_int("QUANLU_TOKEN_DAYS", 90, minimum=1)

# Request bodies: forms are small; large media goes through the streaming upload API.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Content-addressed blob storage (documents, media, packages).
QUANLU_STORAGE = env_str("QUANLU_STORAGE", "local")
QUANLU_BLOB_DIR = Path(env_str("QUANLU_BLOB_DIR", str(DATA_DIR / "blobs"))).resolve()
# Digests computed in the same pass as SHA-256: 国密 SM3 (via OpenSSL), and SHA-512 for the
# archive packages' second manifest, so exports never re-read the bytes. Empty to disable.
QUANLU_EXTRA_DIGESTS = env_list("QUANLU_EXTRA_DIGESTS", ["sm3", "sha512"])
# QUANLU_STORAGE=s3: an S3-compatible object store with Object Lock (quanlu.blobs.s3). Incoming
# bytes are still staged (and hashed) under QUANLU_BLOB_DIR. The bucket is created with
# versioning, Object Lock and a default COMPLIANCE retention of QUANLU_S3_RETAIN_DAYS (the
# shortest retention class, 10 years, counted from upload: no disposal can come earlier);
# sealing a dossier lengthens it to the dossier's period. Keys: blank to use boto3's own
# lookup (environment, instance role).
QUANLU_S3_ENDPOINT_URL = env_str("QUANLU_S3_ENDPOINT_URL", "")
QUANLU_S3_BUCKET = env_str("QUANLU_S3_BUCKET", "quanlu")
QUANLU_S3_ACCESS_KEY = env_str("QUANLU_S3_ACCESS_KEY", "")
QUANLU_S3_SECRET_KEY = env_str("QUANLU_S3_SECRET_KEY", "")
QUANLU_S3_REGION = env_str("QUANLU_S3_REGION", "us-east-1")
QUANLU_S3_ADDRESSING_STYLE = env_str("QUANLU_S3_ADDRESSING_STYLE", "path")
QUANLU_S3_PREFIX = env_str("QUANLU_S3_PREFIX", "")
QUANLU_S3_RETAIN_DAYS = env_int("QUANLU_S3_RETAIN_DAYS", 3653, minimum=1)

# Audio-visual records: the largest accepted file, how long an unfinished resumable
# upload is kept, and the pause between two clips of one device that counts as a gap.
QUANLU_MEDIA_MAX_BYTES = env_int("QUANLU_MEDIA_MAX_BYTES", 64 * 1024**3, minimum=1)
QUANLU_UPLOAD_EXPIRY_HOURS = env_int("QUANLU_UPLOAD_EXPIRY_HOURS", 72, minimum=1)
QUANLU_AV_GAP_SECONDS = env_int("QUANLU_AV_GAP_SECONDS", 10, minimum=1)

# How often the running app sweeps deadlines into yellow/red alerts (seconds).
QUANLU_SWEEP_SECONDS = env_int("QUANLU_SWEEP_SECONDS", 300, minimum=5)

# The tamper-evident ledger (docs/notes/ledger.md): the prefix of every log's origin,
# the folder of private signing keys (never in the database), the optional 国密 SM2
# checkpoint signature, and how many queued events one sequencer transaction takes.
QUANLU_LEDGER_ORIGIN = env_str("QUANLU_LEDGER_ORIGIN", "quanlu.local/ledger")
QUANLU_KEY_DIR = Path(env_str("QUANLU_KEY_DIR", str(DATA_DIR / "keys"))).resolve()
QUANLU_LEDGER_SM2 = env_bool("QUANLU_LEDGER_SM2", False)
QUANLU_LEDGER_BATCH = env_int("QUANLU_LEDGER_BATCH", 50000, minimum=1)
# How often the running app integrates queued events and signs checkpoints (seconds),
# and runs the full verification (hours).
QUANLU_LEDGER_INTERVAL = env_int("QUANLU_LEDGER_INTERVAL", 5, minimum=1)
QUANLU_LEDGER_VERIFY_HOURS = env_int("QUANLU_LEDGER_VERIFY_HOURS", 24, minimum=1)
# An event still waiting for the sequencer after this long means integration is not
# running: verify reports it (the window in which a queued event is only MAC-protected).
QUANLU_LEDGER_STALE_SECONDS = env_int("QUANLU_LEDGER_STALE_SECONDS", 600, minimum=1)

# Text records: the largest scan or outside PDF accepted, and the largest touch-screen
# signature image (bytes).
QUANLU_DOCUMENT_MAX_BYTES = env_int("QUANLU_DOCUMENT_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
QUANLU_SIGNATURE_MAX_BYTES = env_int("QUANLU_SIGNATURE_MAX_BYTES", 1024 * 1024, minimum=1024)

# Archive: where the web page's "export" writes archive packages (BagIt bags, one folder per
# 档号), for burning to disc or handing to the archives; `quanlu archive export` takes a folder.
QUANLU_ARCHIVE_EXPORT_DIR = Path(env_str("QUANLU_ARCHIVE_EXPORT_DIR", str(DATA_DIR / "exports"))).resolve()

# `quanlu serve`: where to listen and how many worker processes and threads.
QUANLU_BIND = env_str("QUANLU_BIND", "127.0.0.1:8000")
QUANLU_WORKERS = env_int("QUANLU_WORKERS", 2, minimum=1)
QUANLU_THREADS = env_int("QUANLU_THREADS", 4, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env_str("QUANLU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
