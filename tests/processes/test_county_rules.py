"""County rules and delegation models are dated data: a change from a date affects new cases only."""
from __future__ import annotations

import copy
from datetime import date, datetime, timezone

import pytest

from engine.catalogue import rules
from engine.cases.lifecycle import start_application
from tests.factories import fresh_id_number, sample_application
from engine.store.models import Case
from tests.factories import LANE_USERS, SHUANGYUAN, Walk

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def changed_rules(monkeypatch):
    """响水县 switches to the national model and raises its 低保 standard from 2026-10-01."""
    data = copy.deepcopy(rules.counties())
    xiangshui = data["320921"]
    xiangshui["models"].append({"effective_from": date(2026, 10, 1), "model": "national"})
    raised = dict(xiangshui["rules"][-1], effective_from=date(2026, 10, 1), minimum_living_standard=820)
    xiangshui["rules"].append(raised)
    monkeypatch.setattr(rules, "counties", lambda directory=rules.PROCESSES_DIR: data)
    return data


def lodge(db, clock, who, unit_id) -> Case:
    data = sample_application("王小明", fresh_id_number(), [300, 0, 200])
    with db.unit_of_work(write=True) as uow:
        started = start_application(uow.session, who("village_sy"), clock, "minimum_living", unit_id(SHUANGYUAN), data)
        uow.commit()
    with db.unit_of_work() as uow:
        s = uow.session
        return s.get(Case, started.id)


def test_a_new_model_and_standard_apply_to_cases_lodged_from_their_date(changed_rules, db, clock, who, unit_id):
    before = lodge(db, clock, who, unit_id)
    clock.set(datetime(2026, 10, 8, 2, 0, tzinfo=timezone.utc))
    after = lodge(db, clock, who, unit_id)
    assert before.process_id == "minimum_living_xiangshui" and before.summary["local_standard"] == 780
    assert after.process_id == "minimum_living_national" and after.summary["local_standard"] == 820


def test_a_case_accepted_before_the_change_finishes_on_its_old_rules(changed_rules, db, clock, who, unit_id):
    old = lodge(db, clock, who, unit_id)
    walk = Walk(db, clock, who, old.id, old.number, SHUANGYUAN[:9])
    walk.do("acceptance")
    clock.set(datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc))  # the change is in force now
    walk.drive_to("confirmation")
    assert walk.do("confirmation") == LANE_USERS["320921100"]["township"]  # still the township decides
    case = walk.case()
    assert case.process_id == "minimum_living_xiangshui"
    assert case.summary["local_standard"] == 780 and case.summary["monthly_amount"] == 1840.0
