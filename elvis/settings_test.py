"""Settings for the test suite: the real settings plus fast hashing and inline tasks.

The environment still chooses the database (``DATABASE_URL``), so the same suite runs on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import os

# Set before the settings read a developer's .env (which never overrides the environment), so
# the suite runs the same with or without one.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
# Production's log format, whatever a developer's .env says (tests read the JSON lines).
os.environ.setdefault("LOG_FORMAT", "json")
# Digitisation packages are built as soon as the last item is processed (tests that need the
# quiet period set it themselves).
os.environ.setdefault("DIGITISATION_PACKAGE_QUIET_SECONDS", "0")

from elvis.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
CELERY_TASK_EAGER_PROPAGATES = True
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {  # noqa: F405
    "anon": "100000/minute",
    "user": "100000/minute",
    "login": "100000/minute",
    "token": "100000/minute",
}
# Serve static files through the finders: tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The SQLite test database is a file, so that integration tests can share it with a real
# worker process (an in-memory database is private to one process). One file per test run, so
# that concurrent runs never share it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")  # noqa: F405
    }
# A test database needs no durability: a commit need not wait for its WAL record to reach the
# disk (it is visible to every other connection at once all the same; only a server crash could
# lose it). Transactional tests and the migrations that build the test database commit often.
if DATABASES["default"]["ENGINE"] == "elvis.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
