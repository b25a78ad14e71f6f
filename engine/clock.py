"""The clock is injected everywhere so tests move time instead of sleeping."""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")


class Clock:
    """The real clock: aware UTC datetimes; dates are taken in China time."""

    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        return datetime.now(timezone.utc)

    def today(self) -> date:
        """Return today's date in China (deadlines are counted in local days)."""
        return self.now().astimezone(CHINA_TZ).date()


@dataclass
class FrozenClock(Clock):
    """A clock that only moves when told to: for tests and benchmarks."""

    current: datetime = field(default_factory=lambda: datetime(2026, 9, 15, 2, 0, tzinfo=timezone.utc))

    def now(self) -> datetime:
        """Return the frozen instant."""
        return self.current

    def advance(self, **kwargs) -> None:
        """Move the clock forward by a timedelta given as keyword arguments."""
        self.current += timedelta(**kwargs)

    def set(self, when: datetime) -> None:
        """Jump to an instant (must be timezone-aware)."""
        if when.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.current = when


def to_local_date(when: datetime) -> date:
    """The China-time calendar date of an aware instant."""
    return when.astimezone(CHINA_TZ).date()


def end_of_local_day(day: date) -> datetime:
    """The last instant of a China-time day, as aware UTC (a due date is met until then)."""
    local = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CHINA_TZ)
    return local.astimezone(timezone.utc)


def start_of_local_day(day: date) -> datetime:
    """The first instant of a China-time day, as aware UTC (a date range of timestamps starts there)."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).astimezone(timezone.utc)


# --- the clock seen by the workflow engine ---------------------------------------
# SpiffWorkflow 3.2 calls datetime.now(timezone.utc) inside its timer module and offers no injection
# point; timers must follow the injected clock (tests move time, the scheduler fires what is due by *our*
# clock). The runtime (engine.runtime.workflow) gives that module ``ClockedDatetime``, whose now() reads
# the instant an engine call runs at, set by ``clock_context``.
_engine_now: contextvars.ContextVar[Any] = contextvars.ContextVar("jiuzhu_engine_now", default=None)


class ClockedDatetime(datetime):
    """``datetime`` whose ``now()`` is the instant of the engine call under way (else the real time)."""

    @classmethod
    def now(cls, tz=None):  # noqa: D401 - mirrors datetime.now
        clock_now = _engine_now.get()
        if clock_now is None:
            return datetime.now(tz)
        return clock_now.astimezone(tz) if tz else clock_now.replace(tzinfo=None)


def engine_now() -> datetime:
    """The instant the engine is running at: the injected clock inside an engine call, else real time."""
    return _engine_now.get() or datetime.now(timezone.utc)


@contextmanager
def clock_context(now: datetime) -> Iterator[None]:
    """Make the workflow engine's timers (and ``engine_now``) see ``now`` for the duration of the block."""
    token = _engine_now.set(now)
    try:
        yield
    finally:
        _engine_now.reset(token)
