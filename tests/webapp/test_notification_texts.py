"""Notifications in both languages and to whoever must act: the engine stores a kind and its values by name
(``Notification.params``), the page renders the kind's text through Flask-Babel (English UI: English, step
names in English); a row from before keeps its stored Chinese. A 公示异议 reaches the township and, on a route
where the county decides, the county; the village that recorded it sees it on the case; nobody elsewhere."""
from __future__ import annotations

from sqlalchemy import select

from engine.store.models import Notification
from tests.factories import DONGJIE, FORM_DATA, start
from tests.processes.test_minimum_living_models import DONGJIE_ID, NATIONAL, NATIONAL_FORMS, household

OBJECTION = FORM_DATA["publicity"]["objection_summary"]


def objection_notes(db, case_id):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Notification.role, Notification.unit_id).where(
            Notification.case_id == case_id, Notification.kind == "objection_lodged")).all()


def lodge_objection(db, clock, who, unit_id, national: bool):
    if national:
        walk = start(db, clock, who, unit_id, village=DONGJIE, process_id=NATIONAL, form_data=NATIONAL_FORMS,
                     data=household("赵德明", DONGJIE_ID, "淮北市相山区东街街道东街社区2号楼", "window"),
                     fresh_applicant=True)
    else:
        walk = start(db, clock, who, unit_id)
    walk.drive_to("publicity")
    walk.do("publicity")  # an objection lodged during 公示
    return walk


def test_an_objection_reaches_the_township_and_the_deciding_county(db, clock, who, unit_id, login):
    walk = lodge_objection(db, clock, who, unit_id, national=True)
    assert sorted(objection_notes(db, walk.case_id)) == sorted([("township", unit_id("340603001")),
                                                               ("county", unit_id("340603"))])
    for allowed in ("street_dj", "district_xsq"):
        assert "公示异议" in login(allowed).get("/notifications?kind=objection_lodged").text, allowed
    for refused in ("street_stk", "district_tx", "township_xs", "county_mz"):  # other places
        assert "公示异议" not in login(refused).get("/notifications").text, refused


def test_where_the_township_decides_the_county_is_not_told_and_the_village_sees_it_on_the_case(
        db, clock, who, unit_id, login):
    walk = lodge_objection(db, clock, who, unit_id, national=False)
    assert objection_notes(db, walk.case_id) == [("township", unit_id("320921100"))]
    assert "公示异议" in login("township_xs").get("/notifications").text
    assert "公示异议" not in login("county_mz").get("/notifications").text
    assert "公示异议" not in login("township_cjg").get("/notifications").text
    case_page = login("village_sy").get(f"/cases/{walk.case_id}")  # the village recorded it
    assert case_page.status_code == 200 and OBJECTION in case_page.text
    assert login("village_cg").get(f"/cases/{walk.case_id}").status_code == 404  # another village


def test_the_centre_renders_each_kind_in_the_readers_language(db, clock, who, unit_id, login):
    walk = lodge_objection(db, clock, who, unit_id, national=False)
    with db.unit_of_work() as uow:
        params = uow.session.execute(select(Notification.params).where(
            Notification.case_id == walk.case_id, Notification.kind == "objection_lodged")).scalar_one()
    assert params["number"] == walk.number and params["step"]
    clerk = login("township_xs")
    chinese = clerk.get("/notifications").text
    assert f"公示异议：案件 {walk.number} 在「" in chinese and f"新待办：案件 {walk.number}" in chinese
    clerk.post_form("/lang/en", {"next": "/notifications"})
    english = clerk.get("/notifications").text
    assert f"Objection: someone objected to case {walk.number} during" in english
    assert f"New task: case {walk.number}" in english and "新待办" not in english and "公示异议：" not in english
    assert "Publicity" in english or "publicity" in english  # the step's English name (processes/names_en.toml)
    api = clerk.get("/api/v1/notifications").json["items"]
    objection = next(i for i in api if i["kind"] == "objection_lodged")
    assert objection["text"].startswith("Objection:") and objection["message"].startswith("公示异议")


def test_a_row_without_params_shows_its_stored_message_in_both_languages(db, clock, who, unit_id, login):
    with db.unit_of_work(write=True) as uow:
        uow.session.add(Notification(role="township", unit_id=unit_id("320921100"), case_id=None, kind="urged",
                                     message="催办：旧消息（升级前写入）", created_at=clock.now()))
        uow.commit()
    clerk = login("township_xs")
    assert "催办：旧消息（升级前写入）" in clerk.get("/notifications").text
    clerk.post_form("/lang/en", {"next": "/notifications"})
    assert "催办：旧消息（升级前写入）" in clerk.get("/notifications").text


def test_operation_notifications_are_complete_in_english(db, clock, who, unit_id, login, new_user):
    from engine.cases.operations import reassign_task
    from tests.integration.test_task_operations import run
    colleague = new_user(("township", "320921100"))
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    run(db, reassign_task, who("township_xs"), clock, task.id, who(colleague).user_id, "本人休假")
    page = login(colleague)
    page.post_form("/lang/en", {"next": "/notifications"})
    text = page.get("/notifications").text
    assert f"响水镇 张干事 handed case {walk.number} “Acceptance review” to you: 本人休假" in text
    assert "转交您办理" not in text and "新待办" not in text


def test_the_centre_filters_by_every_kind_it_has_a_text_for(db, clock, unit_id, login):
    from webapp.notification_texts import KIND_NAMES, TEXTS
    assert set(KIND_NAMES) == set(TEXTS) - {"new_task_due"}
    kinds = ("delegated", "cosign_requested", "proxy_named", "correction_requested", "window_finished")
    with db.unit_of_work(write=True) as uow:
        for kind in kinds:
            uow.session.add(Notification(role="township", unit_id=unit_id("320921100"), case_id=None, kind=kind,
                                         message=f"旧消息 {kind}", created_at=clock.now()))
        uow.commit()
    clerk = login("township_xs")
    page = clerk.get("/notifications").text
    for kind in kinds:
        assert f'class="kind-{kind}" href="/notifications?kind={kind}"' in page, kind
    assert "委派给您" in page
    filtered = clerk.get("/notifications?kind=cosign_requested").text
    assert "旧消息 cosign_requested" in filtered and "旧消息 delegated" not in filtered
    assert clerk.get("/notifications?kind=nonsense").status_code == 400
