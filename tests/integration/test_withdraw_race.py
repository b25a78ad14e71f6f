"""撤回 against the next step's start at the same moment: the database decides, one wins, the other gets a
clear 409, and the case is whole either way (both stores; the real contention is on PostgreSQL)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from engine.store.models import CaseEvent, HumanTask
from tests.factories import FORM_DATA, start

ROUNDS = 10


def _race(walk, login, next_action):
    acceptance = walk.open_tasks()[0]
    clerk, county = login("township_xs"), login("county_mz")
    assert clerk.post_form(f"/tasks/{acceptance.id}", FORM_DATA["acceptance"]).status_code == 302
    check = walk.open_tasks()[0]
    barrier = threading.Barrier(2)
    responses = {}

    def take_back():
        barrier.wait()
        responses["withdraw"] = clerk.post_form(f"/tasks/{acceptance.id}/withdraw", {})

    def go_on():
        barrier.wait()
        responses["next"] = next_action(county, check.id)

    threads = [threading.Thread(target=take_back), threading.Thread(target=go_on)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return acceptance, check, responses


def _check_outcome(db, walk, acceptance, check, responses, next_kind, before: int):
    codes = {k: r.status_code for k, r in responses.items()}
    assert sorted(c if c == 409 else c // 100 for c in codes.values()) == [3, 409], \
        {k: (r.status_code, r.text[:300]) for k, r in responses.items()}
    with db.unit_of_work() as uow:
        s = uow.session
        kinds = s.execute(select(CaseEvent.kind).where(CaseEvent.case_id == walk.case_id)
                          .order_by(CaseEvent.id)).scalars().all()
        check_row = s.get(HumanTask, check.id)
    if codes["withdraw"] != 409:  # the withdrawal won: acceptance open again, the county's step gone
        assert "此步骤已撤回或退回" in responses["next"].text
        assert walk.open_names() == ["acceptance"] and check_row.status == "withdrawn"
        assert "task_withdrawn" in kinds and kinds.count(next_kind) == before
    else:  # the county started first: nothing was taken back
        assert "不能撤回" in responses["withdraw"].text
        assert "task_withdrawn" not in kinds and kinds.count(next_kind) == before + 1
        assert walk.open_names() != ["acceptance"]


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_withdraw_races_the_next_claim(db, clock, who, unit_id, login, round_no):
    walk = start(db, clock, who, unit_id)
    acceptance, check, responses = _race(walk, login, lambda user, task_id: user.post_form(
        f"/tasks/{task_id}/claim", {}))
    _check_outcome(db, walk, acceptance, check, responses, "task_claimed", 0)


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_withdraw_races_the_next_completion(db, clock, who, unit_id, login, round_no):
    walk = start(db, clock, who, unit_id)
    acceptance, check, responses = _race(walk, login, lambda user, task_id: user.post_form(
        f"/tasks/{task_id}", FORM_DATA["economic_check"]))
    _check_outcome(db, walk, acceptance, check, responses, "task_completed", 1)
