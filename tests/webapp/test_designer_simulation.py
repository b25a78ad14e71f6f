"""The designer's simulation: a route walked with test data on a scratch store — the steps taken, their
lanes and units, deadlines and documents — and not one row written to the real store."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from engine.installation import demo_walk
from engine.store.models import Base

ROUTE = "minimum_living_xiangshui"
BASE = f"/designer/processes/{ROUTE}/simulate"


@pytest.fixture
def designer(login):
    return login("designer")


def post(user, body):
    return user.client.post(BASE, json=body, headers={"X-CSRFToken": user.csrf})


def row_counts(db) -> dict[str, int]:
    """Every table's row count in the real store."""
    with db.unit_of_work() as uow:
        return {t.name: uow.session.execute(select(func.count()).select_from(t)).scalar()
                for t in Base.metadata.sorted_tables}


def walk_until(user, start: dict, village: str, task: str, limit: int = 20) -> dict:
    """Submit each open step's sample data until the step ``task`` is open; the last report."""
    steps = []
    for _ in range(limit):
        report = post(user, {"village": village, "start": start, "steps": steps})
        assert report.status_code == 200, report.json
        data = report.json
        if any(o["task"] == task for o in data["open"]) or not data["open"]:
            return data
        step = data["open"][0]
        steps.append({"task": step["task"], "data": step["sample"]})
    raise AssertionError(f"{task} never opened")


def test_the_simulation_page_offers_the_villages_and_sample_start_data(designer):
    page = designer.get(BASE)
    assert page.status_code == 200 and "vendor/designer/simulate.js" in page.text
    assert "320921100201" in page.text and "applicant_id_number" in page.text


def test_the_near_relative_branch_reaches_the_county_home_visit_and_writes_nothing(designer, db):
    before = row_counts(db)
    setup = designer.get(BASE)
    assert setup.status_code == 200
    first = demo_walk(ROUTE, date.today())
    start = {**first["application"], "near_relative": True}
    report = walk_until(designer, start, "320921100201", "county_home_visit")
    taken = {step["task"]: step for step in report["taken"]}
    assert taken["acceptance"]["role"] == "township" and taken["acceptance"]["unit"] == "响水镇"
    assert taken["acceptance"]["deadline"] == "5wd" and taken["acceptance"]["due_on"]
    assert [d["kind"] for d in taken["acceptance"]["documents"]] == ["acceptance_notice"]
    assert "near_relative_filing" in taken     # the 近亲属 branch
    [visit] = report["open"]
    assert visit["task"] == "county_home_visit" and visit["role"] == "county" and visit["unit"] == "响水县"
    assert visit["deadline"] == "2wd" and visit["due_on"] and visit["schema"] and isinstance(visit["sample"], dict)
    assert report["current"] == ["county_home_visit"] and "near_relative_filing" in report["elements"]
    assert row_counts(db) == before


def test_the_ordinary_branch_skips_the_near_relative_filing(designer, db):
    first = demo_walk(ROUTE, date.today())
    report = walk_until(designer, {**first["application"], "near_relative": False}, "320921100201", "confirmation")
    assert "near_relative_filing" not in {s["task"] for s in report["taken"]}
    assert "county_home_visit" not in {s["task"] for s in report["taken"]}


@pytest.mark.parametrize("body, status", [
    ({"village": "320921100201", "start": {"applicant_name": 1}, "steps": []}, 422),
    ({"village": "999", "start": {}, "steps": []}, 422),
    ({"village": "320921100201", "start": {}, "steps": "x"}, 422),
    ({"village": "320921100201", "start": {}, "steps": [{"task": "nope", "data": {}}]}, 422),
    ([1, 2], 400),
])
def test_bad_walks_are_refused_with_a_message_and_write_nothing(designer, db, body, status):
    before = row_counts(db)
    response = post(designer, body)
    assert response.status_code == status
    if status == 422:
        assert response.json["ok"] is False and response.json["message"]
    assert row_counts(db) == before


def test_only_designers_simulate_and_the_post_needs_the_csrf_token(login, designer, db):
    for username in ("admin", "township_xs"):
        user = login(username)
        assert user.get(BASE).status_code == 403 and post(user, {"steps": []}).status_code == 403
    assert designer.client.post(BASE, json={"steps": []}).status_code == 400
    assert designer.get("/designer/processes/no_such_route/simulate").status_code == 404
