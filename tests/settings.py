"""The test suite's settings: the product's test settings plus the test-only request kind
(``tests.testkind``), which proves that a kind needs only its own logic."""

from __future__ import annotations

from elvis.settings_test import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testkind"]  # noqa: F405
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "ENUM_NAME_OVERRIDES": {
        **SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"],  # noqa: F405
        "SampleStatusEnum": "tests.testkind.models.SampleStatus",
    },
}

if DATABASES["default"]["ENGINE"] == "elvis.postgresql":  # noqa: F405
    # Transactional tests empty the tables with DELETE rather than TRUNCATE (see the module).
    DATABASES["default"]["ENGINE"] = "tests.postgresql_backend"  # noqa: F405
