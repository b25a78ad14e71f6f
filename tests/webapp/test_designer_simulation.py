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


def _draft(db, change=None) -> str:
    """The route's newest BPMN with ``change`` (old, new) made: what the modeler holds, unsaved."""
    from engine.catalogue.drafts import _latest
    with db.unit_of_work() as uow:
        xml = _latest(uow.session, ROUTE).bpmn_xml
    if change:
        assert change[0] in xml
        xml = xml.replace(*change, 1)
    return xml


def test_an_unsaved_draft_is_simulated_without_being_deployed_or_saved(designer, db):
    from engine.catalogue import versions
    before, cached = row_counts(db), set(versions._cache)
    first = demo_walk(ROUTE, date.today())
    xml = _draft(db, ('<camunda:property name="deadline" value="5wd" />',
                      '<camunda:property name="deadline" value="3wd" />'))
    body = {"village": "320921100201", "start": first["application"], "steps": [], "draft": {"bpmn": xml}}
    report = post(designer, body)
    assert report.status_code == 200, report.json
    [acceptance] = report.json["open"]
    assert acceptance["task"] == "acceptance" and acceptance["deadline"] == "3wd"   # the draft's, not 5wd
    body["steps"] = [{"task": "acceptance", "data": acceptance["sample"]}]
    report = post(designer, body)
    assert report.status_code == 200 and report.json["taken"][0]["deadline"] == "3wd"
    assert post(designer, {**body, "draft": None}).json["taken"][0]["deadline"] == "5wd"   # the deployed version
    assert row_counts(db) == before                      # no version, no draft, no case in the real store
    assert set(versions._cache) - cached <= {v for v in versions._cache if v > 0}   # no scratch version kept


@pytest.mark.parametrize("draft, status, says", [
    ({"bpmn": "<bpmn:definitions"}, 422, "XML"),
    ({"bpmn": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x/>'}, 422, "DOCTYPE"),
    ({"bpmn": "<x>" + "a" * 1_100_000 + "</x>"}, 422, "1000 KB"),
    ({"bpmn": "<x>" + "a" * 2_200_000 + "</x>"}, 413, ""),
    ({"bpmn": 12}, 422, ""),
    ("not an object", 400, ""),
])
def test_a_hostile_or_oversized_draft_is_refused_and_nothing_runs(designer, db, draft, status, says):
    before = row_counts(db)
    response = post(designer, {"village": "320921100201", "start": {}, "steps": [], "draft": draft})
    assert response.status_code == status, response.text[:300]
    if status == 422:
        assert response.json["ok"] is False and says in str(response.json)
    assert row_counts(db) == before


def test_a_draft_deploy_would_refuse_is_refused_with_its_problems_on_the_elements(designer, db):
    xml = _draft(db, ('<camunda:property name="deadline" value="5wd" />',
                      '<camunda:property name="Deadline" value="5wd" />'))
    response = post(designer, {"village": "320921100201", "start": {}, "steps": [], "draft": {"bpmn": xml}})
    assert response.status_code == 422
    assert any(p["element_id"] == "acceptance" and "Deadline" in p["message_zh"] for p in response.json["problems"])
