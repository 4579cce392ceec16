"""The test suite's settings: the product's test settings plus the test-only request kind
(``tests.testkind``), which proves that a kind needs only its own logic."""

from __future__ import annotations

from elvis.settings_test import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testkind"]  # noqa: F405
