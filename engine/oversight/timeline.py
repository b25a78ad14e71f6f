"""A case's timeline: every audit event with the values it recorded, and for a step's data what changed
against the case's data before it (a field entered for the first time, changed, or entered again unchanged),
filterable by kind and person; and the county's operation log (every audit event of its cases).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine.clock import start_of_local_day
from engine.errors import Message, NotFound
from engine.oversight.files import Field, render_fields
from engine.oversight.inbox import date_range, filters_refused
from engine.people.accounts import Principal
from engine.people.scope import supervised_counties
from engine.store.models import Case, CaseEvent, Unit, User

EVENT, CASE = CaseEvent.__table__, Case.__table__
START_KEY = "@start"
DATA_KINDS = ("case_started", "task_completed")  # events whose data is a form's values
# The kinds of audit event the case writer records (the operation log's kind filter).
EVENT_KINDS = ("case_started", "task_completed", "timer_fired", "case_completed", "task_claimed", "task_released",
               "task_reassigned", "task_sent_back", "task_withdrawn", "task_urged", "case_suspended", "case_resumed",
               "case_terminated", "deadline_extended", "deadline_recomputed", "flag_decided", "attachment_added",
               "migrated", "incident", "documents_voided", "privacy_restricted", "benefit_stopped")
LOG_PAGE_SIZE = 50
PERSON_MAX = 50


@dataclass(frozen=True)
class Change:
    """One field of a step's data beside its value before the step (``before`` None: entered first here)."""

    field: Field
    before: Field | None

    @property
    def changed(self) -> bool:
        """True when the value differs from the one the case had (a first entry counts as a change)."""
        return self.before is None or (self.before.value, self.before.rows) != (self.field.value, self.field.rows)


@dataclass(frozen=True)
class Entry:
    """An event of the timeline with its fields (steps' data only) and what changed."""

    event: Any
    changes: tuple[Change, ...] = ()


def case_timeline(events: list, tasks: Mapping[str, Mapping], forms: Mapping[str, Mapping]) -> list[Entry]:
    """The events of a case (already found in the principal's place) in order, each step's data under its
    form's labels (ID numbers masked) beside the value each field had before it."""
    known: dict[str, Field] = {}
    out = []
    for e in events:
        changes: tuple[Change, ...] = ()
        if e.kind in DATA_KINDS and isinstance(e.data, Mapping):
            form_key = (tasks.get(e.task_name or START_KEY) or {}).get("form_key")
            fields = render_fields(forms.get(form_key) if form_key else None, e.data)
            changes = tuple(Change(f, known.get(f.label)) for f in fields)
            known.update((f.label, f) for f in fields)
        out.append(Entry(e, changes))
    return out


def filter_timeline(entries: list[Entry], kind: str | None = None, actor_id: int | None = None) -> list[Entry]:
    """The entries of one ``kind`` and one person (``actor_id``), when given; the values before still come
    from every earlier event."""
    return [x for x in entries if (kind is None or x.event.kind == kind)
            and (actor_id is None or x.event.actor_id == actor_id)]


def timeline_choices(entries: list[Entry]) -> dict[str, list]:
    """The kinds and people of a case's events with how many each (the timeline's filters)."""
    kinds: dict[str, int] = {}
    people: dict[int, list] = {}
    for e in (x.event for x in entries):
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
        if e.actor_id is not None:
            people.setdefault(e.actor_id, [e.actor_name, 0])[1] += 1
    return {"kinds": sorted(kinds.items()), "people": [(k, name, n) for k, (name, n) in people.items()]}


@dataclass(frozen=True)
class LogFilters:
    """The operation log's filters: a person's name (its beginning), an event kind, dates (inclusive)."""

    person: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def to_query(self) -> dict[str, str]:
        """The log's query parameters (a page link carries them)."""
        query = {"person": self.person or "", "kind": self.kind or "",
                 "from": self.date_from.isoformat() if self.date_from else "",
                 "to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in query.items() if v}


def parse_log_filters(query: Mapping[str, str]) -> LogFilters:
    """The log's filters from its query; FormInvalid (field → Chinese message) when one is wrong."""
    errors: dict[str, Message] = {}
    person = (query.get("person") or "").strip() or None
    if person is not None and len(person) > PERSON_MAX:
        errors["person"] = Message(f"人员姓名最多 {PERSON_MAX} 个字",
                                   f"The person's name may have at most {PERSON_MAX} characters")
    kind = (query.get("kind") or "").strip() or None
    if kind is not None and kind not in EVENT_KINDS:
        errors["kind"] = Message("事件类别应为列表中的一项", "The kind of event must be one of the list")
    date_from, date_to = date_range(query, "from", "to", errors)
    if errors:
        raise filters_refused(errors)
    return LogFilters(person, kind, date_from, date_to)


def county_log_allowed(principal: Principal) -> tuple[int, ...]:
    """The counties whose operation log the principal may read: county staff's and supervisors' own."""
    counties = supervised_counties(principal)
    if not counties:
        raise NotFound("not county staff or a supervisor")
    return counties


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_OPERATION_LOG_ACTOR = aliased(User)
_OPERATION_LOG_TOWNSHIP = aliased(Unit)


def operation_log(session: Session, principal: Principal, filters: LogFilters, page: int = 1,
                  page_size: int = LOG_PAGE_SIZE) -> dict[str, Any]:
    """Every audit event of the cases of the principal's counties (the county in the statement), newest first,
    by person, kind and date, one page at a time, with whether a next page exists."""
    counties = county_log_allowed(principal)
    actor, township = _OPERATION_LOG_ACTOR, _OPERATION_LOG_TOWNSHIP
    clauses = [CASE.c.county_id.in_(counties)]
    if filters.person:
        clauses.append(actor.display_name.startswith(filters.person, autoescape=True))
    if filters.kind:
        clauses.append(EVENT.c.kind == filters.kind)
    if filters.date_from:
        clauses.append(EVENT.c.at >= start_of_local_day(filters.date_from))
    if filters.date_to:
        clauses.append(EVENT.c.at < start_of_local_day(filters.date_to + timedelta(days=1)))
    rows = session.execute(
        select(EVENT.c.id, EVENT.c.at, EVENT.c.kind, EVENT.c.title, EVENT.c.task_name, EVENT.c.data,
               EVENT.c.case_id, CASE.c.number, actor.display_name.label("actor_name"),
               township.name.label("township"))
        .join(CASE, CASE.c.id == EVENT.c.case_id).outerjoin(actor, actor.id == EVENT.c.actor_id)
        .join(township, township.id == CASE.c.township_id)
        .where(*clauses).order_by(EVENT.c.at.desc(), EVENT.c.id.desc())
        .limit(page_size + 1).offset((max(page, 1) - 1) * page_size)).all()
    return {"rows": rows[:page_size], "has_next": len(rows) > page_size, "page": page}
