from __future__ import annotations

from django.apps import AppConfig


class TestKindConfig(AppConfig):
    """A request kind that exists only in the test suite (installed by ``tests.settings``)."""

    name = "tests.testkind"
    label = "testkind"
    verbose_name = "Test kind"
