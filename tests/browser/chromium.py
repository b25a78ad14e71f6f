"""The browser tests' Chromium: one Playwright driver and one Chromium for the browser tests of a session (of an
xdist worker), launched on first use; every test gets its own browser contexts in it, each with its own cookies,
storage and cache, as a freshly launched browser would have. Launching Chromium and its Playwright driver for
each test took about 2 s of the test's time; a context takes a few milliseconds."""
from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

_shared: dict = {}  # "playwright", "browser"


def shared_browser():
    """The session's Chromium (launched again if it has gone away, after a crash say)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    browser = _shared.get("browser")
    if browser is not None and browser.is_connected():
        return browser
    if "playwright" not in _shared:
        _shared["playwright"] = pytest.importorskip("playwright.sync_api").sync_playwright().start()
    _shared["browser"] = _shared["playwright"].chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return _shared["browser"]


def close_shared_browser() -> None:
    """Close the Chromium and stop the driver (tests/browser/conftest.py, after the package's last test)."""
    browser, playwright = _shared.pop("browser", None), _shared.pop("playwright", None)
    if browser is not None:
        browser.close()
    if playwright is not None:
        playwright.stop()
