"""A finished case (办结: completed, or terminated 终止) offers no form that acts on it, and the server refuses
each such POST with 409, a message saying the case is finished (Chinese, or English from the catalogue), and
no change. A suspended case (挂起) keeps what the operations' rules allow: scans for 补正, 恢复, 终止."""
from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import func, select

from engine.store.models import Attachment, Case, CaseEvent
from tests.factories import LANE_USERS, sample_scan, start

pytestmark = pytest.mark.usefixtures("db")

# Each form the case page offers on a running case, by the URL it posts to.
CASE_FORMS = ("/attachments", "/suspend", "/terminate", "/extend", "/complaint", "/urge")


@pytest.fixture
def walk(db, clock, who, unit_id):
    """A 低保 case accepted (受理: its overall limit runs, so it may be extended), its next step open."""
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance")
    return walk


def terminate(login, walk):
    ended = login("county_mz").post_form(f"/cases/{walk.case_id}/terminate", {"reason": "申请人已迁出本县"})
    assert ended.status_code == 303


def upload(user, case_id, **fields):
    return user.client.post(f"/cases/{case_id}/attachments", content_type="multipart/form-data", data={
        "csrf_token": user.csrf, "material": "household_register",
        "file": (BytesIO(sample_scan("png")), "户口簿.png"), **fields})


def counts(db, case_id) -> tuple:
    """What a refused POST must not change: the scans, the events and the case row's revision."""
    with db.unit_of_work() as uow:
        s = uow.session
        return (s.execute(select(func.count()).select_from(Attachment)).scalar(),
                s.execute(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)).scalar(),
                s.get(Case, case_id).revision, s.get(Case, case_id).due_on)


def forms_on(page: str, case_id: int) -> list[str]:
    return [f for f in CASE_FORMS if f'action="/cases/{case_id}{f}"' in page]


def test_a_running_case_page_offers_its_forms(walk, login):
    assert forms_on(login("county_mz").get(f"/cases/{walk.case_id}").text, walk.case_id) == [
        "/attachments", "/suspend", "/terminate", "/extend", "/urge"]


def test_a_terminated_case_offers_no_form_and_refuses_every_post(walk, login, db, attachments_dir):
    task = walk.open_tasks()[0]
    terminate(login, walk)
    county, township = login("county_mz"), login("township_xs")
    worker = login(LANE_USERS[walk.township][task.role])  # the user of the open step's lane
    for user in (county, township, login("village_sy")):
        page = user.get(f"/cases/{walk.case_id}").text
        assert forms_on(page, walk.case_id) == [] and 'enctype="multipart/form-data"' not in page
        assert 'class="finished card"' in page and "终止办理" in page and "不能再上传申请材料" in page
    task_page = worker.get(f"/tasks/{task.id}").text
    assert "该环节已结束，不能再办理。" in task_page
    assert 'enctype="multipart/form-data"' not in task_page and 'class="task-form"' not in task_page
    before = counts(db, walk.case_id)
    refusals = [upload(township, walk.case_id), upload(worker, walk.case_id, task_id=task.id),
                upload(login("village_sy"), walk.case_id),
                township.post_form(f"/cases/{walk.case_id}/suspend", {"reason": "申请人住院"}),
                township.post_form(f"/cases/{walk.case_id}/resume", {"reason": "申请人出院"}),
                county.post_form(f"/cases/{walk.case_id}/terminate", {"reason": "再次终止"}),
                county.post_form(f"/cases/{walk.case_id}/extend", {"extra_workdays": "5", "reason": "需补充调查"}),
                county.post_form(f"/cases/{walk.case_id}/complaint", {"kind": "complaint", "complaint": "收入不实"}),
                login("supervisor").post_form(f"/cases/{walk.case_id}/urge", {"task_id": task.id, "message": "请加快"}),
                worker.post_form(f"/tasks/{task.id}", {"opinion": "eligible"}),
                worker.post_form(f"/tasks/{task.id}/claim", {})]
    for response in refusals:
        assert response.status_code == 409, (refusals.index(response), response.text[-600:])
        assert "案件已办结（已终止），不能再" in response.text, response.text
        assert f'href="/cases/{walk.case_id}"' in response.text or f'href="/tasks/{task.id}"' in response.text
    assert "不能再上传申请材料" in refusals[0].text and "不能再挂起" in refusals[3].text
    assert counts(db, walk.case_id) == before
    assert not any(p.is_file() for p in attachments_dir.rglob("*")) if attachments_dir.exists() else True


def test_the_refusal_in_english_comes_from_the_catalogue(walk, login):
    terminate(login, walk)
    clerk = login("township_xs")
    clerk.post_form("/lang/en", {"next": "/"})
    refused = upload(clerk, walk.case_id)
    assert refused.status_code == 409
    assert "This case is finished (terminated): filing a scan is no longer possible." in refused.text
    assert "Back to the case" in refused.text
    page = clerk.get(f"/cases/{walk.case_id}").text
    assert "nothing more is done on it" in page and "no more scans are filed on it" in page
    api = clerk.client.post(f"/api/v1/cases/{walk.case_id}/suspend", json={"reason": "申请人住院"},
                            headers={"X-CSRFToken": clerk.csrf})
    assert api.status_code == 409 and api.json["error"] == "case_finished" and api.json["action"] == "suspend"
    assert api.json["message_zh"] == "案件已办结（已终止），不能再挂起"


def test_a_completed_case_offers_no_upload_and_refuses_one(walk, login, db):
    walk.drive_to(None)
    assert walk.case().status == "completed" and walk.case().outcome != "terminated"
    township = login("township_xs")
    page = township.get(f"/cases/{walk.case_id}").text
    assert forms_on(page, walk.case_id) == [] and 'class="finished card"' in page
    before = counts(db, walk.case_id)
    refused = upload(township, walk.case_id)
    assert refused.status_code == 409 and "案件已办结（已完成），不能再上传申请材料" in refused.text
    assert counts(db, walk.case_id) == before
    # the household's own file still takes scans: the household is not finished
    household_page = township.get(f"/households/{walk.case().household_id}/attachments").text
    assert 'enctype="multipart/form-data"' in household_page


def test_a_suspended_case_takes_scans_and_resumes_but_its_steps_wait(walk, login, db):
    task = walk.open_tasks()[0]
    township = login("township_xs")
    assert township.post_form(f"/cases/{walk.case_id}/suspend", {"reason": "待申请人补充材料"}).status_code == 303
    page = township.get(f"/cases/{walk.case_id}").text
    assert forms_on(page, walk.case_id) == ["/attachments", "/extend"] and 'class="finished card"' not in page
    assert f'action="/cases/{walk.case_id}/resume"' in page
    assert 'action="/cases/{}/terminate"'.format(walk.case_id) in login("county_mz").get(f"/cases/{walk.case_id}").text
    assert upload(township, walk.case_id).status_code == 303  # the materials of a 补正 come in while it waits
    refused = login(LANE_USERS[walk.township][task.role]).post_form(f"/tasks/{task.id}/claim", {})
    assert refused.status_code == 409 and "案件已挂起" in refused.text
    assert township.post_form(f"/cases/{walk.case_id}/resume", {"reason": "材料已补正"}).status_code == 303
