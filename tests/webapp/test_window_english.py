"""The one window and the joint review read in English (issue 13): items, departments and member units by their
data files' name_en, statuses, opinions and decisions through Flask-Babel, whose Chinese is exactly the engine's;
the same pages in Chinese stay Chinese."""
from __future__ import annotations

import re

from flask_babel import force_locale
from sqlalchemy import select

from engine.store.models import JointReviewProject, User, WindowItem
from engine.window import joint_review, registration
from engine.window.items import window_rules
from engine.window.joint_review import members_for
from tests.factories import SHUANGYUAN, fresh_id_number

ITEMS = ("minimum_living", "employment_aid", "medical_aid")


def _chinese_names() -> set[str]:
    """Every Chinese status, opinion, decision, item, department and member unit name the pages could show."""
    rules = window_rules()
    return ({*registration.STATUS_ZH.values(), *joint_review.STATUS_ZH.values(), *joint_review.OPINIONS_ZH.values(),
             *joint_review.DECISIONS_ZH.values()} | {i.name_zh for i in rules.items}
            | {d["name_zh"] for d in rules.departments.values()} | {m.name_zh for m in members_for("320921")})


def _shown(html: str) -> str:
    """The page's text without its header (the user's own name, as data), tags and attribute values."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style|header)\b.*?</\1>", " ", html, flags=re.S))


def _pages(login, unit_id, db) -> dict[str, tuple]:
    """Registration, inbox, referral, ledger and the joint review's pages, each with who reads it."""
    clerk = login("township_xs")
    form = {"village_id": str(unit_id(SHUANGYUAN)), "applicant_name": "钱小花", "applicant_id_number": fresh_id_number(),
            "address": "双园村2组", "monthly_income": "200", "difficulty": "丈夫重病住院", "authorises_check": "on",
            "items": list(ITEMS)}
    made = clerk.post_form("/window/new", form)
    assert made.status_code == 303, made.text
    rid = int(re.search(r"/window/registrations/(\d+)", made.location).group(1))
    assert clerk.post_form(f"/window/registrations/{rid}/charity",
                           {"project": "social_work_centre:elderly_care", "note": ""}).status_code == 303
    with db.unit_of_work() as uow:
        item_id = uow.session.execute(select(WindowItem.id).where(WindowItem.registration_id == rid,
                                                                  WindowItem.item_code == "medical_aid")).scalar_one()
    liaison = login("liaison_yb_xs")
    assert liaison.post_form(f"/window/referrals/{item_id}", {"answer": "eligible", "note": "初步核查符合"}
                             ).status_code == 303
    assert liaison.post_form("/window/projects", {"year": "2026", "name": "大病再救助", "budget": "600000",
                                                  "description": "对象和标准"}).status_code == 303
    office = login("county_mz")
    with db.unit_of_work() as uow:
        pid = uow.session.execute(select(JointReviewProject.id)).scalar_one()
    assert office.post_form(f"/window/joint-review/projects/{pid}", {"decision": "pass"}).status_code == 303
    return {"registration": (clerk, f"/window/registrations/{rid}"), "form": (clerk, "/window/new"),
            "inbox": (liaison, "/window/referrals?all=1"), "referral": (liaison, f"/window/referrals/{item_id}"),
            "ledger": (clerk, "/window/ledger"), "projects": (liaison, "/window/projects"),
            "joint_review": (office, "/window/joint-review?year=2026"),
            "meeting": (office, "/window/joint-review/meeting?year=2026"), "overview": (office, "/window/overview")}


def test_the_window_and_joint_review_pages_show_no_chinese_names_in_english(login, unit_id, db):
    pages = _pages(login, unit_id, db)
    chinese = _chinese_names()
    with db.unit_of_work() as uow:  # who submitted a project is shown by their name: data, not a label
        people = uow.session.execute(select(User.display_name)).scalars().all()
    for user, _path in pages.values():
        user.post_form("/lang/en", {"next": "/"})
    for name, (user, path) in pages.items():
        response = user.get(path)
        assert response.status_code == 200, (name, response.status_code)
        text = _shown(response.text)
        for person in people:
            text = text.replace(person, "")
        assert not [c for c in chinese if c in text], (name, [c for c in chinese if c in text])
    expected = {"registration": ["Approval started", "Being handled by the department", "Employment aid",
                                 "Medical insurance", "Social-work care for elderly people in hardship"],
                "form": ["Minimum living allowance", "Human resources and social security"],
                "inbox": ["Medical assistance", "Being handled by the department"],
                "referral": ["Medical assistance", "Being handled by the department"],
                "ledger": ["Referred, awaiting the department", "Civil affairs", "Approval started"],
                "joint_review": ["Passed initial review, awaiting the joint review", "Medical insurance"],
                "meeting": ["Audit bureau", "Agree", "Approved with an adjusted budget"],
                "projects": ["Passed initial review, awaiting the joint review"]}
    for name, words in expected.items():
        user, path = pages[name]
        text = user.get(path).text
        assert all(w in text for w in words), (name, [w for w in words if w not in text])


def test_the_same_pages_stay_chinese_in_chinese(login, unit_id, db):
    pages = _pages(login, unit_id, db)
    expected = {"registration": ["已启动审批", "部门办理中", "就业援助和社保帮扶", "医保", "困难老人社工关爱服务"],
                "inbox": ["医疗救助", "部门办理中"], "referral": ["医疗救助"], "ledger": ["已转办，待部门答复", "民政"],
                "joint_review": ["初审通过，待会审", "医保"], "meeting": ["审计局", "同意", "调整预算后通过"]}
    for name, words in expected.items():
        user, path = pages[name]
        text = user.get(path).text
        assert all(w in text for w in words), (name, [w for w in words if w not in text])
        assert "Being handled by the department" not in text and "Approval started" not in text


def test_every_label_translates_to_the_engines_chinese(app):
    from webapp import window_labels as labels
    pairs = [(labels.ITEM_STATUS, registration.STATUS_ZH), (labels.PROJECT_STATUS, joint_review.STATUS_ZH),
             (labels.OPINIONS, joint_review.OPINIONS_ZH), (labels.DECISIONS, joint_review.DECISIONS_ZH)]
    from engine.window.charities import KINDS_ZH
    pairs.append((labels.CHARITY_KINDS, KINDS_ZH))
    with app.test_request_context("/"):
        for english, chinese in pairs:
            assert set(english) == set(chinese)
            with force_locale("zh_CN"):
                assert {k: str(v) for k, v in english.items()} == chinese
            with force_locale("en"):
                assert not any(re.search("[\u4e00-\u9fff]", str(v)) for v in english.values())


def test_every_item_department_and_member_has_an_english_name():
    rules = window_rules()
    items = [*rules.items, *(i for county in rules.county_items.values() for i in county)]
    assert all(i.name_en and i.department_en for i in items)
    assert all(d["name_en"] for d in rules.departments.values())
    assert all(m.name_en for members in joint_review.member_lists().values() for m in members)
