"""Logging for every process (web workers, the scheduler, commands): one line per record, JSON when
``JIUZHU_LOG_FORMAT=json`` (what log collectors read), with the request id of the web request that
logged it; full ID numbers are masked before any handler sees a record (engine.redaction); SpiffWorkflow's
per-task INFO lines are off unless ``JIUZHU_SPIFF_LOG=info``."""
from __future__ import annotations

import contextvars
import json
import logging
import os
from datetime import datetime, timezone

from engine.redaction import install_log_redaction

# Set by the web layer for the length of a request; empty in the scheduler and in commands.
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("jiuzhu_request_id", default="")
# SpiffWorkflow logs every task state change at INFO (384 of 2,035 lines at start-up): noise for an operator.
QUIET_LOGGERS = ("spiff", "spiff.workflow", "spiff.task", "spiff.metrics", "alembic.runtime.plugins", "apscheduler")
TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(request_id)s%(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request id, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if getattr(record, "request_id", ""):
            line["request_id"] = record.request_id
        if record.exc_info or record.exc_text:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Give each record the current request id (for the text format, followed by a space)."""

    def __init__(self, text: bool) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the id and let the record through."""
        request_id = REQUEST_ID.get()
        record.request_id = f"[{request_id}] " if self.text and request_id else request_id
        return True


def configure_logging(log_format: str | None = None, level: int = logging.INFO) -> None:
    """Configure the root logger once per process (text or JSON, from the argument or JIUZHU_LOG_FORMAT)."""
    install_log_redaction()  # before any record: full ID numbers never reach the log
    log_format = log_format or os.environ.get("JIUZHU_LOG_FORMAT", "text")
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter(text=log_format != "json"))
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet = logging.INFO if os.environ.get("JIUZHU_SPIFF_LOG") == "info" else logging.WARNING
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet if name.startswith("spiff") else logging.WARNING)
