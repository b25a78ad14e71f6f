"""The one-window intake (issue 13): registration, referrals in SQL scope, deadlines, feedback, 督办, ledger."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.errors import DataFileInvalid, FormInvalid, NotFound
from engine.jobs import escalation_sweep
from engine.store.models import Case, Notification, WindowItem, WindowSupervisionItem
from engine.window.items import window_rules
from engine.oversight.reports import to_csv
from engine.window.ledger import household_registrations, ledger, ledger_report, overview
from engine.window.referrals import answer_referral, referral_for, referrals_inbox
from engine.window.registration import Applicant, RequestedItem, register
from engine.workdays import WorkingCalendar
from tests.factories import SHUANGYUAN, fresh_id_number


def _register(db, clock, who, unit_id, codes=("minimum_living", "employment_aid", "medical_aid"), **kw):
    applicant = Applicant("赵大勇", kw.pop("id_number", None) or fresh_id_number(), "响水县响水镇双园村5组",
                          "13800000000", 300.0, True)
    with db.unit_of_work(write=True) as uow:
        rid = register(uow.session, who(kw.pop("username", "township_xs")), clock, unit_id(SHUANGYUAN), applicant,
                       "因病致贫，失业在家", [RequestedItem(c) for c in codes])
        uow.commit()
    return rid


def _items(db, rid):
    with db.unit_of_work() as uow:
        return {r.item_code: r for r in uow.session.execute(
            select(WindowItem).where(WindowItem.registration_id == rid)).scalars()}


def test_the_items_are_data_checked_with_lines(tmp_path):
    rules = window_rules()
    assert {i.department for i in rules.items} >= {"civil_affairs", "hrss", "housing", "education", "justice",
                                                   "health", "medical_insurance", "emergency", "union",
                                                   "disability", "women"}
    assert rules.item("320921", "minimum_living").assistance_type == "minimum_living"
    assert rules.role_of("medical_insurance") == "dept_medical_insurance"
    import shutil
    from engine.catalogue.deployment import PROCESSES_DIR
    for name in ("catalog.toml", "window_items.toml"):
        shutil.copy(PROCESSES_DIR / name, tmp_path / name)
    text = (tmp_path / "window_items.toml").read_text(encoding="utf-8")
    (tmp_path / "window_items.toml").write_text(text.replace('department = "housing"', 'department = "nowhere"'),
                                                encoding="utf-8")
    with pytest.raises(DataFileInvalid) as exc:
        window_rules.__wrapped__(tmp_path)
    line = next(n for n, l in enumerate((tmp_path / "window_items.toml").read_text().splitlines(), 1)
                if 'department = "nowhere"' in l)
    assert [p.line for p in exc.value.problems] == [line]


def test_a_county_retires_an_item_from_a_date():
    from engine.window.items import Item
    item = Item("x", "某项", "hrss", "人社", limit_wd=5, retired_from=date(2027, 1, 1))
    assert item.in_force(date(2026, 12, 31)) and not item.in_force(date(2027, 1, 1))


def test_three_items_make_one_case_and_two_referrals_to_the_right_liaisons(db, clock, who, unit_id, new_user):
    rid = _register(db, clock, who, unit_id)
    items = _items(db, rid)
    assert items["minimum_living"].status == "case_started" and items["minimum_living"].case_id
    with db.unit_of_work() as uow:
        assert uow.session.get(Case, items["minimum_living"].case_id).county_id == unit_id("320921")
    calendar = WorkingCalendar.load()
    today = clock.today()
    for code, department in (("employment_aid", "hrss"), ("medical_aid", "medical_insurance")):
        item = items[code]
        assert item.status == "referred" and item.department == department
        assert item.county_id == unit_id("320921")
        assert item.referral_due_on == calendar.add_workdays(today, 1)
        assert item.notice_due_on == calendar.add_workdays(today, 2)
        assert item.initial_due_on == calendar.add_workdays(today, 6)
        for due in (item.notice_due_on, item.initial_due_on):
            assert calendar.is_workday(due)
        assert "转办单" in item.transfer and item.transfer_number
    hrss_here = who("liaison_hrss_xs")
    hrss_elsewhere = who("liaison_hrss_tx")
    medical = who("liaison_yb_xs")
    with db.unit_of_work(write=True) as uow:  # never committed: the refusals change nothing
        s = uow.session
        assert [r.item_code for r in referrals_inbox(s, hrss_here)] == ["employment_aid"]
        assert [r.item_code for r in referrals_inbox(s, medical)] == ["medical_aid"]
        assert referrals_inbox(s, hrss_elsewhere) == []
        with pytest.raises(NotFound):
            referral_for(s, hrss_elsewhere, items["employment_aid"].id)
        with pytest.raises(NotFound):
            answer_referral(s, hrss_elsewhere, clock, items["employment_aid"].id, "eligible", "已受理")
        with pytest.raises(NotFound):  # the 医保 liaison of the county does not answer 人社's referral
            answer_referral(s, medical, clock, items["employment_aid"].id, "eligible", "已受理")


def test_deadlines_skip_the_national_day_holiday(db, clock, who, unit_id):
    clock.set(clock.now().replace(month=9, day=30))
    rid = _register(db, clock, who, unit_id, codes=("legal_aid",))
    item = _items(db, rid)["legal_aid"]
    calendar = WorkingCalendar.load()
    assert item.notice_due_on > date(2026, 10, 7) and calendar.is_workday(item.notice_due_on)
    assert calendar.is_workday(item.initial_due_on)


def test_feedback_reaches_the_window_and_the_clerk_and_the_ledger(db, clock, who, unit_id):
    rid = _register(db, clock, who, unit_id)
    item_id = _items(db, rid)["medical_aid"].id
    medical = who("liaison_yb_xs")
    with db.unit_of_work(write=True) as uow:
        answer_referral(uow.session, medical, clock, item_id, "eligible", "已受理，初步核查符合医疗救助条件")
        uow.commit()
    clock.advance(days=3)
    with db.unit_of_work(write=True) as uow:
        answer_referral(uow.session, medical, clock, item_id, "finished", "救助医疗费用 3200 元")
        uow.commit()
    with db.unit_of_work() as uow:
        s = uow.session
        item = s.get(WindowItem, item_id)
        assert item.status == "finished" and item.fed_back_on == clock.today() and item.result == "救助医疗费用 3200 元"
        notes = s.execute(select(Notification.message, Notification.role, Notification.unit_id)
                          .where(Notification.task_id == f"window-item-{item_id}")).all()
        assert len(notes) == 2 and {n.role for n in notes} == {"township"}
        assert {n.unit_id for n in notes} == {unit_id("320921100")}
        rows = ledger(s, who("township_xs"), clock.today())
        assert {r["item_code"] for r in rows} == {"minimum_living", "employment_aid", "medical_aid"}
        finished = next(r for r in rows if r["item_code"] == "medical_aid")
        assert finished["result"] == "救助医疗费用 3200 元" and finished["clerk"]
        assert "救助医疗费用 3200 元" in to_csv(ledger_report(rows)).decode("utf-8")
        assert ledger(s, who("township_cjg"), clock.today()) == []   # another township's window
        household_id = s.execute(select(Case.household_id).where(
            Case.id == next(r["case_id"] for r in rows if r["case_id"]))).scalar_one()
        assert len(household_registrations(s, who("township_xs"), household_id, clock.today())) == 3


def test_an_overdue_referral_makes_one_supervision_item(db, clock, who, unit_id, new_user):
    rid = _register(db, clock, who, unit_id, codes=("housing_aid",))
    item = _items(db, rid)["housing_aid"]
    clock.set(clock.now() + timedelta(days=(item.initial_due_on - clock.today()).days + 1))
    escalation_sweep(db, clock)
    escalation_sweep(db, clock)
    with db.unit_of_work() as uow:
        rows = uow.session.execute(select(WindowSupervisionItem)).scalars().all()
        assert [(r.window_item_id, r.stage, r.county_id) for r in rows] == [(item.id, "initial", unit_id("320921"))]
        data = overview(uow.session, who("county_mz"), clock.today())
        assert data["departments"][0]["overdue"] == 1
        assert [s["transfer_number"] for s in data["supervision"]] == [item.transfer_number]
    with db.unit_of_work(write=True) as uow:  # answered late: the 督办 item is closed by the next sweep
        answer_referral(uow.session, who(new_user(("dept_housing", "320921"))), clock, item.id, "not_eligible", "不符合住房救助条件，已书面告知")
        uow.commit()
    escalation_sweep(db, clock)
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(WindowSupervisionItem.resolved_at)).scalar_one() is not None
        late = next(r for r in ledger(uow.session, who("township_xs"), clock.today()) if r["id"] == item.id)
        assert late["late"]


def test_bad_input_writes_nothing(db, clock, who, unit_id):
    applicant = Applicant("", "123", "", "", None, False)
    with db.unit_of_work(write=True) as uow:
        with pytest.raises(FormInvalid) as exc:
            register(uow.session, who("township_xs"), clock, unit_id(SHUANGYUAN), applicant, "",
                     [RequestedItem("nonsense")])
        assert {"applicant_name", "applicant_id_number", "address", "difficulty", "items"} <= exc.value.errors.keys()
    with db.unit_of_work(write=True) as uow:
        with pytest.raises(NotFound):  # another township's village
            register(uow.session, who("township_cjg"), clock, unit_id(SHUANGYUAN),
                     Applicant("赵", fresh_id_number(), "某地"), "困难", [RequestedItem("legal_aid")])


def test_the_charities_list_is_checked_with_lines(tmp_path):
    from engine.window.charities import charities, projects_for
    assert {p["kind"] for p in projects_for("320921", date(2026, 9, 15))} == {
        "charity_project", "fundraising", "professional_service", "volunteer"}
    (tmp_path / "charities.toml").write_text('[[county]]\ncode = "320921"\n\n[[county.organisations]]\n'
                                            'code = "x_org"\nname_zh = "某机构"\nname_en = "An organisation"\n'
                                            'projects = [\n  { code = "p_one", name_zh = "项目", name_en = "A project",'
                                            ' kind = "lottery" },\n]\n', encoding="utf-8")
    with pytest.raises(DataFileInvalid) as exc:
        charities.__wrapped__(tmp_path)
    assert [p.line for p in exc.value.problems] == [9]


def test_the_items_own_part_starts_their_routes_at_once(db, clock, who, unit_id):
    """特困, 临时救助, 两项补贴 and 低保边缘 start their routes when the window fills each item's own part of the
    application (issue 13: without it they wait as 待补全); 支出型 maps to the 低收入 route (one open per household)."""
    from engine.window.registration import item_forms
    id_number = fresh_id_number()
    with db.unit_of_work() as uow:
        forms = item_forms(uow.session, unit_id(SHUANGYUAN), clock.today())
    assert {"age", "supporters", "preferred_care_mode"} <= set(forms["extreme_poverty"]["properties"])
    assert "applicant_name" not in forms["extreme_poverty"]["properties"] and not forms["minimum_living"]["required"]
    own = {
        "extreme_poverty": {"age": 72, "hukou_type": "rural", "disability_category": "none", "disability_grade": 0,
                            "savings": 800, "assets": "自住平房一间", "supporters": [],
                            "preferred_care_mode": "dispersed", "orphan": False},
        "temporary_assistance": {"household_size": 1, "temporary_kind": "medical_expense",
                                 "temporary_occurred_on": "2026-09-10", "requested_amount": 3000,
                                 "temporary_description": "住院自付费用高", "temporary_existing_recipient": False},
        "disability_subsidy": {"disability_certificate_number": id_number + "41", "disability_category": "physical",
                               "disability_level": 1, "household_status": "other",
                               "disability_subsidy_requested": "nursing", "disability_declaration_true": True},
        "low_income": {"household_financial_assets": 1000, "household_vehicles": 0, "household_extra_housing": False},
        "expenditure_hardship": {"household_financial_assets": 1000, "household_vehicles": 0,
                                 "household_extra_housing": False, "medical_expense": 26000, "education_expense": 0,
                                 "rehabilitation_expense": 0, "other_rigid_expense": 0},
    }
    applicant = Applicant("钱老汉", id_number, "响水县响水镇双园村6组", "", 120.0, True)
    with db.unit_of_work(write=True) as uow:
        rid = register(uow.session, who("township_xs"), clock, unit_id(SHUANGYUAN), applicant, "独居，无劳动能力",
                       [RequestedItem(code, data=data) for code, data in own.items()])
        uow.commit()
    items = _items(db, rid)
    with db.unit_of_work() as uow:
        for code in own:
            assert items[code].status == "case_started", (code, items[code].note)
            assert uow.session.get(Case, items[code].case_id).assistance_type == window_rules().item(
                "320921", code).assistance_type
    # 支出型困难 runs the 刚性支出 route; the household's open 低收入 application is flagged to the county, not refused
    wrong = {**own["temporary_assistance"], "requested_amount": -5}
    with db.unit_of_work(write=True) as uow, pytest.raises(FormInvalid) as exc:
        register(uow.session, who("township_xs"), clock, unit_id(SHUANGYUAN),
                 Applicant("孙大娘", fresh_id_number(), "响水县响水镇双园村6组", "", None, True), "困难",
                 [RequestedItem("temporary_assistance", data=wrong)])
    assert "temporary_assistance__requested_amount" in exc.value.errors


def test_the_demo_loads_registrations_an_answer_and_projects(db, clock, who):
    from engine.installation import DEMO_DIR
    from engine.store.models import JointReviewProject
    from engine.window.demo import load_window_demo
    clock.set(clock.now().replace(month=12, day=1))
    with db.unit_of_work(write=True) as uow:
        assert load_window_demo(uow.session, clock, DEMO_DIR / "window.toml") == 3
        uow.commit()
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        assert load_window_demo(s, clock, DEMO_DIR / "window.toml") == 0  # once only
        status = {(r.item_code, r.status) for r in s.execute(select(WindowItem)).scalars()}
        assert {("extreme_poverty", "case_started"), ("temporary_assistance", "case_started"),
                ("minimum_living", "case_started"), ("medical_aid", "handling"), ("housing_aid", "referred"),
                ("disability_recognition", "materials_missing")} <= status
        assert len({d for d, in s.execute(select(WindowItem.department))}) >= 5
        assert [r.status for r in referrals_inbox(s, who("liaison_yb_xs"))] == ["handling"]
        projects = s.execute(select(JointReviewProject.status)).scalars().all()
        assert sorted(projects) == ["passed", "passed", "passed", "submitted"]
