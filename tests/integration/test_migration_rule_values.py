"""A running case moved to a new version that reads a county rule value the case was never given (R58): the
move fills it from the rules in force on the day the case was lodged (its case_started event), recorded on
the migration event, and the case runs on; where the county's rules of that day have no such value the move is
refused up front naming it, and the case stays as it was."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select, update

from engine.cases.migration import migrate_cases, migration_preview
from engine.catalogue.drafts import deploy_draft
from engine.catalogue.rules import PROCESSES_DIR
from engine.catalogue.versions import get_version
from engine.runtime.workflow import Workflow
from engine.store.models import Case, CaseEvent
from tests.factories import start

SCRIPT = "<bpmn:script>monthly_amount = money(max(0, local_standard * household_size - total_income))"
# The new version's amount script also works out the 低保边缘 line from a rule value the old one never read.
EDGE_LINE = "\nlow_income_line = money(local_standard * low_income_income_multiple)"


def route_xml(model: str, line: str) -> str:
    xml = (PROCESSES_DIR / "minimum_living" / f"{model}.bpmn").read_text(encoding="utf-8")
    script_end = xml.index("</bpmn:script>", xml.index(SCRIPT))
    return xml[:script_end] + line + xml[script_end:]


def without(db, case_id: int, name: str) -> None:
    """Store the case as one lodged before the county data had ``name`` (no step's data holds it)."""
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        state = json.loads(s.get(Case, case_id).state)
        for task in state["tasks"].values():
            task.get("data", {}).pop(name, None)
        state.get("data", {}).pop(name, None)
        s.execute(update(Case).where(Case.id == case_id).values(state=json.dumps(state, ensure_ascii=False)))
        uow.commit()


def new_version(db, clock, who, process_id: str, xml: str) -> int:
    with db.unit_of_work(write=True) as uow:
        outcome = deploy_draft(uow.session, clock.now(), who("designer").user_id, process_id, xml, "新增低保边缘线")
        uow.commit()
    assert outcome.created
    return outcome.version_id


def preview_and_migrate(db, clock, who, version_id: int, case_id: int):
    """The designer's preview of the one running case, then the batch moving it: (verdict, result)."""
    route = "minimum_living_xiangshui"
    with db.unit_of_work() as uow:
        [verdict] = migration_preview(uow.session, who("designer"), route, version_id)
    with db.unit_of_work(write=True) as uow:
        [result] = migrate_cases(uow.session, who("designer"), clock.now(), route, version_id, [case_id])
        uow.commit()
    return verdict, result


def data_of(db, case_id: int) -> dict:
    with db.unit_of_work() as uow:
        case = uow.session.get(Case, case_id)
        return Workflow.restore(get_version(uow.session, case.process_version_id).spec, case.state).data


def test_a_rule_value_the_new_version_reads_is_filled_from_the_rules_of_the_lodging_day(db, clock, who, unit_id,
                                                                                         forget_new_versions):
    old_case = start(db, clock, who, unit_id)          # 响水: lodged 2026-09-15, standard 780, multiple 1.5
    without(db, old_case.case_id, "low_income_income_multiple")
    clock.set(datetime(2026, 9, 21, 2, 0, tzinfo=timezone.utc))
    v2 = new_version(db, clock, who, "minimum_living_xiangshui", route_xml("xiangshui", EDGE_LINE))
    verdict, result = preview_and_migrate(db, clock, who, v2, old_case.case_id)
    assert verdict.safe and verdict.added == (("low_income_income_multiple", 1.5),)
    assert "受理日（2026-09-15）" in verdict.reason_zh and "low_income_income_multiple = 1.5" in verdict.reason_zh
    assert result.result == "migrated"
    with db.unit_of_work() as uow:
        event = uow.session.execute(select(CaseEvent).where(CaseEvent.case_id == old_case.case_id,
                                                            CaseEvent.kind == "migrated")).scalar_one()
    assert event.data["added_rule_values"] == {"low_income_income_multiple": 1.5}
    old_case.drive_to(None)
    case = old_case.case()
    assert case.status == "completed" and case.process_version_id == v2
    assert data_of(db, old_case.case_id)["low_income_line"] == 1170, "780 × 1.5, the rules it was lodged under"


def test_a_rule_value_the_lodging_day_had_not_refuses_the_move_up_front(db, clock, who, unit_id, forget_new_versions):
    """A case lodged (its case_started event) before 响水's recorded rules begin (2021-09-01) lacks the value and
    no rule of its day can give it: the move is refused naming the value, and the case stays exactly as it was."""
    case = start(db, clock, who, unit_id)
    without(db, case.case_id, "low_income_income_multiple")
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(update(CaseEvent).where(CaseEvent.case_id == case.case_id, CaseEvent.kind == "case_started")
                            .values(at=datetime(2020, 6, 1, 2, 0, tzinfo=timezone.utc)))
        uow.commit()
    with db.unit_of_work() as uow:
        row = uow.session.get(Case, case.case_id)
        before = (row.process_version_id, row.revision, row.state)
    v2 = new_version(db, clock, who, "minimum_living_xiangshui", route_xml("xiangshui", EDGE_LINE))
    verdict, result = preview_and_migrate(db, clock, who, v2, case.case_id)
    assert not verdict.safe and "「low_income_income_multiple」" in verdict.reason_zh
    assert "受理日（2020-06-01）" in verdict.reason_zh
    assert result.result == "refused"
    with db.unit_of_work() as uow:
        row = uow.session.get(Case, case.case_id)
        assert (row.process_version_id, row.revision, row.state) == before
