"""Working-day calendar: bundled data vs chinesecalendar, deadline arithmetic, provisional years, loading notices."""
from datetime import date, datetime, timedelta

import chinese_calendar
import holidays
import pytest

from engine.workdays import (
    CALENDAR_DIR_ENV,
    DATA_DIR,
    CalendarYearMissing,
    Due,
    WorkingCalendar,
    add_workdays_due,
    due,
    due_date,
    install_notice,
    missing_notice,
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


def test_a_year_without_a_notice_is_provisional_not_an_error(cal):
    assert cal.is_provisional(date(2027, 3, 3)) and not cal.is_provisional(date(2026, 12, 31))
    assert cal.is_workday(date(2027, 3, 3))  # a plain Wednesday
    assert not cal.is_workday(date(2027, 10, 1))  # 国庆节, statutory
    assert not cal.is_workday(date(2027, 2, 9))  # 春节 falls on a weekend: 补假 on the next working days


def test_a_provisional_year_is_weekends_plus_the_statutory_holidays_and_invents_no_makeup_day(cal):
    statutory = holidays.China(years=2027, categories=(holidays.PUBLIC,))
    day, wrong = date(2027, 1, 1), []
    while day.year == 2027:
        if cal.is_workday(day) != (day.weekday() < 5 and day not in statutory):
            wrong.append(day)
        day += timedelta(days=1)
    assert wrong == []
    assert len(statutory) >= 11  # 元旦 1, 春节 4, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3 (plus 补假)


def test_a_year_beyond_the_statutory_estimate_is_still_refused(cal):
    with pytest.raises(CalendarYearMissing) as exc:
        cal.is_workday(date(2101, 3, 3))
    assert exc.value.year == 2101 and "2101" in exc.value.message_zh
    assert isinstance(exc.value, LookupError)


def test_due_dates_say_when_they_rest_on_a_provisional_year(cal):
    assert due(cal, date(2026, 12, 15), "20wd") == Due(date(2027, 1, 13), True)
    assert due(cal, date(2026, 9, 15), "30wd") == Due(date(2026, 11, 2), False)
    assert due(cal, date(2026, 12, 28), "7d") == Due(date(2027, 1, 4), False)  # calendar days need no notice
    assert add_workdays_due(cal, date(2027, 3, 1), 0).provisional
    assert cal.workdays_between(date(2026, 12, 15), date(2027, 1, 13)) == 20


def test_admins_are_warned_from_1_november_when_next_years_notice_is_missing(cal):
    assert missing_notice(cal, date(2026, 10, 31)) is None
    assert missing_notice(cal, date(2026, 11, 1)) == 2027
    assert missing_notice(cal, date(2027, 3, 1)) == 2027  # the year itself is running on estimates
    assert missing_notice(cal, date(2025, 11, 20)) is None  # 2026 is loaded


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
    assert not cal.is_provisional(date(2027, 1, 4)) and WorkingCalendar.load().is_provisional(date(2027, 1, 4))


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


def test_empty_directory_is_all_provisional(tmp_path):
    cal = WorkingCalendar.load(tmp_path)
    assert cal.years == frozenset() and cal.is_provisional(date(2026, 5, 6))
    assert not cal.is_workday(date(2026, 5, 1))


def test_installing_a_notice_needs_no_code_and_other_processes_see_it(tmp_path, monkeypatch):
    monkeypatch.setenv(CALENDAR_DIR_ENV, str(tmp_path / "notices"))
    assert WorkingCalendar.load().is_provisional(date(2027, 1, 8))
    notice = tmp_path / "cn-2027.toml"
    notice.write_text(YEAR_2027, encoding="utf-8")
    assert install_notice(notice) == 2027
    assert (tmp_path / "notices" / "cn-2027.toml").read_text(encoding="utf-8") == YEAR_2027
    cal = WorkingCalendar.load()
    assert 2027 in cal.years and cal.is_workday(date(2027, 1, 9)) and not cal.is_workday(date(2027, 1, 2))
    assert 2026 in cal.years  # the bundled notices stay


def test_a_malformed_notice_is_refused_and_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(CALENDAR_DIR_ENV, str(tmp_path / "notices"))
    bad = tmp_path / "cn-2027.toml"
    bad.write_text(YEAR_2027.replace('"2027-01-09"', '"2027-01-08"'), encoding="utf-8")
    with pytest.raises(ValueError, match="not a Saturday or Sunday"):
        install_notice(bad)
    (tmp_path / "cn-2027.toml").write_text("year = 2027\nnot toml at all", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid TOML"):
        install_notice(tmp_path / "cn-2027.toml")
    assert not (tmp_path / "notices" / "cn-2027.toml").exists()
    assert WorkingCalendar.load().is_provisional(date(2027, 1, 8))
