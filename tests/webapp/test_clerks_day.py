"""The clerk's day (issue 11): inbox filters with each option's count (role × place: another township sees
none of it), saved and shared inbox filters, the notification kinds (each raised once), the case timeline's
values and what changed, and the county's operation log (searchable, paginated, place enforced)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.store.models import Notification, SavedFilter, Unit
from tests.factories import start

DAHE, CHENGANG = "320921100202", "320921101201"  # 大河村 (响水镇), 陈港村 (陈家港镇)


def counts_of(page: str, dim: str) -> dict[str, int]:
    """The counts the inbox shows for a filter's options: {option key: n} (``all`` for the facet's total)."""
    return {m[0]: int(m[1]) for m in re.findall(
        rf'class="{dim}-([\w-]+)"[^>]*>[^<]*<span class="count">(\d+)<', page)}


def listed(page: str) -> str:
    return page.split('<table class="list inbox')[1] if '<table class="list inbox' in page else ""


def notes(db, kind, case_id=None):
    with db.unit_of_work() as uow:
        clause = [Notification.kind == kind] + ([Notification.case_id == case_id] if case_id else [])
        return uow.session.execute(select(func.count()).select_from(Notification).where(*clause)).scalar()


@pytest.fixture
def cases(db, clock, who, unit_id):
    """Three 响水镇 cases (two in 双园村, one in 大河村, one of them claimed), one of 陈家港镇."""
    from engine.cases.operations import claim_task
    shuangyuan = start(db, clock, who, unit_id)
    claimed = start(db, clock, who, unit_id)
    dahe = start(db, clock, who, unit_id, village=DAHE, username="township_xs")
    other = start(db, clock, who, unit_id, village=CHENGANG, username="village_cg")
    with db.unit_of_work(write=True) as uow:
        claim_task(uow.session, who("township_xs"), clock, claimed.open_tasks()[0].id)
        uow.commit()
    return shuangyuan, claimed, dahe, other


def test_inbox_filters_with_counts_in_the_clerks_place_only(cases, login, unit_id, clock):
    shuangyuan, claimed, dahe, other = cases
    clerk = login("township_xs")
    page = clerk.get("/inbox").text
    assert counts_of(page, "village") == {"all": 3, str(unit_id("320921100201")): 2, str(unit_id(DAHE)): 1}
    assert counts_of(page, "held") == {"all": 3, "mine": 1, "queue": 2}
    assert counts_of(page, "type") == {"all": 3, "minimum_living": 3}
    assert counts_of(page, "step") == {"all": 3, "acceptance": 3}
    assert counts_of(page, "due") == {"all": 3, "later": 3}
    assert other.number not in page

    narrowed = clerk.get(f"/inbox?village={unit_id(DAHE)}").text
    assert dahe.number in listed(narrowed) and shuangyuan.number not in listed(narrowed)
    # a facet counts without its own choice, the others with it
    assert counts_of(narrowed, "village")["all"] == 3 and counts_of(narrowed, "held") == {"all": 1, "queue": 1}
    both = clerk.get(f"/inbox?village={unit_id('320921100201')}&held=mine").text
    assert claimed.number in listed(both) and shuangyuan.number not in listed(both)

    # another township's clerk: none of it, whatever the filters say
    stranger = login("township_cjg")
    theirs = stranger.get(f"/inbox?village={unit_id('320921100201')}").text
    assert shuangyuan.number not in theirs and claimed.number not in theirs
    assert "双园村" not in theirs  # the chosen village of another township is not named to them either
    # a village of the clerk's own township with no task there yet is named as the chosen option
    assert "城东社区" in clerk.get(f"/inbox?village={unit_id('320921100003')}").text
    assert counts_of(stranger.get("/inbox").text, "village") == {"all": 1, str(unit_id(CHENGANG)): 1}
    assert stranger.get("/api/v1/tasks?village=%d" % unit_id(DAHE)).json["total"] == 0
    assert clerk.get("/api/v1/tasks?held=mine").json["total"] == 1


def test_due_date_filters_overdue_soon_and_a_range(cases, login, clock):
    shuangyuan, claimed, dahe, other = cases
    clerk = login("township_xs")
    due = {t.due_on for w in cases[:3] for t in w.open_tasks()}
    (due_on,) = due
    assert counts_of(clerk.get("/inbox?within=10").text, "due") == {"all": 3, "soon": 3}
    assert counts_of(clerk.get("/inbox?within=1").text, "due") == {"all": 3, "later": 3}
    in_range = clerk.get(f"/inbox?due_from={due_on}&due_to={due_on}").text
    assert all(w.number in listed(in_range) for w in cases[:3])
    assert "320921" not in listed(clerk.get(f"/inbox?due_to={due_on.replace(day=due_on.day - 1)}").text)
    clock.advance(days=20)
    clerk = login("township_xs")  # a session idle for 20 days has ended
    late = clerk.get("/inbox?due=overdue").text
    assert counts_of(late, "due") == {"all": 3, "overdue": 3} and dahe.number in listed(late)
    assert clerk.get("/inbox?within=0").status_code == 400
    for bad, field in (("due=late", "办理期限应为"), ("due_from=2026-13-01", "日期格式"),
                       ("due_from=2026-10-02&due_to=2026-10-01", "截止日期不能早于"), ("type=nothing", "救助类型")):
        refused = clerk.get(f"/inbox?{bad}")
        assert refused.status_code == 422 and field in refused.text, bad
    assert clerk.get("/inbox?village=abc").status_code == 400


def test_a_shared_inbox_filter_is_used_by_a_colleague_with_their_live_count(cases, login, db, unit_id, new_user):
    colleague, stranger = new_user(("township", "320921100")), login("township_cjg")
    clerk = login("township_xs")
    village = str(unit_id(DAHE))
    saved = clerk.post_form("/inbox/filters", {"name": "大河村待办", "village": village, "shared": "1"})
    assert saved.status_code == 303 and f"village={village}" in saved.headers["Location"]
    clerk.post_form("/inbox/filters", {"name": "我认领的", "held": "mine"})  # not shared
    with db.unit_of_work() as uow:
        rows = {f.name: f for f in uow.session.execute(select(SavedFilter)).scalars()}
        assert rows["大河村待办"].kind == "inbox" and rows["大河村待办"].unit_id == unit_id("320921100")
    theirs = login(colleague).get("/inbox").text
    item = re.search(r'<li data-filter="大河村待办">.*?</li>', theirs, re.S).group(0)
    assert '<strong class="live-count">1</strong>' in item and "测试用户" not in item
    assert f"village={village}" in item and 'data-filter="我认领的"' not in theirs
    assert "大河村待办" not in stranger.get("/inbox").text, "shared with the unit, not the county"
    assert "大河村待办" not in login("supervisor").get("/supervisor").text, "an inbox filter is not a case list's"
    assert login(colleague).post_form(f"/inbox/filters/{rows['大河村待办'].id}/delete", {}).status_code == 404
    again = clerk.post_form("/inbox/filters", {"name": "大河村待办", "village": village})
    assert again.status_code == 422 and "已有名为" in again.text
    assert clerk.post_form("/inbox/filters", {"name": "坏的", "due": "later-ish"}).status_code == 422
    assert clerk.post_form(f"/inbox/filters/{rows['大河村待办'].id}/delete", {}).status_code == 303
    assert "大河村待办" not in login(colleague).get("/inbox").text


def test_each_notification_kind_is_raised_once_where_it_happens(walk_to_publicity, db, clock, login, who):
    from engine.oversight.supervision import escalate
    walk = walk_to_publicity
    assert notes(db, "new_task", walk.case_id) == len(walk.trail) + 1  # each step opened one task
    with db.unit_of_work() as uow:
        acceptance = uow.session.execute(select(Notification).where(
            Notification.case_id == walk.case_id, Notification.kind == "new_task")
            .order_by(Notification.id)).scalars().first()
        assert acceptance.role == "township" and walk.number in acceptance.message
    walk.do("publicity")  # an objection lodged during 公示
    assert notes(db, "objection_lodged", walk.case_id) == 1
    clock.advance(days=30)
    for _ in range(2):  # the sweep runs again and again: the task is late once
        with db.unit_of_work(write=True) as uow:
            escalate(uow.session, clock)
            uow.commit()
    assert notes(db, "overdue", walk.case_id) == 1
    centre = login("township_xs").get("/notifications").text
    assert "公示异议" in centre and 'class="kind-objection_lodged"' in centre and "已超过办理期限" in centre
    only = login("township_xs").get("/notifications?kind=objection_lodged").text
    assert "公示异议" in only and "已超过办理期限" not in only
    assert login("township_xs").get("/notifications?kind=bogus").status_code == 400
    assert "公示异议" not in login("township_cjg").get("/notifications").text


@pytest.fixture
def walk_to_publicity(db, clock, who, unit_id):
    walk = start(db, clock, who, unit_id)
    walk.drive_to("publicity")
    return walk


def test_the_header_counts_unread_and_marking_read_clears_it(db, clock, who, unit_id, login, new_user):
    clerk_name = new_user(("township", "320921100"))
    clerk = login(clerk_name)
    clerk.post_form("/notifications/read", {})
    assert 'class="header-notifications"' in clerk.get("/inbox").text
    clock.advance(minutes=1)
    start(db, clock, who, unit_id)
    page = clerk.get("/my-cases").text
    assert re.search(r'class="header-notifications"[^>]*>通知 <span class="badge unread"[^>]*>1<', page)
    assert clerk.post_form("/notifications/read", {}).status_code == 303
    assert 'class="badge unread"' not in clerk.get("/my-cases").text


def test_the_timeline_shows_values_and_what_changed(db, clock, who, unit_id, login):
    from engine.cases.operations import send_back, send_back_targets
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance", acceptance_decision="incomplete", missing_materials="缺少收入证明")
    walk.do("supplement", supplied_materials="户口簿复印件")
    acceptance = walk.open_tasks()[0]
    with db.unit_of_work(write=True) as uow:
        target = next(t for t in send_back_targets(uow.session, who("township_xs"), acceptance.id)
                      if t.name == "supplement")
        send_back(uow.session, who("township_xs"), clock, acceptance.id, target.id, "收入证明不清晰")
        uow.commit()
    walk.do("supplement", supplied_materials="户口簿复印件、清晰的收入证明")
    page = login("township_xs").get(f"/cases/{walk.case_id}").text
    history = page.split('<ol class="history">')[1].split("</ol>")[0]
    assert "<del>户口簿复印件</del> → <ins>户口簿复印件、清晰的收入证明</ins>" in history
    assert "（首次填写）" in history and "缺少收入证明" in history
    assert "320921********" in history and not re.search(r"\d{17}[\dX]", history)  # ID numbers masked
    only = login("township_xs").get(f"/cases/{walk.case_id}?event_kind=task_sent_back").text
    only_history = only.split('<ol class="history">')[1].split("</ol>")[0]
    assert "收入证明不清晰" in only_history and "户口簿复印件" not in only_history
    assert '<option value="task_sent_back" selected>退回（1）</option>' in only  # the kind's name, in the page's language
    english = login("township_xs")
    english.post_form("/lang/en", {"next": "/"})
    assert '<option value="task_sent_back" selected>Sent back (1)</option>' in english.get(
        f"/cases/{walk.case_id}?event_kind=task_sent_back").text
    by_person = login("township_xs").get(f"/cases/{walk.case_id}?actor={who('village_sy').user_id}").text
    assert "受理审查" not in by_person.split('<ol class="history">')[1].split("</ol>")[0]
    assert login("township_xs").get(f"/cases/{walk.case_id}?event_kind=nope").status_code == 400
    assert login("township_cjg").get(f"/cases/{walk.case_id}").status_code == 404


def test_the_county_operation_log_is_searchable_paginated_and_kept_to_the_county(db, clock, who, unit_id, login):
    from engine.oversight.timeline import LogFilters, operation_log
    from engine.cases.operations import urge_task
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance")
    clock.advance(days=1)
    with db.unit_of_work(write=True) as uow:
        urge_task(uow.session, who("supervisor"), clock, walk.open_tasks()[0].id, "请加快核对")
        uow.commit()
    county = login("county_mz")
    log = county.get("/operation-log").text
    assert walk.number in log and "请加快核对" in log and "吴科长" in log
    urged = county.get("/operation-log?kind=task_urged").text
    assert "请加快核对" in urged and "提交申请" not in urged.split("<tbody>")[1]
    by_person = county.get("/operation-log?person=双园村").text.split("<tbody>")[1]
    assert "双园村 王会计" in by_person and "张干事" not in by_person
    today = clock.today()
    assert walk.number in county.get(f"/operation-log?from={today}&to={today}").text
    assert walk.number not in county.get(f"/operation-log?to={today.replace(day=today.day - 2)}").text
    assert "请加快核对" in login("supervisor").get("/operation-log").text
    assert walk.number not in login("supervisor_tx").get("/operation-log").text, "another county's supervisor"
    assert login("township_xs").get("/operation-log").status_code == 403
    assert county.get("/operation-log?kind=nonsense").status_code == 422
    assert county.get("/operation-log?from=yesterday").status_code == 422
    with db.unit_of_work() as uow:
        first = operation_log(uow.session, who("county_mz"), LogFilters(), page=1, page_size=2)
        second = operation_log(uow.session, who("county_mz"), LogFilters(), page=2, page_size=2)
    assert first["has_next"] and len(first["rows"]) == 2
    assert {r.id for r in first["rows"]}.isdisjoint(r.id for r in second["rows"])
    assert first["rows"][0].kind == "task_urged"


def test_english_ui_shows_english_step_names(db, clock, who, unit_id, login):
    walk = start(db, clock, who, unit_id)
    clerk = login("township_xs")
    clerk.post_form("/lang/en", {"next": "/inbox"})
    page = clerk.get("/inbox").text
    assert "Acceptance review" in page and walk.number in page
    assert "Holder" in page and "Shared queue" in page


def test_english_ui_gives_validation_messages_in_english(db, clock, who, unit_id, login):
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    clerk = login("township_xs")
    clerk.post_form("/lang/en", {"next": "/inbox"})
    refused = clerk.post_form(f"/tasks/{task.id}", {"acceptance_decision": "accepted", "submit": "1"})
    assert refused.status_code == 422
    errors = " ".join(re.findall(r'<div class="field-error"[^>]*>([^<]*)</div>', refused.text))
    assert "is required" in errors and "必填" not in errors
    clerk.post_form("/lang/zh_CN", {"next": "/inbox"})
    again = clerk.post_form(f"/tasks/{task.id}", {"acceptance_decision": "accepted", "submit": "1"})
    assert "为必填项" in again.text
