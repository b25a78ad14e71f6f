"""The 代领人 (who collects a benefit on the recipient's behalf): named with an ID number on the application, checked
by the forms' own ID validation (GB 11643) and refused when recorded as dead, with the Chinese message and nothing
written; kept on the benefit, shown masked on every payment roll (the bank's copy too), never logged; a version
of the route deployed before (its declarations without the collector) still registers its benefit; when the
collector dies, the benefit is no longer collected by them."""
from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import func, select

from engine.catalogue.declarations import RouteDeclarations
from engine.catalogue.forms import mask_id_number
from engine.errors import FormInvalid
from engine.oversight.reports import payment_roll, payment_roll_with_id_numbers
from engine.store.models import Case, CaseEvent, Person, Recipient, RecipientChange
from tests.factories import fresh_id_number, sample_application, start
from tests.integration.test_dead_people_refused import counts, dead  # noqa: F401  (the fixture)
from tests.integration.test_death_review import _record, household  # noqa: F401  (the fixture)
from tests.processes.test_minimum_living_models import ACCOUNT, lodge, walk_xiangshui  # noqa: F401

COLLECTOR = "赵小红"


def _collector_walk(lodge, clock, collector_id):
    return walk_xiangshui(lambda m: lodge(m, account={
        "payment_account": ACCOUNT, "account_keeper": "family", "collector_name": COLLECTOR,
        "collector_id_number": collector_id}), clock)


def test_the_collector_is_on_the_benefit_and_masked_on_every_roll_and_never_logged(lodge, clock, db, who, caplog):
    collector_id = fresh_id_number()
    caplog.set_level(logging.DEBUG)
    t = _collector_walk(lodge, clock, collector_id)
    name = t.walk.case().applicant_name
    with db.unit_of_work() as uow:
        benefit = uow.session.execute(select(Recipient).where(Recipient.case_id == t.walk.case_id)).scalar_one()
        assert (benefit.collector_name, benefit.collector_id_number) == (COLLECTOR, collector_id)
    shown = f"{COLLECTOR}（{mask_id_number(collector_id)}）"
    november = date(2026, 11, 1)
    # one roll per transaction, streamed as the export streams it (its rows read on the session's connection), and
    # as a list: the bank's copy then still writes its ID-reveal audit on the same connection (a batch size set on
    # the connection itself, not on the statement, broke every later statement there on PostgreSQL)
    for make in (lambda s: payment_roll(s, who("county_mz"), november, "all", stream=True),
                 lambda s: payment_roll_with_id_numbers(s, who("county_mz"), clock.now(), november, "minimum_living",
                                                        stream=True),
                 lambda s: payment_roll_with_id_numbers(s, who("county_mz"), clock.now(), november, "minimum_living")):
        with db.unit_of_work(write=True) as uow:
            roll = make(uow.session)
            [line] = [r for r in roll.rows if r[2] == name]
        assert roll.header[10] == "代领人" and line[10] == shown
        assert collector_id not in map(str, line)
    assert collector_id not in caplog.text


def test_a_dead_collector_is_refused_naming_them_and_nothing_is_written(db, clock, who, unit_id, dead):
    _household_id, died = dead
    before = counts(db)
    data = {**sample_application("赵大勇", fresh_id_number(), [300, 0]), "collector_name": died.name,
            "collector_id_number": died.id_number}
    with pytest.raises(FormInvalid) as refused:
        start(db, clock, who, unit_id, data=data)
    message = refused.value.errors["collector_id_number"]
    assert message.startswith(f"代领人{died.name}（身份证号 {mask_id_number(died.id_number)}）已于 2026-09-10 登记死亡")
    assert died.id_number not in message and "不能代为领取" in message
    assert "collect" in refused.value.errors_en["collector_id_number"]
    assert counts(db) == before


@pytest.mark.parametrize("wrong, expected", [
    ("320921199001011230", "公民身份号码校验位不正确"),   # the check digit
    ("32092119900101", None),                            # not 18 characters: the form's pattern
])
def test_a_collector_id_number_of_an_unknown_format_is_refused(db, clock, who, unit_id, wrong, expected):
    before = counts(db)
    data = {**sample_application("赵大勇", fresh_id_number(), [300, 0]), "collector_name": COLLECTOR,
            "collector_id_number": wrong}
    with pytest.raises(FormInvalid) as refused:
        start(db, clock, who, unit_id, data=data)
    message = refused.value.errors["collector_id_number"]
    assert "代领人公民身份号码" in message or (expected and expected in message)
    if expected:
        assert expected in message
    assert counts(db) == before


def test_a_collector_needs_both_name_and_id_number(db, clock, who, unit_id):
    with pytest.raises(FormInvalid) as refused:
        start(db, clock, who, unit_id, data={**sample_application("赵大勇", fresh_id_number(), [300, 0]),
                                             "collector_name": COLLECTOR})
    assert "代领人公民身份号码" in refused.value.errors["collector_id_number"]


def test_a_version_deployed_before_declares_no_collector_and_registers_none():
    """The declarations a version stored before the collector (no applicant.collector_*) read none from the data."""
    older = RouteDeclarations(applicant={"name": "applicant_name", "id_number": "applicant_id_number",
                                         "payment_account": "payment_account", "account_keeper": "account_keeper"})
    paid = older.payment_of({"payment_account": ACCOUNT, "account_keeper": "self", "collector_name": COLLECTOR,
                             "collector_id_number": "320921199001011236"})
    assert paid == {"payment_account": ACCOUNT, "account_keeper": "self", "collector_name": None,
                    "collector_id_number": None}


def test_the_collector_s_death_ends_their_collecting(lodge, clock, db, who, household):
    household_id, members = household()
    with db.unit_of_work() as uow:
        collector = uow.session.execute(select(Person).where(Person.id == members[2])).scalar_one()
    t = _collector_walk(lodge, clock, collector.id_number)
    _record(db, who, clock, household_id, collector.id, clock.today())
    with db.unit_of_work() as uow:
        s = uow.session
        benefit = s.execute(select(Recipient).where(Recipient.case_id == t.walk.case_id)).scalar_one()
        assert (benefit.collector_name, benefit.collector_id_number, benefit.status) == (None, None, "active")
        assert s.execute(select(RecipientChange.effect).where(RecipientChange.recipient_id == benefit.id)
                         .order_by(RecipientChange.id.desc())).scalars().first() == "collector_ended"
        assert s.execute(select(func.count()).where(CaseEvent.case_id == t.walk.case_id,
                                                    CaseEvent.kind == "collector_ended")).scalar_one() == 1
        assert s.execute(select(Case.status).where(Case.id == t.walk.case_id)).scalar_one() == "completed"
