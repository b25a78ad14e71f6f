"""The browser tests share one Chromium (tests/browser/chromium.py), closed after the package's tests."""
from __future__ import annotations

import pytest

from tests.browser.chromium import close_shared_browser


@pytest.fixture(scope="package", autouse=True)
def _one_chromium_for_the_package():
    yield
    close_shared_browser()
