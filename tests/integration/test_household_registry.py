"""The household registry (一户一档): one household per person, no second application or benefit of a
type, overlaps flagged to the approver, checks recorded in the shared economic-status record."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, insert, select

from engine import case_file, decide_flag
from engine.cases.lifecycle import start_case
from engine.errors import Duplicate, FormInvalid, NotFound
from engine.households.registry import latest_valid_record
from engine.store.models import (Case, CaseEvent, CaseFlag, EconomicRecord, Household, HouseholdEvent, IdReveal,
                                 Person, Recipient)
from tests.factories import SHUANGYUAN, XIANGSHUI, fresh_id_number, sample_application, start

NOW = datetime(2026, 9, 15, 2, tzinfo=timezone.utc)


def lodge(db, clock, who, unit_id, data, process_id=XIANGSHUI, username="village_sy"):
    with db.unit_of_work(write=True) as uow:
        started = start_case(uow.session, who(username), clock, process_id, unit_id(SHUANGYUAN), data)
        uow.commit()
    return started


def rows(db, model, *where):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(model).where(*where)).scalars().all()


def test_lodging_builds_the_household_with_its_members_and_declaration(db, clock, who, unit_id):
    head = fresh_id_number()
    w = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0, 200, 0, 0, 100, 50]))
    case = w.case()
    members = rows(db, Person, Person.household_id == case.household_id)
    assert len(members) == 7 and {m.relation for m in members} >= {"self", "spouse", "child"}
    me = next(m for m in members if m.id_number == head)
    assert (me.sex, me.birth_date, me.village_id) == ("M", date(int(head[6:10]), int(head[10:12]), int(head[12:14])),
                                                        unit_id(SHUANGYUAN))
    household = rows(db, Household, Household.id == case.household_id)[0]
    assert household.head_id == me.id and household.address == "响水县响水镇双园村3组"
    assert household.number.startswith("320921-H")
    joined = rows(db, HouseholdEvent, HouseholdEvent.household_id == case.household_id, HouseholdEvent.kind == "joined")
    assert len(joined) == 7
    declared = rows(db, EconomicRecord, EconomicRecord.household_id == case.household_id)
    assert len(declared) == 1 and declared[0].kind == "declaration" and declared[0].monthly_income == 650


def test_a_second_open_application_of_the_type_is_refused_naming_the_open_case(db, clock, who, unit_id):
    head = fresh_id_number()
    first = lodge(db, clock, who, unit_id, sample_application("王小明", head, [300, 0]))
    with pytest.raises(Duplicate) as refused:
        lodge(db, clock, who, unit_id, sample_application("王小明", head, [300, 0]))
    assert refused.value.case_number == first.number and first.number in refused.value.message_zh
    # Lodged again by another member of the same household, as applicant: the same household, refused too.
    spouse = sample_application("王小明", head, [300, 0])["members"][1]
    other = {**sample_application(spouse["name"], spouse["id_number"], [0]),
             "members": [{**spouse, "relation": "self"}, {"name": "王小明", "id_number": head, "relation": "spouse",
                                                          "monthly_income": 300, "authorisation": "self"}]}
    with pytest.raises(Duplicate):
        lodge(db, clock, who, unit_id, other)
    assert len(rows(db, Case, Case.applicant_id_number == head)) == 1


def test_a_household_already_receiving_is_refused_and_the_approval_checks_again(db, clock, who, unit_id):
    head = fresh_id_number()
    w = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0, 200]))
    w.drive_to("confirmation")
    w.do("confirmation")
    benefit = rows(db, Recipient, Recipient.case_id == w.case_id)[0]
    assert benefit.status == "active" and benefit.household_id == w.case().household_id
    with pytest.raises(Duplicate) as refused:
        lodge(db, clock, who, unit_id, sample_application("王小明", head, [300, 0, 200]))
    assert refused.value.case_number == w.number and "已在享受" in refused.value.message_zh
    assert len(rows(db, Recipient, Recipient.household_id == benefit.household_id)) == 1


def test_a_completed_refusal_lets_the_household_apply_again(db, clock, who, unit_id):
    head = fresh_id_number()
    w = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0]))
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="不符合申请条件")
    assert w.case().status == "completed" and w.case().open_key is None
    again = lodge(db, clock, who, unit_id, sample_application("王小明", head, [300, 0]))
    assert rows(db, Case, Case.id == again.id)[0].household_id == w.case().household_id


def test_an_excluded_combination_is_flagged_and_the_approver_must_decide(db, clock, who, unit_id):
    head = fresh_id_number()
    first = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0, 200]))
    household_id = first.case().household_id
    granting = start(db, clock, who, unit_id)  # stands for the 特困 case that granted it
    with db.unit_of_work(write=True) as uow:  # a member already supported as 特困 (the register's row)
        uow.session.execute(insert(Recipient).values(
            assistance_type="extreme_poverty", case_id=granting.case_id, county_id=unit_id("320921"),
            township_id=unit_id("320921100"), village_id=unit_id(SHUANGYUAN), applicant_name="王小明",
            applicant_id_number=head, household_size=1, monthly_amount=1200.0, payment_from=date(2026, 1, 1),
            review_class="B", next_review_on=date(2027, 1, 1), status="active", updated_at=NOW,
            household_id=household_id, payment="monthly", active_key=f"x{household_id}:extreme_poverty"))
        uow.commit()
    first.drive_to("confirmation")
    flags = rows(db, CaseFlag, CaseFlag.case_id == first.case_id)
    assert [f.rule for f in flags] == ["minimum_living_and_extreme_poverty"] and flags[0].decision is None
    assert granting.number in flags[0].message and "1200.00" in flags[0].message
    with pytest.raises(FormInvalid) as refused:
        first.do("confirmation")
    assert "_flags" in refused.value.errors
    assert not rows(db, Recipient, Recipient.case_id == first.case_id, Recipient.assistance_type == "minimum_living")
    county = who("county_mz")
    with db.unit_of_work(write=True) as uow:  # the confirming official (township, Xiangshui) decides
        township = who("township_xs")
        with pytest.raises(NotFound):  # someone without a task on the case cannot decide
            decide_flag(uow.session, who("village_cg"), clock, flags[0].id, "proceed", "理由")
        decide_flag(uow.session, township, clock, flags[0].id, "proceed", "经核实特困供养将终止，转入低保")
        uow.commit()
    assert county is not None
    first.do("confirmation")
    decided = rows(db, CaseFlag, CaseFlag.case_id == first.case_id)[0]
    assert (decided.decision, decided.decided_by_id) == ("proceed", who("township_xs").user_id)
    event = rows(db, CaseEvent, CaseEvent.case_id == first.case_id, CaseEvent.kind == "flag_decided")[0]
    assert event.data["after"] == {"decision": "proceed", "note": "经核实特困供养将终止，转入低保"}
    assert rows(db, Recipient, Recipient.case_id == first.case_id, Recipient.assistance_type == "minimum_living")


def test_a_check_is_recorded_in_the_shared_record_and_seen_by_the_next_application(db, clock, who, unit_id):
    head = fresh_id_number()
    w = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0, 200]))
    w.drive_to("economic_check")
    w.do("economic_check", check_report_number="HD-2026-0777", check_findings="存款 3000 元")
    household_id = w.case().household_id
    with db.unit_of_work() as uow:
        record = latest_valid_record(uow.session, household_id, clock.today())
    assert (record["kind"], record["source"], record["report_number"], record["result"]) == (
        "verification", "省核对平台", "HD-2026-0777", "eligible")
    assert record["valid_until"] == date(2027, 3, 15)
    with db.unit_of_work() as uow:  # a later application of any type sees it in its file
        file = case_file(uow.session, who("township_xs"), w.case_id)
    assert any(r["report_number"] == "HD-2026-0777" for r in file.household.economic)


def test_the_checker_sees_full_member_ids_and_the_view_is_recorded(db, clock, who, unit_id):
    head = fresh_id_number()
    w = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0, 200]))
    w.drive_to("economic_check")
    with db.unit_of_work(write=True) as uow:
        checker = case_file(uow.session, who("county_mz"), w.case_id, "economic_check", now=clock.now())
        township = case_file(uow.session, who("township_xs"), w.case_id, "economic_check", now=clock.now())
        uow.commit()
    assert head in [m["id_number"] for m in checker.household.members] and checker.household.ids_revealed
    assert head not in [m["id_number"] for m in township.household.members]
    assert all("*" in m["id_number"] for m in township.household.members)
    reveals = rows(db, IdReveal, IdReveal.kind == "check_task")
    assert len(reveals) == 1 and reveals[0].user_id == who("county_mz").user_id and reveals[0].row_count == 3


def test_the_file_is_only_for_the_case_place(db, clock, who, unit_id):
    w = start(db, clock, who, unit_id)
    with db.unit_of_work() as uow:
        with pytest.raises(NotFound):
            case_file(uow.session, who("village_cg"), w.case_id)
        with pytest.raises(NotFound):
            case_file(uow.session, who("street_rx"), w.case_id)


def test_a_person_moves_between_households_with_their_history(db, clock, who, unit_id):
    a, b = fresh_id_number(), fresh_id_number()
    first = start(db, clock, who, unit_id, data=sample_application("王小明", a, [300, 0]))
    spouse = sample_application("王小明", a, [300, 0])["members"][1]
    earlier = start(db, clock, who, unit_id, data=sample_application("李大华", b, [100]))  # 李大华's own household
    earlier.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="材料不全且不愿补正")
    data = sample_application("李大华", b, [100])
    data["members"].append({**spouse, "relation": "spouse"})  # the spouse moved to 李大华's household
    with pytest.raises(Duplicate):  # while 王小明's 低保 (listing the spouse) is open, not for this type
        lodge(db, clock, who, unit_id, data)
    first.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="家庭成员已迁出")
    second = lodge(db, clock, who, unit_id, data)
    with db.unit_of_work() as uow:
        s = uow.session
        moved = s.execute(select(Person).where(Person.id_number == spouse["id_number"])).scalar_one()
        new_household = s.execute(select(Case.household_id).where(Case.id == second.id)).scalar_one()
        kinds = s.execute(select(HouseholdEvent.household_id, HouseholdEvent.kind).where(
            HouseholdEvent.person_id == moved.id).order_by(HouseholdEvent.id)).all()
        left_count = s.execute(select(func.count()).select_from(Person).where(
            Person.household_id == first.case().household_id)).scalar_one()
    assert moved.household_id == new_household != first.case().household_id
    assert [k for _h, k in kinds] == ["joined", "left", "joined"] and left_count == 1


def test_an_open_application_of_an_excluded_type_is_flagged_too(db, clock, who, unit_id):
    from tests.processes.test_extreme_poverty import application as extreme_poverty_application
    head = fresh_id_number()
    minimum = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0]))
    data = {**extreme_poverty_application(SHUANGYUAN), "applicant_name": "王小明", "applicant_id_number": head}
    poverty = lodge(db, clock, who, unit_id, data, process_id="extreme_poverty_xiangshui")
    flags = rows(db, CaseFlag, CaseFlag.case_id == poverty.id)
    assert [(f.rule, f.other_case_id, f.other_recipient_id) for f in flags] == [
        ("extreme_poverty_and_minimum_living", minimum.case_id, None)]
    assert "办理中的申请" in flags[0].message and minimum.number in flags[0].message
    assert rows(db, Case, Case.id == poverty.id)[0].household_id == minimum.case().household_id
    # The household's earlier open case is flagged at once too (its own next step is not needed for that).
    earlier = rows(db, CaseFlag, CaseFlag.case_id == minimum.case_id)
    assert [(f.rule, f.other_case_id) for f in earlier] == [("minimum_living_and_extreme_poverty", poverty.id)]


def test_a_benefit_granted_flags_the_households_other_open_cases_at_once(db, clock, who, unit_id):
    from tests.processes.test_extreme_poverty import application as extreme_poverty_application
    head = fresh_id_number()
    minimum = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0]))
    minimum.drive_to("confirmation")
    minimum.do("confirmation")  # granted: the household now receives 低保
    data = {**extreme_poverty_application(SHUANGYUAN), "applicant_name": "王小明", "applicant_id_number": head}
    poverty = lodge(db, clock, who, unit_id, data, process_id="extreme_poverty_xiangshui")
    flags = rows(db, CaseFlag, CaseFlag.case_id == poverty.id)
    benefit = rows(db, Recipient, Recipient.case_id == minimum.case_id)[0]
    assert [(f.rule, f.other_recipient_id) for f in flags] == [("extreme_poverty_and_minimum_living", benefit.id)]
