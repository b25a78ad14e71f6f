"""Saved, shareable filters of the supervisor's case list with live counts; the list as CSV and XLSX."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from engine.store.models import SavedFilter
from engine import mask_id_number
from tests.factories import fresh_id_number, start


def saved_count(db) -> int:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(func.count()).select_from(SavedFilter)).scalar_one()


def test_a_shared_filter_is_used_by_another_supervisor_of_the_county_with_its_live_count(db, clock, who, unit_id,
                                                                                          login, new_user):
    for _ in range(2):
        start(db, clock, who, unit_id)
    done = start(db, clock, who, unit_id)
    done.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="不符合申请条件")
    author = login("supervisor")
    saved = author.post_form("/supervisor/filters", {"name": "办理中", "status": "running", "shared": "1"})
    assert saved.status_code == 303 and "status=running" in saved.headers["Location"]
    author.post_form("/supervisor/filters", {"name": "我的已办结", "status": "completed"})
    page = author.get("/supervisor").text
    assert re.search(r'data-filter="办理中"><a href="[^"]*status=running">办理中</a> <strong class="live-count">2<', page)
    assert re.search(r'data-filter="我的已办结">.*?live-count">1<', page)

    colleague = login(new_user(("county_supervisor", "320921")))
    page = colleague.get("/supervisor").text
    assert "办理中" in page and "我的已办结" not in page  # the shared one only
    link = re.search(r'data-filter="办理中"><a href="([^"]+)"', page).group(1).replace("&amp;", "&")
    listed = colleague.get(link).text
    assert "2 件" in listed or re.search(r">2 ?件", listed) or listed.count('href="/cases/') == 2
    start(db, clock, who, unit_id)  # the count is live: no job, no cache
    assert re.search(r'data-filter="办理中">.*?live-count">3<', colleague.get("/supervisor").text)
    # Another county's supervisor sees neither; nobody but the owner deletes.
    assert "办理中</a>" not in login("supervisor_tx").get("/supervisor").text
    with db.unit_of_work() as uow:
        shared_id = uow.session.execute(select(SavedFilter.id).where(SavedFilter.name == "办理中")).scalar_one()
    assert colleague.post_form(f"/supervisor/filters/{shared_id}/delete", {}).status_code == 404
    assert author.post_form(f"/supervisor/filters/{shared_id}/delete", {}).status_code == 303
    assert saved_count(db) == 1


def test_a_bad_filter_is_refused_and_saves_nothing(db, login):
    author = login("supervisor")
    refused = author.post_form("/supervisor/filters", {"name": "", "status": "running"})
    assert refused.status_code == 422 and "请填写名称" in refused.text
    author.post_form("/supervisor/filters", {"name": "同名", "status": "running"})
    again = author.post_form("/supervisor/filters", {"name": "同名", "status": "completed"})
    assert again.status_code == 422 and "已有名为" in again.text
    assert author.get("/supervisor?from=2026-13-01").status_code == 422
    assert author.get("/supervisor?status=nonsense").status_code == 422
    assert login("village_sy").post_form("/supervisor/filters", {"name": "x"}).status_code == 403
    assert saved_count(db) == 1


def test_the_filtered_list_exports_as_csv_and_xlsx_with_masked_id_numbers(db, clock, who, unit_id, login):
    id_number = fresh_id_number()
    walk = start(db, clock, who, unit_id, applicant_id_number=id_number)
    user = login("supervisor")
    csv = user.get("/supervisor/export?format=csv&status=running")
    assert csv.status_code == 200 and csv.headers["Cache-Control"] == "no-store"
    text = csv.data.decode("utf-8-sig")
    assert walk.number in text and mask_id_number(id_number) in text and id_number not in text
    assert walk.number not in user.get("/supervisor/export?format=csv&status=completed").data.decode("utf-8-sig")
    xlsx = user.get("/supervisor/export?format=xlsx&from=2026-09-01&to=2026-09-30")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[3]][0] == walk.number and sheet[2][0].value == "案件编号"
    assert user.get("/supervisor/export?format=pdf").status_code == 400
    assert login("village_sy").get("/supervisor/export?format=csv").status_code == 403
