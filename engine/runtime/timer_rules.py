"""Timer texts: the Camunda literals a modeler writes, and the limits on what a timer may ask for.

Camunda Modeler writes a timer as an ISO 8601 literal (``P7D``, ``R3/PT1H``,
``2026-10-01T09:00``); SpiffWorkflow evaluates every timer text as Python. The rule
(docs/designer-guide.md): a timer text that is, as a whole, an ISO 8601 date or
date-time, duration, or repeating interval is a literal and is used as written;
anything else is a Python expression that must give such a text (``"P7D"``,
``days_duration(n)``, ``publicity_period(...)``). The value a timer gets, literal or
computed, is checked here at deploy (when it is a constant) and again when a case
reaches the timer: a bounded number of repetitions, a minimum interval and a
maximum span keep a cycle like ``R5000/PT0S`` from flooding the engine.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from engine.runtime.budget import OverBudget
from engine.clock import CHINA_TZ

MAX_TIMER_CYCLES = 100
MIN_TIMER_INTERVAL = timedelta(hours=1)
MAX_TIMER_SPAN = timedelta(days=3660)   # about ten years

TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")

_DURATION = (r"P(?=\d|T\d)(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
             r"(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?")
_DATETIME = r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?"
DURATION_RE = re.compile(_DURATION)
DATETIME_RE = re.compile(_DATETIME)
CYCLE_RE = re.compile(r"R(?P<count>\d*)/(?P<rest>.+)")


class InvalidTimer(ValueError):
    """A timer text or value that no timer can use; reason (English) and reason_zh (Chinese)."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        self.reason, self.reason_zh = reason, reason_zh
        super().__init__(reason)

    def __reduce__(self):
        return type(self), (self.reason, self.reason_zh)


def is_literal(text: str) -> bool:
    """True when ``text`` is, as a whole, an ISO 8601 date/date-time, duration or repeating interval."""
    text = text.strip()
    if DURATION_RE.fullmatch(text) or DATETIME_RE.fullmatch(text):
        return True
    cycle = CYCLE_RE.fullmatch(text)
    return bool(cycle) and all(DURATION_RE.fullmatch(p) or DATETIME_RE.fullmatch(p)
                               for p in cycle["rest"].split("/")) and cycle["rest"].count("/") <= 1


def as_expression(text: str) -> str:
    """The Python expression for a timer text: a literal becomes a quoted string, an expression stays."""
    return repr(text.strip()) if is_literal(text) else text


def _shortest(duration: re.Match) -> timedelta:
    """The shortest time a duration can mean (a month counts 28 days, a year 365)."""
    g = {k: float((v or "0").replace(",", ".")) for k, v in duration.groupdict().items()}
    days = g["Y"] * 365 + g["M"] * 28 + g["W"] * 7 + g["D"]
    if days > MAX_TIMER_SPAN.days + 1 or g["h"] + g["m"] / 60 + g["s"] / 3600 > MAX_TIMER_SPAN.days * 24:
        raise InvalidTimer(f"a timer longer than {MAX_TIMER_SPAN.days} days is not allowed",
                           f"定时器时长不能超过 {MAX_TIMER_SPAN.days} 天")
    return timedelta(days=days, hours=g["h"], minutes=g["m"], seconds=g["s"])


def _local(text: str) -> str:
    """A date or date-time; one without a zone is China time (SpiffWorkflow would take the server's)."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA_TZ)
    return when.isoformat()


def check_value(kind: str, value) -> str:
    """The timer value SpiffWorkflow may use for a timer of ``kind``, or InvalidTimer/OverBudget.

    Dates without a zone are given China's; everything else is returned as is.
    """
    if not isinstance(value, str):
        raise InvalidTimer(f"a {kind} timer needs an ISO 8601 text, not {type(value).__name__}",
                           f"定时器 {kind} 的值应为 ISO 8601 文本，而不是 {type(value).__name__}")
    text = value.strip()
    if kind == "timeDate":
        if not DATETIME_RE.fullmatch(text):
            raise InvalidTimer(f"timeDate {text[:40]!r} is not an ISO 8601 date or date-time (2026-10-01T09:00)",
                               f"定时器日期「{text[:40]}」不是 ISO 8601 日期或时间（如 2026-10-01T09:00）")
        try:
            return _local(text)
        except ValueError:
            raise InvalidTimer(f"timeDate {text[:40]!r} is not a real date", f"定时器日期「{text[:40]}」不存在") from None
    if kind == "timeDuration":
        duration = DURATION_RE.fullmatch(text)
        if not duration:
            raise InvalidTimer(f"timeDuration {text[:40]!r} is not an ISO 8601 duration (P7D, PT1H)",
                               f"定时器时长「{text[:40]}」不是 ISO 8601 时长（如 P7D、PT1H）")
        _shortest(duration)
        return text
    if kind == "timeCycle":
        return _check_cycle(text)
    raise ValueError(f"unknown timer kind {kind!r}")


def _check_cycle(text: str) -> str:
    cycle = CYCLE_RE.fullmatch(text)
    parts = cycle["rest"].split("/") if cycle else []
    durations = [DURATION_RE.fullmatch(p) for p in parts]
    if not cycle or len(parts) > 2 or sum(1 for d in durations if d) != 1 or not all(
            d or DATETIME_RE.fullmatch(p) for d, p in zip(durations, parts)):
        raise InvalidTimer(f"timeCycle {text[:40]!r} is not an ISO 8601 repeating interval (R3/PT1H)",
                           f"循环定时器「{text[:40]}」不是 ISO 8601 重复间隔（如 R3/PT1H）")
    if not cycle["count"]:
        raise InvalidTimer("a cycle timer needs a repetition count (R3/PT1H): endless cycles are not supported",
                           "循环定时器必须写明重复次数（如 R3/PT1H），不支持无限循环")
    count = int(cycle["count"])
    if count > MAX_TIMER_CYCLES:
        raise OverBudget(f"a cycle timer repeats at most {MAX_TIMER_CYCLES} times, not {count}",
                         f"循环定时器最多重复 {MAX_TIMER_CYCLES} 次（此处为 {count} 次）")
    interval = _shortest(next(d for d in durations if d))
    if interval < MIN_TIMER_INTERVAL:
        raise OverBudget(f"a cycle timer's interval must be at least {MIN_TIMER_INTERVAL}",
                         f"循环定时器的间隔不能短于 {int(MIN_TIMER_INTERVAL.total_seconds() // 60)} 分钟")
    try:
        localised = [p if d else _local(p) for d, p in zip(durations, parts)]
    except ValueError:
        raise InvalidTimer(f"timeCycle {text[:40]!r} holds a date that does not exist",
                           f"循环定时器「{text[:40]}」中的日期不存在") from None
    return f"R{count}/" + "/".join(localised)
