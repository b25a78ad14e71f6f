"""Factories and a small driver for walking real BPMN routes through the use cases."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from engine.cases.cosigning import cosign_by, cosigners, required_signoffs
from engine.cases.lifecycle import complete_task, start_case
from engine.cases.operations import colleagues
from engine.cases.timers import fire_due_timers_for_case
from engine.catalogue.form_samples import sample_for_schema  # noqa: F401  (the tests import it from here)
from engine.catalogue.forms import SIGNATURES_HINT, with_check_digit
from engine.installation import demo_password
from engine.people.accounts import principal_of
from engine.store.models import Case, CaseEvent, HumanTask, User
from engine.catalogue.versions import get_version

DEMO_PASSWORD = demo_password()
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

# What a home visit records beyond the findings (57号 Art. 16): who investigated, that the household cooperated,
# and the members present who signed (Walk.do puts the case's applicant there).
INVESTIGATION_RECORD = {"investigated_by": "staff", "household_cooperation": "cooperated",
                        "household_signatures": [{"name": "王小明", "signature": "self"}]}
FORM_DATA: dict[str, dict[str, Any]] = {
    "acceptance": {"acceptance_decision": "accepted", "accepted_on": "2026-09-15"},
    "supplement": {"supplied_materials": "户口簿复印件、收入证明", "supplied_on": "2026-09-16"},
    "near_relative_filing": {"relative_of": "申请人之子为双园村村委委员", "filing_number": "XS-BA-2026-01"},
    "economic_check": {"check_result": "eligible", "check_report_number": "HD-2026-0001"},
    "inform_check_result": {"notified_on": "2026-09-18", "check_objection": False},
    "recheck": {"recheck_result": "eligible", "recheck_findings": "补充材料证明存款已用于医疗"},
    "home_investigation": {"investigators": [{"name": "张干事"}, {"name": "李干事"}], "visited_on": "2026-09-20",
                           "village_assisted": True, "investigation_findings": "家庭情况属实",
                           **INVESTIGATION_RECORD},
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


def cosign_as_colleagues(session, actor, clock, task) -> list[str]:
    """The 会签 a step's route asks for (property ``cosign``), signed by the actor's first colleagues of the
    task's role and unit (the demo's second investigators: township_xs2 …); returns their usernames."""
    needed = required_signoffs(get_version(session, session.get(Case, task.case_id).process_version_id)
                               .tasks.get(task.task_name, {}).get("properties", {}))
    if not needed:
        return []
    signers = cosigners(session, task.id)  # signed already (in a browser test, say): only the rest are added
    needed -= sum(1 for c in signers if c.signed_at is not None)
    taken = {c.user_id for c in signers}
    ids = [c.id for c in colleagues(session, actor, task.id) if c.id not in taken][:max(needed, 0)]
    assert len(ids) == needed, f"{task.task_name} needs {needed} co-signers besides {actor.username}"
    names = session.execute(select(User.username).where(User.id.in_(ids))).scalars().all()
    cosign_by(session, actor, clock, task.id, [principal_of(session, name) for name in names])
    return names


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
    trail: list[tuple[str, str, str]] = field(default_factory=list)  # (step, lane role, username) of each do()

    def open_tasks(self) -> list:
        with self.db.unit_of_work() as uow:
            s = uow.session
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
        data = {**defaults, **overrides}
        if SIGNATURES_HINT in str(self._version().forms.get(task.form_key) or ""):
            # a visit record (57号 Art. 16): the applicant was present and signed, unless the test says otherwise
            data = {**INVESTIGATION_RECORD, **data}
            if data["household_signatures"] == INVESTIGATION_RECORD["household_signatures"]:
                data["household_signatures"] = [{"name": self.case().applicant_name, "signature": "self"}]
        with self.db.unit_of_work(write=True) as uow:
            actor = self.who(username)
            cosign_as_colleagues(uow.session, actor, self.clock, task)
            complete_task(uow.session, actor, self.clock, task.id, data)
            uow.commit()
        self.trail.append((name, task.role, username))
        self._record()
        return username

    def drive_to(self, target: str | None, max_steps: int = 40, **choices) -> list[str]:
        """Complete whatever the route asks for until step ``target`` is open (``None``: until the case
        ends); returns the steps done.

        The route is read from the BPMN as the case runs, not from a list: each open step is done by
        its lane's user with the module's default data for it, or, for a step this module does not
        know, with data made from the step's own form schema. ``choices`` (e.g. ``opinion="eligible"``)
        are given to every step whose form has that field, which is how branches are chosen. A
        publicity step (property ``publicity``) is waited out: the clock moves to its timer.
        """
        done = []
        for _ in range(max_steps):
            open_tasks = self.open_tasks()
            names = [t.task_name for t in open_tasks]
            if target in names:
                return done
            if not open_tasks:
                case = self.case()
                if target is None and case.status == "completed":
                    return done
                assert case.next_due_at is not None, f"the case ended ({case.outcome}) before reaching {target}"
                self._wait_for_timer(case)
                continue
            task = open_tasks[0]
            facts = self._version().tasks.get(task.task_name, {})
            if facts.get("properties", {}).get("publicity"):
                self._wait_for_timer(self.case())
                continue
            self.do(task.task_name, **self._data_for(task, choices))
            done.append(task.task_name)
        raise AssertionError(f"{target} not reached after {max_steps} steps; done {done}")

    def _version(self):
        with self.db.unit_of_work() as uow:
            s = uow.session
            return get_version(s, s.get(Case, self.case_id).process_version_id)

    def _data_for(self, task, choices: dict) -> dict:
        known = (self.form_data or FORM_DATA).get(task.task_name)
        schema = self._version().forms.get(task.form_key) if task.form_key else None
        data = dict(known) if known is not None else sample_for_schema(schema or {}, self.clock.today())
        fields = (schema or {}).get("properties", {})
        return {**data, **{k: v for k, v in choices.items() if k in fields}}

    def _wait_for_timer(self, case) -> None:
        assert case.next_due_at is not None, f"{self.open_names()} open and no timer to wait for"
        self.clock.advance(seconds=max(0.0, (case.next_due_at - self.clock.now()).total_seconds()) + 60)
        assert self.fire_timers(), "the timer fired nothing"

    def steps_done(self) -> list[str]:
        """Names of the steps completed so far, in order."""
        return [e.task_name for e in self.events() if e.kind == "task_completed"]

    def _record(self) -> None:
        from tests.flow_coverage import record
        with self.db.unit_of_work() as uow:
            s = uow.session
            record(s, s.get(Case, self.case_id))

    def fire_timers(self) -> bool:
        with self.db.unit_of_work(write=True) as uow:
            moved = fire_due_timers_for_case(uow.session, self.clock, self.case_id)
            uow.commit()
        self._record()
        return moved

    def case(self) -> Case:
        with self.db.unit_of_work() as uow:
            s = uow.session
            return s.get(Case, self.case_id)

    def events(self) -> list:
        with self.db.unit_of_work() as uow:
            s = uow.session
            return s.execute(select(CaseEvent).where(CaseEvent.case_id == self.case_id)
                             .order_by(CaseEvent.id)).scalars().all()


def sample_application(name: str, id_number: str, incomes: list[float], near_relative: bool = False) -> dict:
    """A valid application form for a household (the first member is the applicant, 本人; one income a member)."""
    relations = ["self", "spouse", "child", "parent", "sibling"]
    members = [{"name": name if i == 0 else f"{name[0]}家成员{i}", "id_number": id_number if i == 0 else _member_id(id_number, i),
                "relation": relations[i] if i < len(relations) else "child", "monthly_income": income}
               for i, income in enumerate(incomes)]
    for member in members:
        member["authorisation"] = signed_by(member["id_number"])
    return {"applicant_name": name, "applicant_id_number": id_number, "address": "响水县响水镇双园村3组",
            "phone": "0515-86812345", "channel": "village_proxy", "members": members,
            "assets": "无存款，无车辆，自住房一处", "near_relative": near_relative, "authorises_check": True}


def signed_by(id_number: str) -> str:
    """Who signs a member's 核对授权书: the member, or the guardian of one under 18 at any date the tests use."""
    return "guardian" if int(id_number[6:10]) > 2007 else "self"


_FRESH = itertools.count(1)


def fresh_id_number(region: str = "320921") -> str:
    """A valid ID number no other call in this test process returns (one household per lodging:
    the registry refuses a second open application of a type for the same people)."""
    born = date(1940, 1, 1) + timedelta(days=next(_FRESH))
    return with_check_digit(f"{region}{born:%Y%m%d}123")


_MEMBERS: dict[tuple[str, int], str] = {}


def _member_id(base: str, i: int) -> str:
    # The same applicant always gets the same members (an application lodged twice is the same household);
    # every other applicant gets others: numbers handed out once per process, born from 1990 with the
    # sequence 600, which no applicant's number (fresh_id_number uses 123) has.
    if (base, i) not in _MEMBERS:
        born = date(1990, 1, 1) + timedelta(days=len(_MEMBERS))
        _MEMBERS[(base, i)] = with_check_digit(f"{base[:6]}{born:%Y%m%d}600")
    return _MEMBERS[(base, i)]


def with_fresh_applicant(data: dict) -> dict:
    """The same application for new people: every ID number in it replaced by a fresh one."""
    fresh: dict[str, str] = {}

    def swap(value):
        if isinstance(value, str) and len(value) == 18 and value[:17].isdigit():
            return fresh.setdefault(value, fresh_id_number(value[:6]))
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value
    return swap(data)


def sample_scan(kind: str = "png", size: tuple[int, int] = (120, 80), seed: int = 0) -> bytes:
    """A small real scan: ``png``, ``jpeg`` (decodable images; ``seed`` varies the pixels) or ``pdf`` (one page)."""
    from io import BytesIO
    out = BytesIO()
    if kind == "pdf":
        from pypdf import PdfWriter
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        writer.add_metadata({"/Title": f"scan {seed}"})
        writer.write(out)
    else:
        from PIL import Image
        Image.new("RGB", size, (200, 30 + seed % 200, 30)).save(out, "PNG" if kind == "png" else "JPEG")
    return out.getvalue()


def in_order(done: list[str], expected: list[str]) -> bool:
    """True when ``expected`` are among ``done`` in this order (other steps may come between)."""
    steps = iter(done)
    return all(any(step == name for step in steps) for name in expected)


def start(db, clock, who, unit_id, incomes=(300, 0, 200), near_relative=False, username=None,
          village=SHUANGYUAN, process_id=XIANGSHUI, data=None, form_data=None, fresh_applicant=False,
          **application) -> Walk:
    """Lodge an application (default: a 双园村 低保 household) and return its Walk.

    ``data`` replaces the whole start form; ``form_data`` maps task names to default
    submissions for ``Walk.do`` (default: the 低保 FORM_DATA). The default application is for a new
    applicant each time; ``fresh_applicant`` gives ``data`` one too (the registry refuses a second open
    application of a type for the same people).
    """
    if data is None:  # the household of the applicant given, or of a new 王小明
        name, id_number = application.get("applicant_name", "王小明"), application.get("applicant_id_number",
                                                                                      fresh_id_number())
        data = {**sample_application(name, id_number, list(incomes), near_relative), **application}
    elif fresh_applicant:
        data = with_fresh_applicant(data)
    township = village[:9]
    with db.unit_of_work(write=True) as uow:
        started = start_case(uow.session, who(username or STARTER[township]), clock, process_id, unit_id(village),
                             data)
        uow.commit()
    walk = Walk(db, clock, who, started.id, started.number, township, form_data)
    walk._record()
    return walk
