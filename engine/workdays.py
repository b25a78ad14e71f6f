"""Working-day (工作日) arithmetic for statutory deadlines.

The calendar is data, not code: each year is one ``calendar_data/cn-YYYY.toml``
file transcribing the State Council notice (国务院办公厅关于YYYY年部分节假日安排的通知).
A year without a file is *provisional* (暂定): weekends plus the statutory holidays
of 《全国年节及纪念日放假办法》 as the ``holidays`` library computes them (with the
补假 of a holiday falling on a weekend), and no 调休 make-up workday, since those
cannot be derived from the rules. Callers ask ``is_provisional_span`` whether a
result rests on such a year and mark it; ``jiuzhu calendar load FILE`` adds a
notice and recomputes what was provisional. Only a year the library cannot
compute either (before 1950, after 2100) raises ``CalendarYearMissing``.
"""
from __future__ import annotations

import calendar as month_calendar
import functools
import os
import re
import shutil
import time
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import holidays as holidays_lib

DATA_DIR = Path(__file__).with_name("calendar_data")
INSTANCE_DIR = Path(__file__).resolve().parents[1] / "instance" / "calendar"
CALENDAR_DIR_ENV = "JIUZHU_CALENDAR_DIR"
NOTICE_WARNING_MONTH = 11  # admins are warned from 1 November when next year's notice is missing
_FILE_NAME = re.compile(r"cn-(\d{4})\.toml")
# ASCII digits only: str.isdigit/\d would also accept full-width '１０wd'.
_PERIOD = re.compile(r"([0-9]+)(wd|d)|(dom)([0-9]{1,2})")


class CalendarYearMissing(LookupError):
    """A date falls in a year that neither a notice nor the statutory rules cover (``year``, ``message_zh``)."""

    def __init__(self, year: int):
        self.year = year
        self.message_zh = f"{year} 年不在可计算工作日的年份范围内"
        super().__init__(f"No holiday arrangement or statutory estimate for {year}; cannot compute working days")


# The statutory holidays as the holidays library estimates them, for the years it covers.
PROVISIONAL_YEARS = range(holidays_lib.China.start_year, holidays_lib.China.end_year + 1)


@functools.cache
def provisional_days_off(year: int) -> frozenset[date]:
    """Statutory days off of ``year`` (with 补假) per the holidays library: the estimate for a year
    whose State Council notice is not loaded. Weekends are not listed."""
    if year not in PROVISIONAL_YEARS:
        raise CalendarYearMissing(year)
    days = holidays_lib.China(years=year, categories=(holidays_lib.PUBLIC,), observed=True, language="zh_CN")
    # A 调休 day off the library knows from a notice comes with a make-up workday it does not list:
    # half a swap would be wrong, so an estimate keeps to the statutory days (and their 补假).
    return frozenset(day for day, name in days.items() if "调休" not in name)


class WorkingCalendar:
    """Mainland-China working days: official for the years with a notice file, provisional otherwise."""

    def __init__(self, years: frozenset[int], holidays: frozenset[date], workdays: frozenset[date]):
        """Build a calendar from covered years, days off and make-up workdays; prefer ``load``."""
        self.years = years
        self._holidays = holidays
        self._workdays = workdays
        # Per year, the running count of working days up to each day, so that "working days left"
        # on a 50-row inbox page is 50 lookups. Filled lazily (a provisional year costs ~2 ms once).
        self._running: dict[int, list[int]] = {}

    @classmethod
    def load(cls, directory: Path | None = None) -> "WorkingCalendar":
        """Return the calendar of every ``cn-*.toml`` in ``directory`` (default: the bundled data plus
        ``$JIUZHU_CALENDAR_DIR``), cached until a file is added or replaced.

        Raises ValueError for a malformed file.
        """
        # Looking at the files costs system calls on every call, and pages call this once per row: the
        # answer is kept for a moment (RECHECK_SECONDS), so a notice installed by another process is seen
        # within seconds, one installed by this process at once (install_notice forgets the answers).
        key = (directory, os.environ.get(CALENDAR_DIR_ENV))
        now = time.monotonic()
        known = _recent.get(key)
        if known is not None and now - known[0] < RECHECK_SECONDS:
            return known[1]
        directories = (Path(directory),) if directory is not None else data_directories()
        resolved = tuple(d.resolve() for d in directories)
        calendar = _load(resolved, tuple(_signature(d) for d in resolved))
        _recent[key] = (now, calendar)
        return calendar

    def is_provisional(self, d: date) -> bool:
        """True when ``d`` lies in a year without a loaded notice (its working days are estimated)."""
        return d.year not in self.years

    def is_provisional_span(self, start: date, end: date) -> bool:
        """True when counting working days over (start, end] touches a year without a loaded notice."""
        first, last = sorted((start, end))
        return any(year not in self.years for year in range(first.year, last.year + 1))

    def _check(self, d: date) -> None:
        # A datetime never equals a date, so it would silently miss every holiday.
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"expected a datetime.date, got {type(d).__name__}")

    def is_workday(self, d: date) -> bool:
        """True for a weekday that is not a day off, or for a 调休 weekend workday."""
        self._check(d)
        # A notice's dates win even outside its year (a 元旦 break reaching back into December).
        if d in self._workdays:
            return True
        if d in self._holidays:
            return False
        if d.weekday() >= 5:
            return False
        return d.year in self.years or d not in provisional_days_off(d.year)

    def _running_count(self, d: date) -> int:
        """Working days from 1 January of ``d``'s year up to and including ``d``."""
        table = self._running.get(d.year)
        if table is None:
            table, count, day = [], 0, date(d.year, 1, 1)
            while day.year == d.year:
                count += self.is_workday(day)
                table.append(count)
                day += timedelta(days=1)
            self._running[d.year] = table
        return table[d.timetuple().tm_yday - 1]

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
        self._check(start)
        self._check(end)
        if end < start:
            return -self.workdays_between(end, start)
        count = self._running_count(end) - self._running_count(start)
        for year in range(start.year, end.year):
            count += self._running_count(date(year, 12, 31))
        return count

    def add_calendar_days(self, start: date, n: int) -> date:
        """Return ``start + n`` calendar days (e.g. a 7-day 公示), with no holiday shift.

        Moving an end date that falls on a holiday is a local rule, so it is left to the caller.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return start + timedelta(days=n)


RECHECK_SECONDS = 2.0
_recent: dict[tuple, tuple[float, "WorkingCalendar"]] = {}


def data_directories() -> tuple[Path, ...]:
    """Where notice files are read from: the bundled data, then the notices loaded after installation
    (``$JIUZHU_CALENDAR_DIR``, else ``instance/calendar``, which every process of an installation shares
    like its attachments); a loaded file wins for its year."""
    extra = os.environ.get(CALENDAR_DIR_ENV)
    return DATA_DIR, Path(extra) if extra else INSTANCE_DIR


def _signature(directory: Path) -> int:
    # A notice is added by an atomic rename, which changes the directory's mtime: other processes
    # (web workers, the scheduler) then reload on their next call without a restart.
    try:
        return os.stat(directory).st_mtime_ns
    except FileNotFoundError:
        return 0


NOTICE_KEYS = ("year", "notice", "published", "holidays", "workdays")


def _as_date(value: object) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def notice_problems(data: dict, year: int | None = None) -> list[tuple[tuple, str, str]]:
    """Every problem of a notice's data, each as (key path, English, Chinese): the path finds the line of a
    file (``catalogue.datafiles``). ``year`` is the year the file's name says, when it has one."""
    problems: list[tuple[tuple, str, str]] = []
    for key in NOTICE_KEYS:
        if key not in data:
            problems.append(((key,), f"missing key {key!r}", f"缺少 {key}"))
    if problems:
        return problems
    if not isinstance(data["year"], int) or isinstance(data["year"], bool):
        return [(("year",), f"year = {data['year']!r} is not a year", f"year = {data['year']!r} 不是年份")]
    if year is not None and data["year"] != year:
        problems.append((("year",), f"year = {data['year']!r} does not match the file name",
                         f"year = {data['year']} 与文件名中的年份 {year} 不符"))
    year = data["year"]
    found: dict[str, dict[date, tuple]] = {"holiday": {}, "workday": {}}
    holidays, workdays = data["holidays"], data["workdays"]
    if not isinstance(holidays, list) or not all(isinstance(h, dict) and isinstance(h.get("dates"), list)
                                                 for h in holidays):
        problems.append((("holidays",), "holidays are not in the expected shape: [{ name = …, dates = [...] }]",
                         "holidays 格式不正确，应为 [{ name = …, dates = [...] }]"))
    else:
        for i, entry in enumerate(holidays):
            found["holiday"].update({d: ("holidays", i, "dates") for d in map(_as_date, entry["dates"]) if d})
            problems += [(("holidays", i, "dates"), f"{v!r} is not a YYYY-MM-DD date", f"{v!r} 不是 YYYY-MM-DD 格式的日期")
                         for v in entry["dates"] if _as_date(v) is None]
    if not isinstance(workdays, list):
        problems.append((("workdays",), "workdays are not in the expected shape: a list of dates",
                         "workdays 格式不正确，应为日期列表"))
    else:
        found["workday"].update({d: ("workdays",) for d in map(_as_date, workdays) if d})
        problems += [(("workdays",), f"{v!r} is not a YYYY-MM-DD date", f"{v!r} 不是 YYYY-MM-DD 格式的日期")
                     for v in workdays if _as_date(v) is None]
    for kind in ("holiday", "workday"):
        for d, where in sorted(found[kind].items()):
            # Only a 元旦 break may reach back into the previous December; anything
            # else outside the year is almost certainly a typo in the transcription.
            if not (d.year == year or (d.year == year - 1 and d.month == 12)):
                problems.append((where, f"{d} lies outside {year}", f"{d} 不在 {year} 年内"))
            # Make-up days only make sense on weekends; a weekday here is a typo.
            if kind == "workday" and d.weekday() < 5:
                problems.append((where, f"make-up workday {d} is not a Saturday or Sunday",
                                 f"调休上班日 {d} 不是星期六或星期日"))
    for d in sorted(found["holiday"].keys() & found["workday"].keys()):
        problems.append((found["workday"][d], f"{d} is listed both as day off and as workday",
                         f"{d} 同时列为放假日和调休上班日"))
    return problems


def notice_dates(data: dict) -> tuple[set[date], set[date]]:
    """(days off, make-up workdays) of notice data without problems."""
    return ({_as_date(v) for h in data["holidays"] for v in h["dates"]},  # type: ignore[misc]
            {_as_date(v) for v in data["workdays"]})  # type: ignore[misc]


def read_notice_file(path: Path) -> tuple[int, set[date], set[date]]:
    """Check one notice file on its own: (year, days off, make-up workdays); ValueError (its first problem)
    when malformed."""
    m = _FILE_NAME.fullmatch(path.name)
    if not m:
        raise ValueError(f"{path.name}: expected a file name like cn-2026.toml")
    year = int(m.group(1))
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path.name}: not valid TOML ({exc})") from exc
    if problems := notice_problems(data, year):
        raise ValueError(f"{path.name}: {problems[0][1]}")
    holidays, workdays = notice_dates(data)
    return year, holidays, workdays


@functools.lru_cache(maxsize=8)
def _load(directories: tuple[Path, ...], _signatures: tuple[int, ...]) -> WorkingCalendar:
    by_year: dict[int, tuple[set[date], set[date]]] = {}
    for directory in directories:  # a later directory's file replaces an earlier one's for its year
        for path in sorted(directory.glob("cn-*.toml")):
            year, h, w = read_notice_file(path)
            by_year[year] = (h, w)
    holidays = {d for h, _w in by_year.values() for d in h}
    workdays = {d for _h, w in by_year.values() for d in w}
    if clash := holidays & workdays:
        raise ValueError(f"dates listed both as day off and as workday: {sorted(clash)}")
    return WorkingCalendar(frozenset(by_year), frozenset(holidays), frozenset(workdays))


def install_notice(path: Path) -> int:
    """Check a notice file and put it where the calendar reads loaded notices (``data_directories``, the
    last); returns its year. A file that is malformed or contradicts another year's file
    is refused and nothing changes."""
    path = Path(path)
    year, _holidays, _workdays = read_notice_file(path)
    directory = data_directories()[-1]
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / path.name
    previous = target.read_bytes() if target.exists() else None
    staged = directory / f".{path.name}.tmp"  # never matched by cn-*.toml
    shutil.copyfile(path, staged)
    os.replace(staged, target)  # atomic: a reader sees the old file or the new one
    _load.cache_clear()
    _recent.clear()
    try:
        WorkingCalendar.load()
    except ValueError:
        if previous is None:
            target.unlink()
        else:
            target.write_bytes(previous)
        _load.cache_clear()
        _recent.clear()
        raise
    return year


def missing_notice(calendar: WorkingCalendar, today: date) -> int | None:
    """The year whose notice admins should load now: this year's if it is missing, else next year's
    from 1 November (the State Council usually publishes it in November); None when nothing is due."""
    if today.year not in calendar.years:
        return today.year
    if today.month >= NOTICE_WARNING_MONTH and today.year + 1 not in calendar.years:
        return today.year + 1
    return None


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


class Due(NamedTuple):
    """A due date and whether it rests on a provisional (暂定) year of the calendar."""

    on: date
    provisional: bool


def due(calendar: WorkingCalendar, start: date, period: str) -> Due:
    """``due_date`` with its provisional flag: only working-day periods depend on the holiday table."""
    day = due_date(calendar, start, period)
    return Due(day, parse_period(period)[1] == "wd" and calendar.is_provisional_span(start, day))


def add_workdays_due(calendar: WorkingCalendar, start: date, n: int) -> Due:
    """``add_workdays`` with its provisional flag (for limits counted from acceptance)."""
    day = calendar.add_workdays(start, n)
    return Due(day, calendar.is_provisional_span(start, day))


def due_by(day: date) -> Due:
    """A limit that must be met by ``day`` ("within 3 months", "before the 18th birthday"): that day, or the working
    day before it when it is a day off (never moved later); a day beyond every loaded or estimated year is kept,
    flagged provisional (暂定)."""
    try:
        calendar = WorkingCalendar.load()
        last = day
        while not calendar.is_workday(last):
            last = date.fromordinal(last.toordinal() - 1)
        return Due(last, calendar.is_provisional(last))
    except CalendarYearMissing:
        return Due(day, True)


# --- months (payments start on the first of a month; reviews fall due months later) ----------
def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's end)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def first_of_next_month(day: date) -> date:
    """The first day of the month after ``day`` (payments start then)."""
    return add_months(day.replace(day=1), 1)
