"""Full ID numbers never reach a log: every log record is redacted when it is created.

The record factory (not a handler filter) is what makes this hold for every logger and every handler,
including ones a host such as gunicorn adds after start-up. ``RedactingFilter`` does the same for a
logging configuration that builds its own records (e.g. records received over a socket).
"""
from __future__ import annotations

import logging
import re

from engine.catalogue.forms import mask_id_number

# An 18-character resident ID number (17 digits and a check character) or an old 15-digit one, not part of
# a longer run of digits. Any such run is masked, valid check digit or not: a false alarm costs nothing.
ID_NUMBER_IN_TEXT = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?!\d)")
_FORMATTER = logging.Formatter()


def redact(text: str) -> str:
    """``text`` with every ID-number-shaped run masked (320921********1236)."""
    return ID_NUMBER_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place: its message with arguments merged, its traceback and its stack."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not hide the text from redaction
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redact(message), ()
    if record.exc_info:
        # The traceback is formatted here, redacted, and cached where every Formatter looks for it;
        # exc_info is dropped so no handler formats the raw exception (a database error quotes its values).
        record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """A logging filter that masks full ID numbers in the records it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record and let it through."""
        redact_record(record)
        return True


def install_log_redaction() -> None:
    """Make every log record of this process redacted at creation (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_id_numbers", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    factory.redacts_id_numbers = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
