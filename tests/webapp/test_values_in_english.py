"""The English UI writes what the app itself generates in English: the values of a case's completed steps (choices
by their forms' English titles, Yes/No, the English field labels) on the case page, the task page's earlier steps
and its printout, and the household file's timeline (kind of event and values by name from the engine, written
through Flask-Babel). The Chinese UI is unchanged; names, numbers and typed text stay as typed, ID numbers masked."""
from __future__ import annotations

import html
import re

import pytest
from flask import session
from sqlalchemy import select

from engine import type_name_of
from engine.store.models import Case, Document
from tests.factories import fresh_id_number, sample_application, start, with_check_digit
from tests.webapp.test_refusals_in_english import english

CJK = re.compile(r"[\u3400-\u9fff]")
CHANNEL_ZH, CHANNEL_EN = "委托村（居）民委员会代为申请", "By the village committee on the household's behalf"
ACCEPTED_ZH, ACCEPTED_EN = "材料齐全，予以受理", "Complete: accept"


@pytest.fixture
def walk(db, clock, who, unit_id):
    head = fresh_id_number()
    w = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0]))
    w.do("acceptance")
    w.head = head
    return w


def fresh_id_number_born(year: int) -> str:
    """A new 响水 ID number of someone born in ``year``."""
    return with_check_digit("320921" + str(year) + fresh_id_number()[10:14] + "456")  # fresh day, own series


def page_text(user, url: str) -> str:
    response = user.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.text)


def test_the_case_page_shows_step_values_in_english_and_chinese_unchanged(walk, login):
    chinese = page_text(login("township_xs"), f"/cases/{walk.case_id}")
    assert CHANNEL_ZH in chinese and ACCEPTED_ZH in chinese
    assert "<ins>否</ins>" in chinese and "<ins>是</ins>" in chinese  # near_relative, authorises_check
    assert "<dt>申请方式</dt>" in chinese and CHANNEL_EN not in chinese

    page = page_text(english(login, "township_xs"), f"/cases/{walk.case_id}")
    assert CHANNEL_EN in page and ACCEPTED_EN in page
    assert "<ins>No</ins>" in page and "<ins>Yes</ins>" in page
    assert "<dt>How lodged</dt>" in page and "<dt>Decision</dt>" in page
    assert CHANNEL_ZH not in page and ACCEPTED_ZH not in page
    assert "<ins>否</ins>" not in page and "<ins>是</ins>" not in page
    values = " ".join(re.findall(r'<dl class="event-values">(.*?)</dl>', page, re.S))
    assert values and not CJK.search(re.sub(r"王小明|王家成员|响水县响水镇双园村3组|无存款，无车辆，自住房一处", "", values))


def test_the_task_page_and_its_printout_show_earlier_steps_in_english(walk, login):
    task = next(t for t in walk.open_tasks() if t.task_name == "economic_check")
    chinese = page_text(login("county_mz"), f"/tasks/{task.id}")
    assert "<dd>否</dd>" in chinese and "<td>本人</td>" in chinese and ACCEPTED_ZH in chinese

    county = english(login, "county_mz")
    for url in (f"/tasks/{task.id}", f"/tasks/{task.id}/print"):
        page = page_text(county, url)
        steps = page[page.index("Earlier steps"):] if "Earlier steps" in page else page
        assert CHANNEL_EN in steps and ACCEPTED_EN in steps, url
        assert "<dd>No</dd>" in steps and "<dd>Yes</dd>" in steps, url
        assert "<td>Self</td>" in steps and "<th>Relation</th>" in steps, url  # a member row's choice and label
        assert CHANNEL_ZH not in steps and ACCEPTED_ZH not in steps and "<td>本人</td>" not in steps, url
        assert "王小明" in steps  # the names as typed
    assert walk.head not in page_text(county, f"/tasks/{task.id}/print")  # masked on the printout


def test_a_step_sent_back_names_the_steps_in_english(db, clock, who, walk, login):
    from engine.cases.operations import send_back, send_back_targets
    from tests.integration.test_task_operations import run
    check = next(t for t in walk.open_tasks() if t.task_name == "economic_check")
    with db.unit_of_work() as uow:
        (target,) = [t for t in send_back_targets(uow.session, who("county_mz"), check.id) if t.name == "acceptance"]
    run(db, send_back, who("county_mz"), clock, check.id, target.id, "户口簿页缺失")
    again = next(t for t in walk.open_tasks() if t.task_name == "acceptance")
    chinese = page_text(login("township_xs"), f"/tasks/{again.id}")
    assert "从「家庭经济状况信息核对」退回" in chinese
    page = page_text(english(login, "township_xs"), f"/tasks/{again.id}")
    sent_back = re.search(r"sent the case back from (.*?) at ", page).group(1)
    assert sent_back == "Household economic status check" and "户口簿页缺失" in page  # the reason as typed


def _dossier(db, walk):
    with db.unit_of_work() as uow:
        household_id = uow.session.execute(select(Case.household_id).where(Case.id == walk.case_id)).scalar_one()
        notice = uow.session.execute(select(Document.number).where(Document.case_id == walk.case_id)).scalars().first()
    return household_id, notice


def timeline_lines(text: str) -> list[str]:
    section = re.search(r'<section class="card timeline">(.*?)</section>', text, re.S).group(1)
    return [re.sub(r"\s+", " ", re.sub(r"<time>.*?</time>|<[^>]+>", " ", li)).strip()
            for li in re.findall(r"<li[^>]*>(.*?)</li>", section, re.S)]


def test_the_household_file_timeline_is_in_the_pages_language(db, walk, login):
    household_id, notice = _dossier(db, walk)
    chinese = timeline_lines(page_text(login("township_xs"), f"/households/{household_id}"))
    assert chinese == ["建档", "成员加入 王小明", "成员加入 王家成员1", f"申请 {walk.number}（最低生活保障）",
                       f"文书 受理通知书 {notice}"]

    page = page_text(english(login, "township_xs"), f"/households/{household_id}")
    lines = timeline_lines(page)
    assert lines == ["File opened", "Member joined 王小明", "Member joined 王家成员1",
                     f"Application {walk.number} ({type_name_of('minimum_living', False)})",
                     f"Document Notice of acceptance {notice}"]
    assert not any(CJK.search(re.sub("王小明|王家成员", "", line.replace(notice, ""))) for line in lines)  # numbers as issued
    assert walk.head not in page  # ID numbers stay masked
    members = page[page.index('<table class="list members">'):page.index("</table>", page.index('class="list members"'))]
    assert "<td>Male</td>" in members and "<td>Self</td>" in members and "<td>Spouse</td>" in members
    assert "<td>男</td>" not in members and "<td>本人</td>" not in members
    chinese_page = page_text(login("township_xs"), f"/households/{household_id}")
    assert "<td>男</td>" in chinese_page and "<td>本人</td>" in chinese_page and "<td>配偶</td>" in chinese_page


ENTRIES = [
    {"kind": "household", "event": "created", "params": {"name": "王小明"}},
    {"kind": "household", "event": "joined", "params": {"name": "王小红"}},
    {"kind": "household", "event": "left", "params": {"name": "王小红"}},
    {"kind": "household", "event": "changed", "params": {"name": ""}},
    {"kind": "household", "event": "died", "params": {"name": "王大明"}},
    {"kind": "household", "event": "head_changed", "params": {"name": "王小明"}},
    {"kind": "case", "event": "lodged", "params": {"number": "A-1", "assistance_type": "periodic_review"}},
    {"kind": "case", "event": "completed", "params": {"number": "A-1", "outcome": "终止办理"}},
    {"kind": "case", "event": "completed", "params": {"number": "A-2", "outcome": ""}},
    {"kind": "benefit", "event": "register", "params": {"assistance_type": "minimum_living", "amount": 512.5}},
    {"kind": "benefit", "event": "holder_changed", "params": {"assistance_type": "minimum_living", "amount": 0}},
    {"kind": "document", "event": "issued", "params": {"title": "受理通知书", "number": "D-1"}},
    {"kind": "document", "event": "voided", "params": {"title": "受理通知书", "number": "D-2"}},
]
# What the engine wrote before the timeline came as codes (the Chinese UI shows exactly this still)
CHINESE = ["建档 王小明", "成员加入 王小红", "成员迁出 王小红", "信息变更 ", "成员死亡 王大明", "户主变更 王小明",
           "申请 A-1（动态管理：定期复核）", "办结 A-1：终止办理", "办结 A-2：", "最低生活保障 纳入 512.50 元",
           "最低生活保障 户主变更，改由新户主领取 0.00 元", "文书 受理通知书 D-1", "文书 受理通知书 D-2（已作废）"]


def test_the_members_labels_translate_to_the_engines_chinese(app):
    from engine.oversight.files import RELATIONS_ZH
    from webapp.household_texts import RELATIONS, SEXES, member_relation, member_sex
    assert set(RELATIONS) == set(RELATIONS_ZH)
    with app.test_request_context("/"):
        session["lang"] = "zh_CN"
        assert {k: member_relation({"relation_code": k}) for k in RELATIONS} == RELATIONS_ZH
        assert [member_sex({"sex_code": c}) for c in ("M", "F", None)] == ["男", "女", ""]
        assert member_relation({"relation_code": "cousin", "relation": "cousin"}) == "cousin"  # unknown: as stored
    with app.test_request_context("/"):
        session["lang"] = "en"
        assert [member_relation({"relation_code": k}) for k in ("self", "grandchild")] == ["Self", "Grandchild"]
        assert [str(v) for v in SEXES.values()] == ["Male", "Female"]


def _lines(app, lang: str) -> list[str]:
    from webapp.household_texts import timeline_text
    with app.test_request_context("/"):
        session["lang"] = lang
        return [timeline_text(e) for e in ENTRIES]


def test_every_kind_of_timeline_line_in_both_languages(app):
    assert _lines(app, "zh_CN") == CHINESE
    minimum = type_name_of("minimum_living", False)
    assert _lines(app, "en") == [
        "File opened 王小明", "Member joined 王小红", "Member moved out 王小红", "Details changed ", "Member died 王大明",
        "Head of household changed 王小明", "Application A-1 (Dynamic management: periodic review)",
        "Completed A-1: 终止办理", "Completed A-2: ", f"{minimum} granted 512.50 yuan",
        f"{minimum} passed to the new head of household 0.00 yuan", "Document Notice of acceptance D-1",
        "Document Notice of acceptance D-2 (voided)"]


def test_how_a_case_ended_is_named_in_english_and_chinese_unchanged(db, clock, who, unit_id, login):
    refused = start(db, clock, who, unit_id)
    refused.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="不符合申请条件")
    assert "不予受理" in page_text(login("township_xs"), f"/cases/{refused.case_id}")
    case_page = page_text(english(login, "township_xs"), f"/cases/{refused.case_id}")
    case_page = re.sub(r"<script.*?</script>", "", case_page, flags=re.S)  # the diagram's BPMN keeps its names
    assert "Not accepted" in case_page and "不予受理" not in case_page
    supervised = page_text(english(login, "supervisor"), "/supervisor?status=completed")
    assert refused.number in supervised and "Not accepted" in supervised and "不予受理" not in supervised


def test_a_refused_allowance_shows_no_amount_and_a_granted_one_its_month(db, clock, who, unit_id, login):
    # The 尊老金 route sets its amount before the township decides: a refusal showed it "paid from None".
    application = {"applicant_name": "孙玉珍", "applicant_id_number": fresh_id_number_born(1940),
                   "applied_on": clock.today().isoformat(), "address": "响水县响水镇双园村2组",
                   "old_age_declaration_true": True}
    shown = {}
    for decision in ("rejected", "approved"):
        walk = start(db, clock, who, unit_id, process_id="old_age_allowance_xiangshui",
                     data={**application, "applicant_id_number": fresh_id_number_born(1940)})
        walk.do("township_approval", old_age_decision=decision, old_age_decided_on=clock.today().isoformat(),
                old_age_decision_reasons="户籍不在本县" if decision == "rejected" else "")
        shown[decision] = (page_text(english(login, "township_xs"), f"/cases/{walk.case_id}"),
                           page_text(login("township_xs"), f"/cases/{walk.case_id}"))
    for page in shown["rejected"]:
        assert "Monthly allowance" not in page and "月保障金额" not in page and "None" not in page
    in_english, in_chinese = shown["approved"]
    assert "yuan/month, paid from 20" in in_english and "None" not in in_english and "元/月" in in_chinese
