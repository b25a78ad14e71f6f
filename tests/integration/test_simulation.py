"""The simulation's engine: every shipped route can be lodged on a scratch store with the sample data it
is prefilled with (the demo case's, else made from the start form's schema), and the real store is not
written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.cases.simulation import simulate, simulation_start
from engine.errors import JiuzhuError
from engine.installation import demo_walk
from engine.store.models import Base, ProcessVersion


def _counts(db) -> dict[str, int]:
    with db.unit_of_work() as uow:
        return {t.name: uow.session.execute(select(func.count()).select_from(t)).scalar()
                for t in Base.metadata.sorted_tables}


def test_every_route_lodges_its_sample_application_on_the_scratch_store(db, clock):
    before = _counts(db)
    with db.unit_of_work() as uow:
        s = uow.session
        routes = sorted(set(s.execute(select(ProcessVersion.process_id)).scalars()))
        assert len(routes) >= 20
        for route in routes:
            demo = demo_walk(route, clock.today())
            setup = simulation_start(s, clock.today(), route, demo)
            report = simulate(s, clock.now(), route, setup["village"], setup["start"], [], demo.get("steps"))
            assert report["open"] or report["status"] != "running", route
            for step in report["open"]:
                assert step["role_name"] and step["unit"], (route, step)
    assert _counts(db) == before


def test_a_walk_is_refused_past_the_step_limit(db, clock):
    with db.unit_of_work() as uow:
        with pytest.raises(JiuzhuError) as refused:
            simulate(uow.session, clock.now(), "minimum_living_xiangshui", "320921100201", {}, [{}] * 61)
    assert "最多" in refused.value.message_zh


def test_a_walk_shows_the_documents_an_objection_voided_as_voided(db, clock):
    """A 公示 objection in the walk voids what the redone steps issued (engine.cases.voiding): the simulation
    lists those documents as voided (with why), never as valid, and the ones still valid as valid."""
    route = "minimum_living_santidikou"
    objection = {"objection_summary": "居民反映申请人有一辆营运车辆", "objection_lodged_on": "2026-09-24"}
    steps: list[dict] = []
    with db.unit_of_work() as uow:
        s = uow.session
        demo = demo_walk(route, clock.today())
        setup = simulation_start(s, clock.today(), route, demo)
        report = simulate(s, clock.now(), route, setup["village"], setup["start"], [], demo.get("steps"))
        while report["open"] and not any(d["voided"] for d in report["documents"]) and len(steps) < 30:
            step = report["open"][0]
            objected = step["task"] == "appraisal_publicity" and not any(
                s["task"] == "appraisal_publicity" for s in steps)
            data = {**step["sample"], **(objection if objected else {})}
            steps.append({"task": step["task"], "data": data})
            report = simulate(s, clock.now(), route, setup["village"], setup["start"], steps, demo.get("steps"))
    voided = [d for d in report["documents"] if d["voided"]]
    assert voided and all(d["voided_reason"] for d in voided), report["documents"]
    assert any(not d["voided"] for d in report["documents"])
    listed = [d for t in report["taken"] for d in t["documents"]]
    assert {d["number"] for d in listed if d["voided"]} == {d["number"] for d in voided}
