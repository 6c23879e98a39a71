"""Django settings: every value comes from a VMS_* environment variable (see vms/env.py and the README)."""

from __future__ import annotations

from pathlib import Path

from vms.env import (
    SettingError,
    database_from_url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_path,
    env_storage,
    env_str,
    redis_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("VMS_DEBUG", False)
SECRET_KEY = env_str("VMS_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise SettingError("VMS_SECRET_KEY (or VMS_SECRET_KEY_FILE) must be set unless VMS_DEBUG=true")
    SECRET_KEY = "debug-only-insecure-key"

# Fernet key that encrypts camera passwords at rest; without it cameras cannot store credentials.
CREDENTIALS_KEY = env_str("VMS_CREDENTIALS_KEY")
if not CREDENTIALS_KEY and not DEBUG:
    raise SettingError("VMS_CREDENTIALS_KEY (or VMS_CREDENTIALS_KEY_FILE) must be set unless VMS_DEBUG=true")

ALLOWED_HOSTS = env_list("VMS_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("VMS_CSRF_TRUSTED_ORIGINS", [])

DATA_ROOT = env_path("VMS_DATA_ROOT", BASE_DIR / "var")
MEDIA_ROOT = env_path("VMS_MEDIA_ROOT", DATA_ROOT / "media")
RECORDINGS_ROOT = MEDIA_ROOT / "recordings"

DATABASES = {"default": database_from_url(env_str("VMS_DATABASE_URL"), DATA_ROOT / "vms.sqlite3")}
REDIS_URL = redis_url("VMS_REDIS_URL")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "devices",
    "recordings",
    "analytics",
    "redaction",
    # Last: its post_migrate gives the roles their permissions, which must all exist by then.
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "vms.api.methods.MethodNotAllowedMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vms.urls"
ASGI_APPLICATION = "vms.asgi.application"
WSGI_APPLICATION = None

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
            ]
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
# API tokens (POST /api/v1/auth/token/) stop working this long after they were issued: 30 days by default.
TOKEN_TTL_HOURS = env_int("VMS_TOKEN_TTL_HOURS", 720, minimum=1)
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("VMS_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_ROOT / "static"
# The web app (frontend/, built by Vite) is served from /static/app/; its index.html by vms.spa.
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [("app", FRONTEND_DIST)] if FRONTEND_DIST.is_dir() else []
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("VMS_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["vms.api.filters.StrictFilterBackend"],
    # JSON bodies only: the web app sends nothing else, and a form-encoded body reads as strings and lists
    # where the API expects numbers, objects and booleans (a form saved as someone's preferences).
    "DEFAULT_PARSER_CLASSES": ["vms.api.parsers.JsonWithoutNulParser"],
    "DEFAULT_PAGINATION_CLASS": "vms.api.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "vms.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "vms.api.errors.problem_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": env_str("VMS_LOGIN_RATE", "20/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "VMS API",
    "DESCRIPTION": "Cameras, recordings, playback, analytics, privacy masks, exports, accounts and audit of the "
                   "video management system.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the installed package: the server may have no internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Masks, dynamic masking and exports share one set of styles: one name for it in the schema.
    "ENUM_NAME_OVERRIDES": {"MaskStyleEnum": "devices.choices.MaskStyle",
                            "CameraStateEnum": "devices.choices.CameraStatus",
                            "ZoneKindEnum": "analytics.choices.ZoneKind",
                            "DeviceEventKindEnum": "devices.choices.DeviceEventKind",
                            "DeviceKindEnum": "devices.choices.DeviceKind"},
    # What a request takes and what a response gives are apart, so the frontend's generated types are exact.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "vms.api.schema_components.complete_components"],
}

if REDIS_URL:
    # The socket time-out must outlast channels_redis's 5 s blocking read, or redis-py's 5 s default
    # closes every websocket that stays quiet that long (django/channels_redis#422).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
else:
    # One box without Redis: the channel layer lives in the web process and Celery passes jobs
    # through a folder, which every process on the box can share.
    CHANNEL_LAYERS = {"default": {"BACKEND": "vms.channel_layer.InProcessChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "filesystem://"
    _queue_dir = DATA_ROOT / "celery-queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir),
        "store_processed": False,
        # Its default, a "control" folder in the current directory, would litter the checkout.
        "control_folder": str(DATA_ROOT / "celery-control"),
    }

CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
# Redaction and export jobs are long: a queue of their own keeps retention and webhooks moving meanwhile.
CELERY_TASK_ROUTES = {"redaction.tasks.*": {"queue": "redaction"}}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    "retention": {"task": "recordings.tasks.apply_retention", "schedule": env_float("VMS_RETENTION_EVERY", 60.0, 5.0)},
    "event-footage": {"task": "analytics.tasks.drop_footage_without_events",
                      "schedule": env_float("VMS_EVENT_FOOTAGE_EVERY", 30.0, 5.0)},
}

# Recording
SEGMENT_SECONDS = env_float("VMS_SEGMENT_SECONDS", 10.0, minimum=1.0)
# Recorders, analytics workers and event listeners share cameras by lease. Each process writes a heartbeat every
# RECORDER_HEARTBEAT_SECONDS; a process whose heartbeat is older than the lease is "lost": its cameras may be taken
# over, and it has stopped writing them by then (it fences itself on its own clock, see recordings.leases). The
# lease bounds the footage gap when a recorder dies (measured by bench/cluster.py): 3 s gave a median gap under 5 s.
RECORDER_LEASE_SECONDS = env_float("VMS_RECORDER_LEASE_SECONDS", 3.0, minimum=1.0)
RECORDER_HEARTBEAT_SECONDS = env_float("VMS_RECORDER_HEARTBEAT_SECONDS", 1.0, minimum=0.1)
if RECORDER_HEARTBEAT_SECONDS * 2 > RECORDER_LEASE_SECONDS:
    raise SettingError(f"VMS_RECORDER_HEARTBEAT_SECONDS ({RECORDER_HEARTBEAT_SECONDS:g}) must be at most half of "
                       f"VMS_RECORDER_LEASE_SECONDS ({RECORDER_LEASE_SECONDS:g}): one late heartbeat would otherwise "
                       "stop a recorder's cameras")
RECORDER_MAX_CAMERAS = env_int("VMS_RECORDER_MAX_CAMERAS", 200, minimum=1)
# Hot standby: each recorder also reads, without writing, cameras other recorders hold (a fair share, each counting
# as half a camera against RECORDER_MAX_CAMERAS), keeping their last seconds in memory; when the holder dies, the
# standby records from that memory on where the indexed footage ended (see recordings.standby). Off: one stream per
# camera, and the gap after a recorder dies is the lease and the camera's opening.
RECORDER_HOT_STANDBY = env_bool("VMS_RECORDER_HOT_STANDBY", False)
# On one box without Redis the recorder runs inside the web process, which shares live video in memory.
RECORDER_IN_WEB = env_bool("VMS_RECORDER_IN_WEB", REDIS_URL is None)
CAMERA_READ_TIMEOUT = env_float("VMS_CAMERA_READ_TIMEOUT", 5.0, minimum=1.0)
RECONNECT_MAX_SECONDS = env_float("VMS_RECONNECT_MAX_SECONDS", 30.0, minimum=1.0)
MIN_FREE_DISK_GIB = env_float("VMS_MIN_FREE_DISK_GIB", 5.0, minimum=0.0)
TIMELINE_GAP_SECONDS = env_float("VMS_TIMELINE_GAP_SECONDS", 1.0, minimum=0.0)
# Playback asks for the footage around the playhead: a playlist holds this much, and the player asks for the next
# as it plays (a day of 10 s segments in one playlist took a second to make and weighed 1.7 MB).
PLAYBACK_WINDOW_SECONDS = env_float("VMS_PLAYBACK_WINDOW_SECONDS", 3600.0, minimum=1.0)

# Analytics
ANALYTICS_IN_WEB = env_bool("VMS_ANALYTICS_IN_WEB", REDIS_URL is None)
# Empty: the packaged SSD-MobileNet-v2 COCO; or the path of a YOLO ONNX file.
DETECTOR_MODEL = env_str("VMS_DETECTOR_MODEL", "")
DETECTOR_MIN_SCORE = env_float("VMS_DETECTOR_MIN_SCORE", 0.5, minimum=0.05)
# The detector is the costly step: at most this many runs a second per camera; tracks carry boxes between.
DETECTIONS_PER_SECOND = env_float("VMS_DETECTIONS_PER_SECOND", 2.0, minimum=0.1)
# The site's MQTT broker, where cameras without a broker of their own publish their scene metadata.
MQTT_URL = env_str("VMS_MQTT_URL", "")
MQTT_USERNAME = env_str("VMS_MQTT_USERNAME", "")
MQTT_PASSWORD = env_str("VMS_MQTT_PASSWORD", "")
# Cameras' own events (ONVIF): listened to inside the web process on one box, like the analytics.
EVENTS_IN_WEB = env_bool("VMS_EVENTS_IN_WEB", REDIS_URL is None)
# How long an event subscription lasts unless renewed; it is renewed at half that.
EVENT_SUBSCRIPTION_SECONDS = env_float("VMS_EVENT_SUBSCRIPTION_SECONDS", 60.0, minimum=2.0)
WEBHOOK_ATTEMPTS = env_int("VMS_WEBHOOK_ATTEMPTS", 5, minimum=1)
# PTZ: one person steers a camera at a time, until this long after their last command (devices/ptz_control.py).
PTZ_CONTROL_SECONDS = env_float("VMS_PTZ_CONTROL_SECONDS", 30.0, minimum=5.0)
CELERY_BEAT_SCHEDULE["ptz-control"] = {"task": "devices.tasks.end_expired_ptz_control",
                                       "schedule": PTZ_CONTROL_SECONDS / 2}
# PTZ tours: how often a worker looks for tours whose next step is due (devices/ptz_tours.py); a late tick is dropped.
PTZ_TOUR_TICK_SECONDS = env_float("VMS_PTZ_TOUR_TICK_SECONDS", 1.0, minimum=0.2)
CELERY_BEAT_SCHEDULE["ptz-tours"] = {"task": "devices.tasks.advance_ptz_tours", "schedule": PTZ_TOUR_TICK_SECONDS,
                                     "options": {"expires": PTZ_TOUR_TICK_SECONDS}}

# Security: webhooks never reach this server, link-local (cloud metadata), multicast or reserved addresses, and
# cameras/ONVIF never link-local, multicast or unspecified ones (vms/outbound.py), unless a network is listed here.
OUTBOUND_ALLOW = env_networks("VMS_OUTBOUND_ALLOW")

# Exports
EXPORTS_ROOT = MEDIA_ROOT / "exports"

# Where recordings and exports are kept (storage/): unset, the media folder (RECORDINGS_ROOT, EXPORTS_ROOT); or
# file:///path, another folder; or s3://bucket/prefix?endpoint=...&region=..., an S3-compatible object store, which
# recorders upload each finished segment to from RECORDINGS_ROOT on their own disk.
STORAGE = env_storage("VMS_STORAGE")
# The cold tier (unset: one tier): recordings move there from the store above (the hot tier) once they are older than
# their camera's cold_after_hours, or when the hot tier's disk is fuller than the high-water mark; same URL forms.
COLD_STORAGE = env_storage("VMS_COLD_STORAGE")
HOT_HIGH_WATER_PERCENT = env_float("VMS_HOT_HIGH_WATER_PERCENT", 85.0, minimum=1.0)
if HOT_HIGH_WATER_PERCENT > 99:
    raise SettingError(f"VMS_HOT_HIGH_WATER_PERCENT must be at most 99, not {HOT_HIGH_WATER_PERCENT:g}")
if COLD_STORAGE is not None:
    CELERY_BEAT_SCHEDULE["tier-moves"] = {"task": "recordings.tasks.move_to_cold",
                                          "schedule": env_float("VMS_TIER_MOVE_EVERY", 60.0, 5.0)}
# A recorder that cannot upload keeps the segments on its disk and tries again after a pause that doubles up to this.
STORAGE_RETRY_MAX_SECONDS = env_float("VMS_STORAGE_RETRY_MAX_SECONDS", 30.0, minimum=1.0)
# Where the store is not the recorder's disk, what it wrote of the segment it is writing goes up about this often (0:
# never), so that a recorder taking over a dead host's camera rescues all but the last moments of it.
OPEN_SEGMENT_UPLOAD_SECONDS = env_float("VMS_OPEN_SEGMENT_UPLOAD_SECONDS", 1.0, minimum=0.0)
SIGNING_KEY_FILE = env_path("VMS_SIGNING_KEY_FILE", DATA_ROOT / "signing_key.pem")
EXPORT_MAX_SECONDS = env_float("VMS_EXPORT_MAX_SECONDS", 3 * 3600.0, minimum=1.0)
# "self": the requester approves their own export by rendering it; "other": someone else must (four eyes).
EXPORT_APPROVAL = env_choice("VMS_EXPORT_APPROVAL", ("self", "other"), "self")
# A job's worker says it still runs this often; a job silent for longer is taken over (its worker died).
EXPORT_HEARTBEAT_SECONDS = env_float("VMS_EXPORT_HEARTBEAT_SECONDS", 30.0, minimum=1.0)
EXPORT_STALE_SECONDS = 4 * EXPORT_HEARTBEAT_SECONDS
EXPORT_MAX_ATTEMPTS = env_int("VMS_EXPORT_MAX_ATTEMPTS", 3, minimum=1)
CELERY_BEAT_SCHEDULE["stalled-exports"] = {"task": "redaction.tasks.resume_stalled_exports",
                                           "schedule": EXPORT_HEARTBEAT_SECONDS}
if REDIS_URL:
    # Redis redelivers an unacknowledged task after this long: it must outlast the longest job (rendering the
    # longest export at a quarter of real time), or a running job would be delivered a second time.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": max(3600.0, 4 * EXPORT_MAX_SECONDS)}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("VMS_LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
