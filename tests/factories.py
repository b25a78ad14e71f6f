"""Factories and a small driver for walking real BPMN routes through the use cases."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.cases import complete_task, start_case
from engine.timers import fire_due_timers_for_case
from engine.demo import sample_application
from engine.models import Case, CaseEvent, HumanTask

XIANGSHUI = "minimum_living_xiangshui"
SHUANGYUAN = "320921100201"   # 双园村, 响水镇 (响水县, Xiangshui model)
RENXING = "220302001001"      # 仁兴社区, 仁兴街道 (四平市铁西区, Siping model)
SANTIDIKOU = "340603004001"   # 三堤口社区, 三堤口街道 (淮北市相山区, Santidikou model)
DONGJIE = "340603001001"      # 东街社区, 东街街道 (相山区, national default)
# Which demo user does each lane's work, by the first characters of the village code (its township).
LANE_USERS = {
    "320921100": {"village": "village_sy", "township": "township_xs", "county": "county_mz",
                  "disability_federation": "disability_xs"},
    "220302001": {"village": "community_rx", "township": "street_rx", "county": "district_tx",
                  "district_center": "center_tx", "disability_federation": "disability_tx"},
    "340603004": {"village": "community_stk", "township": "street_stk", "review_panel": "panel_stk",
                  "county": "district_xsq"},
    "340603001": {"township": "street_dj", "county": "district_xsq", "disability_federation": "disability_xsq"},
}
STARTER = {"320921100": "village_sy", "220302001": "community_rx", "340603004": "community_stk",
           "340603001": "street_dj"}
LANE_USER = LANE_USERS["320921100"]

FORM_DATA: dict[str, dict[str, Any]] = {
    "acceptance": {"acceptance_decision": "accepted", "accepted_on": "2026-09-15"},
    "supplement": {"supplied_materials": "户口簿复印件、收入证明", "supplied_on": "2026-09-16"},
    "near_relative_filing": {"relative_of": "申请人之子为双园村村委委员", "filing_number": "XS-BA-2026-01"},
    "economic_check": {"check_result": "eligible", "check_report_number": "HD-2026-0001"},
    "inform_check_result": {"notified_on": "2026-09-18", "check_objection": False},
    "recheck": {"recheck_result": "eligible", "recheck_findings": "补充材料证明存款已用于医疗"},
    "home_investigation": {"investigators": [{"name": "张干事"}, {"name": "李干事"}], "visited_on": "2026-09-20",
                           "village_assisted": True, "investigation_findings": "家庭情况属实"},
    "preliminary_opinion": {"opinion": "eligible", "opinion_reasons": "人均收入低于当地低保标准"},
    "publicity": {"objection_summary": "邻居反映其子女有稳定收入", "objection_lodged_on": "2026-09-24"},
    "objection_handling": {"objection_method": "democratic_appraisal"},
    "democratic_appraisal": {"appraisal_held_on": "2026-09-28", "participants": 15, "villager_representatives": 11,
                             "votes_for": 13, "votes_against": 2, "appraisal_conclusion": "多数同意纳入"},
    "reinvestigation": {"reinvestigation_findings": "经重新调查，子女收入不稳定"},
    "revised_opinion": {"opinion": "eligible", "opinion_reasons": "经评议，符合条件"},
    "county_home_visit": {"county_visited_on": "2026-10-09", "county_visit_findings": "情况属实",
                          "county_visit_agrees": True},
    "confirmation": {"confirmation_decision": "confirmed", "confirmed_on": "2026-10-12"},
}


@dataclass
class Walk:
    """A case being walked through its route by the demo users."""

    db: Any
    clock: Any
    who: Any
    case_id: int
    number: str
    township: str = "320921100"
    form_data: dict | None = None

    def open_tasks(self) -> list:
        with self.db.unit_of_work() as s:
            return s.execute(select(HumanTask).where(HumanTask.case_id == self.case_id, HumanTask.status == "open")
                             .order_by(HumanTask.created_at, HumanTask.id)).scalars().all()

    def open_names(self) -> list[str]:
        return [t.task_name for t in self.open_tasks()]

    def do(self, name: str, **overrides) -> str:
        """Complete the open task ``name`` as the user of its lane, with default data plus overrides.

        Returns the username who did it (the lane's user in the case's place).
        """
        task = next((t for t in self.open_tasks() if t.task_name == name), None)
        assert task is not None, f"{name} not open; open: {self.open_names()}"
        username = LANE_USERS[self.township][task.role]
        defaults = (self.form_data or FORM_DATA).get(name, {})
        with self.db.unit_of_work(write=True) as s:
            complete_task(s, self.who(username), self.clock, task.id, {**defaults, **overrides})
        self._record()
        return username

    def _record(self) -> None:
        from tests.flow_coverage import record
        with self.db.unit_of_work() as s:
            record(s, s.get(Case, self.case_id))

    def fire_timers(self) -> bool:
        with self.db.unit_of_work(write=True) as s:
            moved = fire_due_timers_for_case(s, self.clock, self.case_id)
            s.commit()
        self._record()
        return moved

    def case(self) -> Case:
        with self.db.unit_of_work() as s:
            return s.get(Case, self.case_id)

    def events(self) -> list:
        with self.db.unit_of_work() as s:
            return s.execute(select(CaseEvent).where(CaseEvent.case_id == self.case_id)
                             .order_by(CaseEvent.id)).scalars().all()


def start(db, clock, who, unit_id, incomes=(300, 0, 200), near_relative=False, username=None,
          village=SHUANGYUAN, process_id=XIANGSHUI, data=None, form_data=None, **application) -> Walk:
    """Lodge an application (default: a 双园村 低保 household) and return its Walk.

    ``data`` replaces the whole start form; ``form_data`` maps task names to default
    submissions for ``Walk.do`` (default: the 低保 FORM_DATA).
    """
    if data is None:
        data = {**sample_application("王小明", "320921197001011236", list(incomes), near_relative), **application}
    township = village[:9]
    with db.unit_of_work(write=True) as s:
        started = start_case(s, who(username or STARTER[township]), clock, process_id, unit_id(village), data)
    walk = Walk(db, clock, who, started.id, started.number, township, form_data)
    walk._record()
    return walk
