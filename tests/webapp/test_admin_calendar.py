"""The admin's holiday calendar page: which years are official and which provisional; a year's notice
uploaded as a data file is refused with a message per bad line (nothing installed), or loaded — and every
open task's and case's provisional due date is recomputed, audited."""
from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO

import pytest
from lxml import html
from sqlalchemy import select

from engine.store.models import SecurityEvent
from engine.workdays import CALENDAR_DIR_ENV, WorkingCalendar
from tests.factories import start
from tests.integration.test_provisional_calendar import TEST_NOTICE_2027

MONDAY = datetime(2027, 3, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def notices(tmp_path, monkeypatch):
    """The folder where loaded notices go (as instance/calendar is in production)."""
    folder = tmp_path / "notices"
    monkeypatch.setenv(CALENDAR_DIR_ENV, str(folder))
    return folder


def upload(admin, text: str, name: str = "notice.toml"):
    return admin.client.post("/admin/calendar", content_type="multipart/form-data",
                             data={"csrf_token": admin.csrf, "file": (BytesIO(text.encode("utf-8")), name)})


def years(page: str) -> dict[int, str]:
    tree = html.fromstring(page)
    return {int(tr.get("data-year")): tr.get("class") for tr in tree.xpath("//table[contains(@class, 'calendar')]//tr[@data-year]")}


def test_the_page_lists_official_and_provisional_years(login, notices):
    page = login("admin").get("/admin/calendar")
    assert page.status_code == 200
    shown = years(page.text)
    assert shown[2026] == "official" and shown[2020] == "official" and shown[2027] == "provisional-year"
    assert "国务院办公厅关于2026年部分节假日安排的通知" in page.text and "国办发明电〔2025〕7号" in page.text
    assert login("township_xs").get("/admin/calendar").status_code == 403


BAD = """year = 2027
notice = "test"
published = 2026-11-10
holidays = [
  { name = "元旦", dates = ["2027-01-01", "2027-13-01"] },
  { name = "春节", dates = ["2026-02-01"] },
]
workdays = ["2027-01-08"]
"""


def test_a_bad_notice_is_refused_line_by_line_and_nothing_is_installed(login, notices):
    admin = login("admin")
    response = upload(admin, BAD)
    assert response.status_code == 422
    rows = [[td.text_content() for td in tr.xpath("td")]
            for tr in html.fromstring(response.text).xpath("//tr[@class='problem']")]
    assert ["5", "holidays.0.dates", "'2027-13-01' 不是 YYYY-MM-DD 格式的日期"] in rows
    assert ["6", "holidays.1.dates", "2026-02-01 不在 2027 年内"] in rows
    assert ["8", "workdays", "调休上班日 2027-01-08 不是星期六或星期日"] in rows
    assert not notices.exists() or not list(notices.iterdir())
    missing = upload(admin, "year = 2027\nholidays = []\n")
    assert missing.status_code == 422 and "缺少 notice" in missing.text
    assert upload(admin, "year = [", "x.toml").status_code == 422
    assert upload(admin, TEST_NOTICE_2027.replace("year = 2027", "year = 1800")).status_code == 422
    assert admin.post_form("/admin/calendar", {}).status_code == 400
    assert years(admin.get("/admin/calendar").text)[2027] == "provisional-year"


def test_loading_a_notice_recomputes_the_open_provisional_due_dates(login, db, clock, who, unit_id, notices):
    clock.set(MONDAY)
    walk = start(db, clock, who, unit_id)
    [task] = walk.open_tasks()
    assert task.due_provisional
    admin = login("admin")
    assert "2027" in admin.get("/inbox").text  # the warning of the missing notice, with a link to the page
    response = upload(admin, TEST_NOTICE_2027, "cn-2027.toml")
    assert response.status_code == 302
    page = admin.get(response.location).text
    assert "已载入 2027 年节假日安排" in page and years(page)[2027] == "official"
    assert (notices / "cn-2027.toml").exists() and 2027 in WorkingCalendar.load().years
    [task] = walk.open_tasks()
    assert not task.due_provisional and task.due_on == WorkingCalendar.load().add_workdays(date(2027, 3, 1), 5)
    with db.unit_of_work() as uow:
        [event] = uow.session.execute(select(SecurityEvent).where(SecurityEvent.kind == "calendar_loaded")).scalars()
    assert (event.detail["year"], event.detail["tasks"], event.detail["still_provisional"]) == (2027, 1, 0)
