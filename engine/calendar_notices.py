"""Holiday notices (国务院办公厅关于部分节假日安排的通知) as an administrator loads them in the browser: which
years are official and which provisional (暂定), and a year's notice uploaded as a data file — checked with
a message per bad line, installed where every process reads notices (``workdays.install_notice``, as
``jiuzhu calendar load`` does) and every open due date recomputed (``cases.due_dates.recompute``).
"""
from __future__ import annotations

import hashlib
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from engine.cases.due_dates import Recomputed, provisional_count, recompute
from engine.catalogue.datafiles import DataFile
from engine.clock import Clock
from engine.errors import DataFileInvalid, Problem
from engine.people.accounts import Principal
from engine.people.security_events import record_event
from engine.people.users import require_admin
from engine.workdays import (DATA_DIR, PROVISIONAL_YEARS, WorkingCalendar, data_directories, install_notice,
                             missing_notice, notice_problems)


@dataclass(frozen=True)
class CalendarYear:
    """One year of the calendar: official (a notice, shipped or loaded) or provisional (estimated)."""

    year: int
    official: bool
    source: str  # shipped | loaded | estimate
    notice: str | None = None
    document: str | None = None
    published: date | None = None
    url: str | None = None


def calendar_years(today: date) -> list[CalendarYear]:
    """The years from the first notice to next year, each official or provisional, with its notice."""
    notices: dict[int, CalendarYear] = {}
    for directory in data_directories():  # a later directory's file replaces an earlier one's
        for path in sorted(Path(directory).glob("cn-*.toml")):
            with path.open("rb") as fh:
                data = tomllib.load(fh)
            notices[data["year"]] = CalendarYear(
                data["year"], True, "shipped" if Path(directory) == DATA_DIR else "loaded", data.get("notice"),
                data.get("document"), data.get("published"), data.get("source"))
    first = min([*notices, today.year])
    last = max(today.year + 1, *notices)
    return [notices.get(y) or CalendarYear(y, False, "estimate") for y in range(first, last + 1)]


def calendar_status(session: Session, today: date) -> tuple[int | None, int]:
    """The year whose notice admins should load now (or None), and how many open tasks and running cases
    have a provisional due date."""
    return missing_notice(WorkingCalendar.load(), today), provisional_count(session)


def check_notice(path: Path, display_name: str) -> int:
    """Check an uploaded notice file: its TOML, its keys and every date, each problem with its line;
    returns its year. DataFileInvalid lists every problem; nothing is installed."""
    source = DataFile(path, display_name)
    problems = [source.problem(where, en, zh) for where, en, zh in notice_problems(source.data)]
    year = source.data.get("year")
    if not problems and year not in PROVISIONAL_YEARS:
        problems.append(source.problem(("year",), f"{year} is outside the years the calendar covers",
                                       f"{year} 年不在可计算工作日的年份范围内"))
    if problems:
        raise DataFileInvalid(problems)
    return year


def load_notice(session: Session, actor: Principal | None, clock: Clock, path: Path, display_name: str
                ) -> tuple[int, Recomputed]:
    """Check and install an uploaded notice, then recompute every open task's and running case's due date
    under it, audited; returns (year, what the recomputation changed). The caller commits the recomputation;
    the notice file is in place from here on, so were the commit to fail, ``jiuzhu calendar reload``
    recomputes."""
    require_admin(actor)
    year = check_notice(path, display_name)
    content = path.read_bytes()
    with tempfile.TemporaryDirectory() as folder:  # install_notice takes the year from the file's name
        staged = Path(folder) / f"cn-{year}.toml"
        staged.write_bytes(content)
        try:
            install_notice(staged)
        except ValueError as exc:  # it contradicts another year's notice (a date both off and worked)
            raise DataFileInvalid([Problem(display_name, None, None, str(exc),
                                           f"与其他年份的节假日安排冲突：{exc}")]) from None
    result = recompute(session, clock)
    record_event(session, clock.now(), "calendar_loaded", actor=actor, year=year, file=display_name[:100],
                 sha256=hashlib.sha256(content).hexdigest(), tasks=result.tasks, cases=result.cases,
                 still_provisional=result.still_provisional)
    return year, result
