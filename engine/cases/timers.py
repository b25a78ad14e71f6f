"""Firing due timers: planned per case without writing, then written for a whole batch in a handful
of statements (the scheduler's hot path; see bench/sweep.py)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.writer import CASE, PLAN_MARGIN, plan_facts_sql, state_values, task_row, write_firings
from engine.clock import Clock
from engine.catalogue.declarations import RouteDeclarations
from engine.people.places import Place
from engine.store.models import Case, CaseTimer
from engine.catalogue.versions import get_version
from engine.runtime.workflow import ReadyTask, Workflow

TIMER = CaseTimer.__table__
# What the sweep reads of each due case, together with its lock: not the state (~15 KB a case), which a
# case with a timer plan never needs; the plan without its successor state (written server-side).
_DUE_COLUMNS = (CASE.c.id, CASE.c.number, CASE.c.process_version_id, CASE.c.revision, CASE.c.county_id, CASE.c.township_id,
                CASE.c.village_id, CASE.c.next_due_at)


@cache
def due_columns() -> tuple:
    """The columns the sweep reads of each due case: its keys and place, and the facts of its timer plan
    without the plan's state (``plan_facts``; see ``engine.cases.writer.plan_facts_sql``)."""
    return (*_DUE_COLUMNS, plan_facts_sql().label("plan_facts"))


def due_rows(session: Session, where) -> list:
    """The cases matching ``where``, as the sweep reads them (see ``due_columns``)."""
    return session.execute(select(*due_columns()).where(where)).all()


def due_now(session: Session, now: datetime, limit: int, *, lock: bool = False) -> list:
    """The cases whose next timer is due by ``now``, earliest first, at most ``limit``, as the sweep reads
    them; found by time in case_timer (ix_case_timer_due_at). ``lock``: FOR UPDATE SKIP LOCKED on the cases
    (PostgreSQL), so concurrent sweeps take other cases. The cases are claimed by their ids first and their
    plans read after: the database then cuts (decompresses) only the plans of the cases this sweep got, not
    those of the cases another thread holds and the scan skips."""
    # The case's own next_due_at is asked too: a case another sweep fired since this statement's snapshot is
    # still in case_timer as the snapshot saw it, but locking re-reads the case row (its newest version) and
    # re-checks the conditions on it, so only a case still due is returned, never one fired twice.
    claim = (select(CASE.c.id).join_from(TIMER, CASE, CASE.c.id == TIMER.c.case_id)
             .where(TIMER.c.due_at <= now, CASE.c.next_due_at <= now).order_by(TIMER.c.due_at).limit(limit))
    if lock:
        claim = claim.with_for_update(skip_locked=True, of=CASE)
    claimed = claim.cte("claimed")
    return session.execute(select(*due_columns()).join_from(CASE, claimed, claimed.c.id == CASE.c.id)).all()


def uses_plan(row, now: datetime) -> bool:
    """Whether the case's stored timer plan replaces restoring its workflow (its timer is due by ``now``)."""
    return bool(row.plan_facts) and row.next_due_at is not None and row.next_due_at + PLAN_MARGIN <= now


def states_of(session: Session, rows, now: datetime) -> dict[int, str]:
    """The current states of the due cases that have no usable plan, in one statement (``Case.state``: the
    stored state, or the tail of a plan that fired)."""
    ids = [r.id for r in rows if not uses_plan(r, now)]
    if not ids:
        return {}
    return dict(session.execute(select(CASE.c.id, Case.state).where(CASE.c.id.in_(ids))).all())


@dataclass
class Firing:
    """The writes that firing one case's due timers calls for."""

    case_id: int
    number: str
    revision: int
    values: dict[str, Any]
    events: list[dict[str, Any]]
    withdrawn: list[str]
    new_tasks: list[dict[str, Any]]
    workflow: Workflow | None  # None: applied from a timer plan
    ready_before: list[ReadyTask]
    declared: RouteDeclarations | None  # None: applied from a timer plan (the case cannot end)
    moved: bool


def plan(session: Session, clock: Clock, row, state: str | None) -> Firing:
    """Restore the case (its stored ``state``), fire what is due by ``clock`` and compute the writes
    (writes nothing).

    A stored timer plan for a due timer replaces all of that (``state`` is then not needed: the plan's
    tail becomes the case's state, nothing is copied).
    """
    now, today = clock.now(), clock.today()
    if uses_plan(row, now):
        return _from_plan(row, json.loads(row.plan_facts), now, today)
    version = get_version(session, row.process_version_id)
    workflow = Workflow.restore(version.spec, state)
    ready_before = workflow.ready_user_tasks()
    before = {t.id for t in ready_before}
    fired = workflow.due_timer_names(now)
    workflow.fire_due_timers(now)
    ready = {t.id: t for t in workflow.ready_user_tasks()}
    place = Place(row.county_id, row.township_id, row.village_id)
    return Firing(
        case_id=row.id, number=row.number, revision=row.revision,
        values={**state_values(workflow, now, version.declarations), "revision": row.revision + 1},
        events=[{"case_id": row.id, "at": now, "actor_id": None, "kind": "timer_fired", "task_name": None,
                 "title": name, "data": {}} for name in fired],
        withdrawn=sorted(before - set(ready)),
        new_tasks=[task_row(row.id, t, place, now, today) for tid, t in ready.items() if tid not in before],
        workflow=workflow, ready_before=ready_before, declared=version.declarations,
        moved=bool(fired) or before != set(ready),
    )


def fire_due_timers_for_case(session: Session, clock: Clock, case_id: int) -> bool:
    """Fire the due timers of one case (caller holds its lock); True if anything moved."""
    (row,) = due_rows(session, CASE.c.id == case_id)
    firing = plan(session, clock, row, states_of(session, [row], clock.now()).get(row.id))
    write_firings(session, [firing], clock.now(), clock.today())
    return firing.moved


# --- timer plans: the firing worked out in advance ------------------------------
# Firing a timer costs a full restore, run and dump of the workflow (~2.5 ms), all of it knowable when
# the timer is set: the outcome depends only on the state and the due time. So every write that leaves
# a timer pending stores, beside the state, what firing it will write (case.timer_plan); the sweep then
# applies plans without touching SpiffWorkflow. A plan always matches the state it was stored with, since
# both are written by the same UPDATE; outcomes that need the workflow itself (the case ends, or a 公示 is
# excluded from the time limit) get no plan and take the full path. The plan keeps its facts and the
# successor state apart (writer.plan_facts_sql): the sweep reads the facts only. Applying a plan sets
# case.plan_applied and keeps the plan: its tail is from then on the case's state
# (Case.state / case_state, read the same way everywhere), so no state crosses the connection, and none
# is compressed or written (issue 14); the old state stays as it is. The mark also makes its facts read as
# NULL, and the next timer (if any) takes the full path, which writes a state and a new plan.


def _from_plan(row, plan: dict, now: datetime, today) -> Firing:
    place = Place(row.county_id, row.township_id, row.village_id)
    ready = [ReadyTask(**t) for t in plan["new"]]
    next_due = datetime.fromisoformat(plan["next_due_at"]) if plan["next_due_at"] else None
    return Firing(
        case_id=row.id, number=row.number, revision=row.revision,
        # No "state" nor "timer_plan": the writer keeps the plan, whose tail becomes the state (write_firings).
        values={"updated_at": now, "next_due_at": next_due,
                "current_step": plan["current_step"], "summary": plan["summary"], "status": "running",
                "outcome": None, "completed_at": None, "revision": row.revision + 1},
        events=[{"case_id": row.id, "at": now, "actor_id": None, "kind": "timer_fired", "task_name": None,
                 "title": name, "data": {}} for name in plan["fired"]],
        withdrawn=plan["withdrawn"], new_tasks=[task_row(row.id, t, place, now, today) for t in ready],
        workflow=None, ready_before=[], declared=None, moved=True)
