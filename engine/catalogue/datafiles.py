"""Data files an installation edits (TOML): read, checked against a JSON Schema, and every problem
reported with the file and the line it is on.

``tomllib`` gives no positions, so ``KeyLines`` walks the text once and records the line of every
table header and key, by their path (``("county", 2, "models", 0, "model")``); a problem found at a
path is reported at the nearest line known for it or for one of its parents.
"""
from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import DataFileInvalid, Problem

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\".]+)\s*=")
_ARRAY_OPEN = re.compile(r"^\s*([A-Za-z0-9_\-\".]+)\s*=\s*\[\s*(?:#.*)?$")
_ARRAY_ITEM = re.compile(r"^\s*\{")


def _split_key(key: str) -> tuple[str, ...]:
    # A quoted part is one key even with dots in it ("time_limit_wd_by_type.low_income" = ...).
    return tuple(part.strip('"') for part in re.findall(r'"[^"]*"|[^."\s]+', key))


class KeyLines:
    """Line numbers of the tables and keys of a TOML text, by path."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple, int] = {}
        counters: dict[tuple, int] = {}
        current: tuple = ()
        array: tuple | None = None  # the key of a multi-line array being read, and its item count
        items = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if array is not None:
                if line.strip().startswith("]"):
                    array = None
                elif _ARRAY_ITEM.match(line):
                    self.lines.setdefault(array + (items,), number)
                    items += 1
                continue
            opened = _ARRAY_OPEN.match(line)
            if opened:
                array, items = current + _split_key(opened.group(1)), 0
                self.lines.setdefault(array, number)
                continue
            header = _HEADER.match(line)
            if header:
                parts = _split_key(header.group(2))
                prefix = self._resolve(parts[:-1], counters)
                if header.group(1) == "[[":
                    key = prefix + (parts[-1],)
                    counters[key] = counters.get(key, -1) + 1
                    current = key + (counters[key],)
                else:
                    current = prefix + (parts[-1],)
                self.lines.setdefault(current, number)
                continue
            key = _KEY.match(line)
            if key:
                self.lines.setdefault(current + _split_key(key.group(1)), number)

    def _resolve(self, parts: tuple, counters: dict) -> tuple:
        # A parent that is an array of tables means its latest element ([[county.models]] → county, n).
        path: tuple = ()
        for part in parts:
            path += (part,)
            if path in counters:
                path += (counters[path],)
        return path

    def line_of(self, path) -> int | None:
        """The line of ``path``, or of its nearest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def _plain(value: Any) -> Any:
    """TOML values as JSON Schema sees them: dates become ISO strings (format "date")."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


class DataFile:
    """A parsed TOML data file and the lines of its keys, for messages."""

    def __init__(self, path: Path, display_name: str | None = None) -> None:
        self.name = display_name or str(path)
        text = path.read_text(encoding="utf-8")
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_in_message(str(exc))
            raise DataFileInvalid([Problem(self.name, line, None, f"TOML syntax error: {exc}",
                                           f"TOML 格式错误：{exc}")]) from None
        self.keys = KeyLines(text)

    def problem(self, path, message: str, message_zh: str) -> Problem:
        """A problem at a key path of this file."""
        where = ".".join(str(p) for p in path)
        return Problem(self.name, self.keys.line_of(path), where or None, message, message_zh)

    def schema_problems(self, schema: dict) -> list[Problem]:
        """Every place the data breaks ``schema``, each with its line."""
        validator = Draft202012Validator(schema)
        problems = []
        for error in sorted(validator.iter_errors(_plain(self.data)), key=lambda e: list(map(str, e.absolute_path))):
            problems.append(self.problem(error.absolute_path, error.message, f"数据不符合要求：{error.message}"))
        return problems


def _line_in_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
