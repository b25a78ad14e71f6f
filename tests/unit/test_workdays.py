"""Working-day calendar: bundled data vs chinesecalendar, deadline arithmetic, missing years."""
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from engine.workdays import (
    DATA_DIR,
    CalendarYearMissing,
    WorkingCalendar,
    due_date,
    parse_period,
)

COVERED_YEARS = range(2020, 2027)


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar.load()


def test_bundled_years():
    assert WorkingCalendar.load().years == frozenset(COVERED_YEARS)


def test_load_is_cached():
    assert WorkingCalendar.load() is WorkingCalendar.load()


@pytest.mark.parametrize("year", COVERED_YEARS)
def test_every_day_matches_chinesecalendar(cal, year):
    day, wrong = date(year, 1, 1), []
    while day.year == year:
        if cal.is_workday(day) != chinese_calendar.is_workday(day):
            wrong.append(day)
        day += timedelta(days=1)
    assert wrong == []


def test_makeup_workday_and_holiday_weekday(cal):
    assert cal.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert not cal.is_workday(date(2026, 2, 23))  # Monday, 春节
    assert not cal.is_workday(date(2020, 2, 1))  # make-up day cancelled by the COVID extension


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (date(2026, 9, 15), 30, date(2026, 11, 2)),  # 中秋 + 国庆, workdays 9/20 and 10/10
        (date(2026, 2, 6), 20, date(2026, 3, 12)),  # 春节, workdays 2/14 and 2/28
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
    ],
)
def test_add_workdays(cal, start, n, expected):
    assert cal.add_workdays(start, n) == expected


def test_add_calendar_days_does_not_shift(cal):
    assert cal.add_calendar_days(date(2026, 9, 28), 7) == date(2026, 10, 5)


def test_negative_counts_rejected(cal):
    with pytest.raises(ValueError):
        cal.add_workdays(date(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        cal.add_calendar_days(date(2026, 1, 5), -1)


def test_datetime_rejected(cal):
    with pytest.raises(TypeError):
        cal.is_workday(datetime(2026, 1, 5))


def test_missing_year_is_an_error_even_on_a_weekday(cal):
    with pytest.raises(CalendarYearMissing) as exc:
        cal.is_workday(date(2027, 3, 3))  # a plain Wednesday
    assert exc.value.year == 2027
    assert exc.value.message_zh == "2027 年节假日安排尚未发布/未载入，无法计算工作日"
    assert "2027" in str(exc.value)
    assert isinstance(exc.value, LookupError)


def test_missing_year_before_coverage(cal):
    with pytest.raises(CalendarYearMissing) as exc:
        cal.workdays_between(date(2019, 12, 20), date(2020, 1, 10))
    assert exc.value.year == 2019


def test_add_workdays_crossing_into_missing_year(cal):
    with pytest.raises(CalendarYearMissing) as exc:
        cal.add_workdays(date(2026, 12, 15), 20)
    assert exc.value.year == 2027
    with pytest.raises(CalendarYearMissing):
        due_date(cal, date(2026, 12, 15), "20wd")


def test_workdays_between_inverts_add_workdays(cal):
    for start in (date(2020, 1, 15), date(2023, 9, 25), date(2024, 12, 28), date(2026, 2, 13), date(2026, 9, 19)):
        for n in (0, 1, 2, 5, 10, 20, 30, 60):
            end = cal.add_workdays(start, n)
            assert cal.workdays_between(start, end) == n
            assert cal.workdays_between(end, start) == -n


def test_workdays_between_half_open(cal):
    friday, monday = date(2026, 3, 6), date(2026, 3, 9)
    assert cal.workdays_between(friday, friday) == 0
    assert cal.workdays_between(friday, monday) == 1  # Friday excluded, Monday included


@pytest.mark.parametrize("text, expected", [("3wd", (3, "wd")), ("10wd", (10, "wd")), ("7d", (7, "d")), ("0d", (0, "d"))])
def test_parse_period_accepts(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["7", "wd", "-1wd", "7 days", "", " 7d", "7D", "１０wd", "3.5wd"])
def test_parse_period_rejects(text):
    with pytest.raises(ValueError, match="invalid period"):
        parse_period(text)


def test_due_date(cal):
    assert due_date(cal, date(2026, 9, 15), "30wd") == date(2026, 11, 2)
    assert due_date(cal, date(2026, 9, 28), "7d") == date(2026, 10, 5)


YEAR_2027 = """
year = 2027
notice = "made-up arrangement for the test"
published = 2026-11-01
holidays = [{ name = "元旦", dates = ["2027-01-01", "2027-01-02", "2027-01-03"] }]
workdays = ["2027-01-09"]
"""


def test_extra_year_file_needs_no_code(tmp_path):
    for p in DATA_DIR.glob("cn-*.toml"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "cn-2027.toml").write_text(YEAR_2027, encoding="utf-8")
    cal = WorkingCalendar.load(tmp_path)
    assert 2027 in cal.years
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 1, 9))  # Saturday make-up day
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    with pytest.raises(CalendarYearMissing):
        WorkingCalendar.load().is_workday(date(2027, 1, 4))


@pytest.mark.parametrize(
    "name, body, message",
    [
        ("cn-2027.toml", YEAR_2027.replace("year = 2027", "year = 2028"), "does not match"),
        ("cn-2027.toml", YEAR_2027.replace('"2027-01-09"', '"2027-01-08"'), "not a Saturday or Sunday"),
        ("cn-2027.toml", YEAR_2027.replace('"2027-01-03"', '"2026-06-03"'), "outside 2027"),
        ("cn-2027.toml", YEAR_2027.replace("notice =", "title ="), "missing key 'notice'"),
        ("cn-27.toml", YEAR_2027, "file name"),
    ],
)
def test_malformed_year_file(tmp_path, name, body, message):
    (tmp_path / name).write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.load(tmp_path)


def test_empty_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        WorkingCalendar.load(tmp_path)
