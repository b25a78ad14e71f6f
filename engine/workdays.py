"""Working-day (工作日) arithmetic for statutory deadlines.

The calendar is data, not code: each year is one ``calendar_data/cn-YYYY.toml``
file transcribing the State Council notice (国务院办公厅关于YYYY年部分节假日安排的通知).
Years without a file are refused (``CalendarYearMissing``) rather than estimated,
because the 调休 pattern cannot be derived from the statutory rules.
"""
from __future__ import annotations

import functools
import re
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

DATA_DIR = Path(__file__).with_name("calendar_data")
_FILE_NAME = re.compile(r"cn-(\d{4})\.toml")
# ASCII digits only: str.isdigit/\d would also accept full-width '１０wd'.
_PERIOD = re.compile(r"([0-9]+)(wd|d)|(dom)([0-9]{1,2})")


class CalendarYearMissing(LookupError):
    """A date falls in a year whose official arrangement is not loaded (``year``, ``message_zh``)."""

    def __init__(self, year: int):
        self.year = year
        self.message_zh = f"{year} 年节假日安排尚未发布/未载入，无法计算工作日"
        super().__init__(f"Holiday arrangement for {year} not published/loaded; cannot compute working days")


class WorkingCalendar:
    """Mainland-China working days for the years that have a data file."""

    def __init__(self, years: frozenset[int], holidays: frozenset[date], workdays: frozenset[date]):
        """Build a calendar from covered years, days off and make-up workdays; prefer ``load``."""
        self.years = years
        self._holidays = holidays
        self._workdays = workdays
        # Running count of working days up to and including each covered day, so that
        # "working days left" on a 50-row inbox page is 50 dictionary lookups.
        self._running: dict[date, int] = {}
        count = 0
        for year in sorted(years):
            d = date(year, 1, 1)
            while d.year == year:
                count += self.is_workday(d)
                self._running[d] = count
                d += timedelta(days=1)

    @classmethod
    def load(cls, directory: Path | None = None) -> "WorkingCalendar":
        """Return the calendar of every ``cn-*.toml`` in ``directory`` (default: bundled data), cached.

        Raises ValueError for a malformed file, FileNotFoundError when there is no year file.
        """
        if directory is None:
            return _load_default()
        return _load(Path(directory).resolve())

    def _covered(self, d: date) -> None:
        # A datetime never equals a date, so it would silently miss every holiday.
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"expected a datetime.date, got {type(d).__name__}")
        if d.year not in self.years:
            raise CalendarYearMissing(d.year)

    def is_workday(self, d: date) -> bool:
        """True for a weekday that is not a day off, or for a 调休 weekend workday."""
        self._covered(d)
        if d in self._workdays:
            return True
        return d.weekday() < 5 and d not in self._holidays

    def add_workdays(self, start: date, n: int) -> date:
        """Return the n-th working day after ``start`` (``start`` itself is not counted; n=0 gives start)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        d = start
        while n:
            d += timedelta(days=1)
            if self.is_workday(d):
                n -= 1
        return d

    def workdays_between(self, start: date, end: date) -> int:
        """Count working days in (start, end]; negative (mirrored) when end < start.

        Inverse of ``add_workdays``: ``workdays_between(s, add_workdays(s, n)) == n``.
        """
        if end < start:
            return -self.workdays_between(end, start)
        if end == start:
            return 0
        first = start + timedelta(days=1)
        self._covered(end)
        for year in range(first.year, end.year + 1):
            if year not in self.years:
                raise CalendarYearMissing(year)
        return self._running[end] - self._running[first] + self.is_workday(first)

    def add_calendar_days(self, start: date, n: int) -> date:
        """Return ``start + n`` calendar days (e.g. a 7-day 公示), with no holiday shift.

        Moving an end date that falls on a holiday is a local rule, so it is left to the caller.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return start + timedelta(days=n)


def _as_date(value: object, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not a YYYY-MM-DD date") from None


def _read_year(path: Path, year: int) -> tuple[set[date], set[date]]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    if missing := [k for k in ("year", "notice", "published", "holidays", "workdays") if k not in data]:
        raise ValueError(f"{path.name}: missing key {missing[0]!r}")
    if data["year"] != year:
        raise ValueError(f"{path.name}: year = {data['year']!r} does not match the file name")
    try:
        holidays = {_as_date(v, path.name) for h in data["holidays"] for v in h["dates"]}
        workdays = {_as_date(v, path.name) for v in data["workdays"]}
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path.name}: holidays/workdays are not in the expected shape ({exc!r})") from exc
    for d in holidays | workdays:
        # Only a 元旦 break may reach back into the previous December; anything
        # else outside the year is almost certainly a typo in the transcription.
        if not (d.year == year or (d.year == year - 1 and d.month == 12)):
            raise ValueError(f"{path.name}: {d} lies outside {year}")
    for d in workdays:
        # Make-up days only make sense on weekends; a weekday here is a typo.
        if d.weekday() < 5:
            raise ValueError(f"{path.name}: make-up workday {d} is not a Saturday or Sunday")
    return holidays, workdays


@functools.cache
def _load_default() -> WorkingCalendar:
    return _load(DATA_DIR.resolve())


@functools.cache
def _load(directory: Path) -> WorkingCalendar:
    years: set[int] = set()
    holidays: set[date] = set()
    workdays: set[date] = set()
    for path in sorted(directory.glob("cn-*.toml")):
        m = _FILE_NAME.fullmatch(path.name)
        if not m:
            raise ValueError(f"{path.name}: expected a file name like cn-2026.toml")
        years.add(year := int(m.group(1)))
        h, w = _read_year(path, year)
        holidays |= h
        workdays |= w
    if not years:
        raise FileNotFoundError(f"no cn-*.toml holiday files in {directory}")
    if clash := holidays & workdays:
        raise ValueError(f"dates listed both as day off and as workday: {sorted(clash)}")
    return WorkingCalendar(frozenset(years), frozenset(holidays), frozenset(workdays))


def parse_period(text: str) -> tuple[int, str]:
    """Parse a deadline spec from BPMN properties: '10wd' -> (10, 'wd'), '7d' -> (7, 'd'),
    'dom26' -> (26, 'dom'): the 26th of the month (monthly cut-offs such as Siping's)."""
    m = _PERIOD.fullmatch(text) if isinstance(text, str) else None
    if not m or (m.group(3) and not 1 <= int(m.group(4)) <= 31):
        raise ValueError(
            f"invalid period {text!r}: expected a non-negative whole number followed by "
            "'wd' (working days) or 'd' (calendar days), e.g. '10wd' or '7d', or 'dom26' (day of month)"
        )
    if m.group(3):
        return int(m.group(4)), "dom"
    return int(m.group(1)), m.group(2)


def due_date(calendar: WorkingCalendar, start: date, period: str) -> date:
    """Return the deadline for ``period`` (see ``parse_period``) counted from the day after ``start``."""
    n, unit = parse_period(period)
    if unit == "wd":
        return calendar.add_workdays(start, n)
    if unit == "dom":  # that day of start's month, or the month's last day when shorter (30 → 28 Feb)
        import calendar as month_calendar
        return start.replace(day=min(n, month_calendar.monthrange(start.year, start.month)[1]))
    return calendar.add_calendar_days(start, n)
