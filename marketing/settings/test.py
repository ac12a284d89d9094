"""Test settings: same as base, with fast hashing, in-memory mail and eager Celery.
DATABASE_URL / REDIS_URL from the environment still apply (CI runs the suite on
SQLite and again on PostgreSQL + Redis)."""

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "zh-hans"
FIELD_ENCRYPTION_KEY = "test-field-key"
SITE_URL = "https://desk.example.test"
CHAT_WEBHOOK_EXTRA_HOSTS = ["127.0.0.1"]
# Issue 15: the test tenants start without the shipped approval forms (their positions and
# chains would change what the engine's own tests see); workflows tests add them explicitly.
WORKFLOWS_SHIP_FORMS = False
