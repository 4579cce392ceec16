"""Browser tests: Debian's chromium, headless, driven by Playwright against the live server.

No browser is ever downloaded (never run ``playwright install``): the tests use the system's
``/usr/bin/chromium`` (``apt-get install chromium``) and fail, never skip, when it is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


@pytest.fixture
def open_page(live_server, monkeypatch) -> Iterator[Callable]:
    """``open_page()``: a fresh headless chromium page on the live server; keyword arguments
    go to the browser context (``java_script_enabled=False`` for a page without scripts).

    The browser starts when the test calls it, so that a missing chromium fails the test itself
    (not its set-up). Playwright's sync API keeps an event loop running in the test's thread,
    and Django refuses ORM calls from such a thread unless told they are safe: they are, as the
    test runs no async code of its own. Everything (connections included) is closed at the end.
    """
    with ExitStack() as stack:

        def _open(**options):
            if not CHROMIUM.exists():
                pytest.fail(
                    f"{CHROMIUM} is missing: browser tests need Debian's chromium "
                    "(apt-get install -y chromium); they never download a browser.",
                    pytrace=False,
                )
            from playwright.sync_api import expect, sync_playwright

            # Assertions wait as long as actions (their own default is 5 s): a loaded machine
            # may take longer to draw a page such as the API docs.
            expect.set_options(timeout=TIMEOUT_MS)

            monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            playwright = stack.enter_context(sync_playwright())
            # While Playwright's loop runs, the test's ORM calls get their own connections:
            # close them before the loop ends, or they outlive the test database.
            stack.callback(connections.close_all)
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            stack.callback(browser.close)
            context = browser.new_context(base_url=live_server.url, **options)
            stack.callback(context.close)
            context.set_default_timeout(TIMEOUT_MS)
            return context.new_page()

        yield _open
