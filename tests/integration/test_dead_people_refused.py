"""Nobody recorded as dead (household event ``died``, engine.cases.deaths.record_death) is lodged for, registered
at the window or listed as a household member again: each path is refused with the person named (recorded name,
masked ID) where the user may see their household, Chinese first with English, and nothing is written. A
privacy household's people are refused as before, without a word about the death. The reviews a death starts,
and later periodic reviews of the household, still start."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from engine.catalogue.forms import mask_id_number
from engine.errors import Forbidden, FormInvalid
from engine.households.registry import refuse_withheld
from engine.jobs import review_sweep
from engine.store.models import (Case, CaseEvent, Household, HouseholdEvent, HumanTask, Person, Recipient,
                                 WindowRegistration)
from engine.window.registration import Applicant, RequestedItem, register
from tests.factories import SHUANGYUAN, fresh_id_number, sample_application
from tests.integration.test_death_review import _record, household  # noqa: F401  (the fixture)
from tests.integration.test_household_registry import lodge
from tests.integration.test_task_operations import run

DIED_ON = date(2026, 9, 10)


def counts(db) -> dict[str, int]:
    with db.unit_of_work() as uow:
        s = uow.session
        return {m.__name__: s.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (Case, CaseEvent, HumanTask, Household, HouseholdEvent, Person, Recipient, WindowRegistration)}


def person(db, person_id):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Person).where(Person.id == person_id)).scalar_one()


@pytest.fixture
def dead(db, clock, who, household):
    """A 双园村 household of three whose second member died (its 低保 application ended by the county first, so
    no duplicate stands in the way): (household id, the dead person's row)."""
    household_id, members = household(benefit=False)
    with db.unit_of_work() as uow:
        origin = uow.session.execute(select(Case.id).where(Case.household_id == household_id)).scalar_one()
    from engine import terminate_case
    run(db, terminate_case, who("county_mz"), clock, origin, "申请人已迁出本县")
    assert _record(db, who, clock, household_id, members[1], DIED_ON).recorded
    return household_id, person(db, members[1])


def test_an_application_listing_a_dead_member_is_refused_naming_them(db, clock, who, unit_id, dead):
    _household_id, died = dead
    data = sample_application("赵大勇", fresh_id_number(), [300, 0])
    data["members"][1].update(name=died.name, id_number=died.id_number)
    before = counts(db)
    with pytest.raises(FormInvalid) as refused:
        lodge(db, clock, who, unit_id, data)
    message = refused.value.errors["members.1.id_number"]
    assert died.name in message and mask_id_number(died.id_number) in message and died.id_number not in message
    assert "已于 2026-09-10 登记死亡" in message and refused.value.message_zh == message
    assert "recorded as dead on 2026-09-10" in refused.value.errors_en["members.1.id_number"]
    assert counts(db) == before


def test_an_application_for_a_dead_applicant_is_refused(db, clock, who, unit_id, dead):
    from tests.processes.test_extreme_poverty import application
    _household_id, died = dead
    before = counts(db)
    with pytest.raises(FormInvalid) as refused:
        lodge(db, clock, who, unit_id, {**application(SHUANGYUAN), "applicant_name": died.name,
                                        "applicant_id_number": died.id_number}, process_id="extreme_poverty_xiangshui")
    assert died.name in refused.value.errors["applicant_id_number"]
    assert counts(db) == before


def test_an_application_entrusted_to_a_dead_proxy_is_refused_naming_them(db, clock, who, unit_id, dead):
    """受委托人: the one entrusted to apply (``applicant.proxy_id_number``) may not be recorded as dead either."""
    _household_id, died = dead
    data = {**sample_application("赵大勇", fresh_id_number(), [300, 0]), "channel": "entrusted",
            "proxy_name": died.name, "proxy_id_number": died.id_number, "power_of_attorney_checked": True}
    before = counts(db)
    with pytest.raises(FormInvalid) as refused:
        lodge(db, clock, who, unit_id, data)
    message = refused.value.errors["proxy_id_number"]
    assert message.startswith("受委托人") and died.name in message and mask_id_number(died.id_number) in message
    assert "不能受托代为申请" in message and died.id_number not in message
    assert "cannot apply on the applicant's behalf" in refused.value.errors_en["proxy_id_number"]
    assert counts(db) == before


def test_the_window_refuses_to_register_a_dead_person(db, clock, who, unit_id, dead):
    _household_id, died = dead
    before = counts(db)
    with db.unit_of_work(write=True) as uow, pytest.raises(FormInvalid) as refused:
        register(uow.session, who("township_xs"), clock, unit_id(SHUANGYUAN),
                 Applicant(died.name, died.id_number, "响水县响水镇双园村3组"), "家中困难",
                 [RequestedItem("minimum_living"), RequestedItem("medical_aid")])
    assert died.name in refused.value.errors["applicant_id_number"]
    assert counts(db) == before


def test_a_privacy_household_s_dead_member_is_refused_without_a_word_of_the_death(db, clock, who, unit_id, dead):
    household_id, died = dead
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(update(Household).where(Household.id == household_id).values(privacy=True))
        uow.commit()
    data = sample_application("赵大勇", fresh_id_number(), [300, 0])
    data["members"][1].update(name=died.name, id_number=died.id_number)
    before = counts(db)
    with pytest.raises(Forbidden) as refused:
        lodge(db, clock, who, unit_id, data)  # the village, which may not see the household's file
    assert "街道（乡镇）" in refused.value.message_zh and died.name not in refused.value.message_zh
    assert "死亡" not in refused.value.message_zh
    with pytest.raises(FormInvalid) as named:  # the street holds the file: it is told who and why
        lodge(db, clock, who, unit_id, data, username="township_xs")
    assert died.name in named.value.errors["members.1.id_number"]
    assert counts(db) == before


def test_someone_outside_the_user_s_place_is_refused_by_masked_id_only(db, who, dead):
    _household_id, died = dead
    with db.unit_of_work() as uow, pytest.raises(FormInvalid) as refused:
        refuse_withheld(uow.session, who("community_rx"), [died.id_number], {died.id_number: "applicant_id_number"})
    message = refused.value.errors["applicant_id_number"]
    assert died.name not in message and mask_id_number(died.id_number) in message and "登记死亡" in message


def test_reviews_of_a_household_whose_applicant_died_still_start(db, clock, who, household):
    """The death's own review, and (once that one is ended) the next periodic review: neither is an application;
    both name the household's new head, who holds its benefit since the death."""
    household_id, members = household()
    done = _record(db, who, clock, household_id, members[0], DIED_ON)
    assert len(done.started) == 1
    from engine import terminate_case
    with db.unit_of_work() as uow:
        review_id = uow.session.execute(select(Case.id).where(Case.number == done.started[0])).scalar_one()
    run(db, terminate_case, who("county_mz"), clock, review_id, "复核对象情况已另案处理")
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(update(Recipient).where(Recipient.household_id == household_id)
                            .values(next_review_on=date(2026, 9, 1)))
        uow.commit()
    assert review_sweep(db, clock)["started"] == 1
    with db.unit_of_work() as uow:
        s = uow.session
        linked = s.execute(select(Recipient.review_case_id).where(Recipient.household_id == household_id)).scalar_one()
        assert linked not in (None, review_id)
        # the household's new head (户主变更 at the death) holds the benefit now, and the review names them
        head = s.execute(select(Household.head_id).where(Household.id == household_id)).scalar_one()
        assert head != members[0] and done.new_head == person(db, head).name
        assert s.execute(select(Case.applicant_id_number).where(Case.id == linked)).scalar_one() == person(
            db, head).id_number


def test_the_application_form_from_the_file_leaves_the_dead_out(db, clock, who, dead):
    from engine import application_defaults
    household_id, died = dead
    schema = {"properties": {"applicant_name": {}, "applicant_id_number": {}, "members": {
        "type": "array", "items": {"properties": {"name": {}, "id_number": {}}}}}}
    with db.unit_of_work(write=True) as uow:  # the prefill records its reveal
        values = application_defaults(uow.session, who("township_xs"), household_id, schema, clock.now(), clock.today())
    assert died.id_number not in values.values() and sum(k.endswith("-id_number") for k in values) == 2
