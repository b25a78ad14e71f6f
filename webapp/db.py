"""Access to the app's Database and clock from request code."""
from __future__ import annotations

from flask import current_app

from engine import Clock
from engine import Database


def db() -> Database:
    """The app's Database (one engine per process)."""
    return current_app.extensions["jiuzhu.db"]


def clock() -> Clock:
    """The app's clock (injected, so tests can move time)."""
    return current_app.config["CLOCK"]
