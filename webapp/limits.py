"""Limits every request meets before a view runs, so that no input can reach the database or the
engine in a shape they would fail on (an HTTP 500) or spend unbounded time on.

- bodies: ``MAX_CONTENT_LENGTH`` (HTTP 413), or a view's own larger limit (``larger_body``: an upload),
  HTML forms Flask's 1000 fields and 500 KB of text (HTTP 413);
- JSON: nested at most ``MAX_JSON_DEPTH`` deep, no NaN/Infinity (HTTP 400 via Flask's JSON error);
- text in the query string, form fields and URL parts: no NUL or other control characters
  (PostgreSQL refuses NUL in text; HTTP 400);
- whole numbers in URLs (``<int:…>``) and in query/form fields read with ``int_arg``: within the
  range the stores' integer columns hold (HTTP 404 for a path, 400 for a field).
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

MAX_CONTENT_LENGTH = 2 * 1024 * 1024   # a big form is a few KB; only the views marked larger_body take files
MAX_JSON_DEPTH = 32
ID_MAX = 2**63 - 1                     # BIGINT, the widest integer column of either store
MAX_PAGE = 1000                        # 50,000 rows deep; past that a filter is the way
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InputRefused(ValueError):
    """Request data no view may see; ``message_zh`` says why."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only ids a column can hold: a larger number is a 404, not an overflow; and only
    ASCII digits (werkzeug's ``\\d`` also matches ``٣`` or ``３``, which ``int`` reads as 3: another spelling of
    an id would be a second URL of the same object, past any check made on its text)."""

    regex = r"[0-9]+"

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = 0, max: int | None = ID_MAX,
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON with a depth limit and without the NaN/Infinity literals Python would accept."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; raise ValueError (Flask answers 400) when too deep or not strict JSON."""
        kwargs.setdefault("parse_constant", _refuse_constant)
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        _check_depth(value)
        return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_depth(value: Any) -> None:
    # Iterative, so a hostile document cannot exhaust the stack here either.
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))


def int_arg(source, name: str, default: int | None = None, minimum: int = 0, maximum: int = ID_MAX) -> int | None:
    """A whole number from ``request.args`` / ``request.form``: ``default`` when absent or empty,
    InputRefused (HTTP 400) when it is not a number within [minimum, maximum]."""
    raw = (source.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 20 or not minimum <= int(raw) <= maximum:
        raise InputRefused(f"{name} must be a whole number from {minimum} to {maximum}",
                           f"参数「{name}」应为 {minimum} 至 {maximum} 之间的整数")
    return int(raw)


def date_arg(source, name: str) -> date | None:
    """A date (YYYY-MM-DD) from ``request.args`` / ``request.form``: None when absent or empty, InputRefused
    (HTTP 400) when it is not a date."""
    raw = (source.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InputRefused(f"{name} must be a date", "日期格式应为 YYYY-MM-DD") from None


def choice_arg(source, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    """One of ``choices`` from ``request.args`` / ``request.form``: ``default`` when absent or empty,
    InputRefused (HTTP 400) naming the choices when it is another value."""
    raw = (source.get(name) or "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise InputRefused(f"{name} must be one of {', '.join(choices)}", f"参数「{name}」应为 {'、'.join(choices)} 之一")
    return raw


MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def month_arg(source, name: str = "month", default: date | None = None) -> date | None:
    """A month (YYYY-MM) from ``request.args`` / ``request.form`` as its first day: ``default`` when absent or
    empty, InputRefused (HTTP 400) when it is not a month of the years 1900 to 2999."""
    raw = (source.get(name) or "").strip()
    if not raw:
        return default
    match = MONTH.fullmatch(raw)
    if not match or not 1900 <= int(match[1]) <= 2999:
        raise InputRefused(f"{name} must be a month as YYYY-MM", f"参数「{name}」应为年月，如 2026-09")
    return date(int(match[1]), int(match[2]), 1)


def page_arg(name: str = "page") -> int:
    """A page-number query parameter (``page`` unless named; 1 … MAX_PAGE)."""
    return int_arg(request.args, name, 1, 1, MAX_PAGE)


def larger_body(limit: int):
    """Let one view take a body of up to ``limit`` bytes (a file upload); every other keeps the app's
    ``MAX_CONTENT_LENGTH``. The limit is set before anything (CSRF, these checks) reads the body."""
    def mark(view):
        view.max_content_length = limit
        return view
    return mark


def body_limit(app: Flask, endpoint: str | None) -> int:
    """The largest body the endpoint takes."""
    return getattr(app.view_functions.get(endpoint or ""), "max_content_length", None) or app.config["MAX_CONTENT_LENGTH"]


def _apply_body_limit() -> None:
    request.max_content_length = body_limit(current_app, request.endpoint)


def _refuse_control_characters() -> None:
    parts = [request.args.items(multi=True), (request.view_args or {}).items()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        parts.append(request.form.items(multi=True))
    for items in parts:
        for key, value in items:
            for text in (key, value):
                if isinstance(text, str) and _CONTROL.search(text):
                    raise InputRefused("control character in request data", "请求中含有不允许的控制字符（如 NUL）")


def init_app(app: Flask) -> None:
    """Install the limits; call before blueprints are registered (the URL converter applies to rules
    as they are added)."""
    # Flask's defaults are None (no limit) for the body and 1000 for form fields, which is kept.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.url_map.converters["int"] = BoundedIntConverter
    app.json_provider_class = BoundedJSONProvider
    app.json = BoundedJSONProvider(app)
    app.before_request(_apply_body_limit)  # first: the checks below read the body
    app.before_request(_refuse_control_characters)
