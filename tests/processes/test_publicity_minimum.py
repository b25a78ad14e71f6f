"""Gap 14: Jiangsu's 公示 of at least 5 working days (苏民规〔2020〕5号) against Xiangshui's 7 calendar days
(counties.toml `publicity_min_workdays`): a 公示 posted before a holiday ends no earlier than the end of the
5th working day; otherwise it keeps its 7 days."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from engine.catalogue.rules import rules_in_force
from engine.clock import clock_context, end_of_local_day
from engine.runtime.approved_functions import publicity_period
from engine.workdays import WorkingCalendar
from tests.factories import start
from tests.processes.test_temporary_assistance import documents

pytestmark = pytest.mark.usefixtures("db")


def china_10am(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=timezone.utc)


def publicity_end(db, clock, who, unit_id, posted: date) -> datetime:
    """Post a Xiangshui 低保 case's 公示 on ``posted`` (10:00) and return when its timer falls due."""
    clock.set(china_10am(posted))
    w = start(db, clock, who, unit_id)
    w.drive_to("publicity")
    notice = documents(db, w.case_id)["publicity_list"].body
    assert "公示期 7 天，且不少于 5 个工作日（遇节假日顺延）" in notice, "the posted list says how long it lasts"
    return w.case().next_due_at


def test_xiangshui_counts_7_days_with_jiangsus_minimum_of_5_working_days():
    rules = rules_in_force("320921", date(2026, 9, 28))
    assert (rules["publicity_days"], rules["publicity_unit"], rules["publicity_min_workdays"]) == (7, "d", 5)
    assert "苏民规〔2020〕5号" in rules["sources"]["publicity_min_workdays"]
    jilin = rules_in_force("220302", date(2026, 9, 28))
    assert jilin["publicity_min_workdays"] == 0 and "未查到工作日下限" in jilin["assumptions"]["publicity_min_workdays"]


def test_a_publicity_posted_before_national_day_2026_ends_on_the_5th_working_day(db, clock, who, unit_id):
    # 9-29, 9-30, (10-01 … 10-07 国庆), 10-08, 10-09, 10-10 (a Saturday worked, 调休): the 5th working day is
    # 10-10; seven days would have ended on 10-05, inside the holiday, after 2 working days.
    assert publicity_end(db, clock, who, unit_id, date(2026, 9, 28)) == end_of_local_day(date(2026, 10, 10))


def test_a_publicity_posted_before_the_spring_festival_2027_on_provisional_days(db, clock, who, unit_id):
    # 2027 has no State Council notice yet: its days off are provisional (weekends and the statutory holidays
    # as the holidays package estimates them, no 调休), and the 公示's end rests on them.
    calendar = WorkingCalendar.load()
    assert 2027 not in calendar.years and calendar.is_provisional(date(2027, 2, 3))
    fifth = calendar.add_workdays(date(2027, 2, 3), 5)
    assert fifth == date(2027, 2, 16) and calendar.is_provisional_span(date(2027, 2, 3), fifth)
    assert publicity_end(db, clock, who, unit_id, date(2027, 2, 3)) == end_of_local_day(fifth)


def test_a_publicity_with_no_holiday_inside_keeps_its_7_days(db, clock, who, unit_id):
    assert publicity_end(db, clock, who, unit_id, date(2026, 11, 2)) == china_10am(date(2026, 11, 9))


def test_the_minimum_changes_nothing_without_a_minimum_or_for_a_demos_short_publicity():
    with clock_context(china_10am(date(2026, 9, 28))):
        assert publicity_period("P7D", 7, "d") == "P7D"
        assert publicity_period("P7D", 7, "d", 0) == "P7D"
        assert publicity_period("PT2M", 7, "d", 5) == "PT2M", "a demo's shortened 公示 stays short"
        seconds = int(publicity_period("P7D", 7, "d", 5)[2:-1])
        assert china_10am(date(2026, 9, 28)) + timedelta(seconds=seconds) == end_of_local_day(date(2026, 10, 10))
        with pytest.raises(ValueError):
            publicity_period("P7D", 7, "d", 999)
