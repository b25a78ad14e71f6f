"""Starting many cases of the scheduler at once (periodic reviews): what ``start_case`` does for one case,
for a batch, with the statements of the batch instead of twenty per case.

Each case is still checked and started on its own — its start form validated, its rule values read for its
place, its workflow run to the first wait (by SpiffWorkflow, or from the version's start template when the
route starts with script tasks then a user task: engine.runtime.workflow.StartTemplate) — but nothing is written until the batch is
known, and then the case writer writes it whole (``write_started_cases``: the case rows, their events, their
inbox rows and notifications), with the batch's case numbers taken in one statement per county and the
registry brought up to date in a statement or two. So a batch-started case is the row-for-row equal of a case
started alone.

Only what the batch path covers takes it: a case of a type that grants no benefit of its own (no duplicate
check, no open-application key), whose applicant is already in their household, and whose start data gives
the registry no contact, member list or economic facts. Every other case, and every case of a batch whose
writes fail, is started alone by ``start_case`` in a savepoint of its own, as before.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Hashable

from sqlalchemy.orm import Session

from engine.cases import numbering
from engine.cases.lifecycle import StartedCase, start_case
from engine.cases.writer import NewCase, new_case_row, record_completion, write_started_cases
from engine.catalogue.rules import assistance_type_of, benefit_of, case_parameters
from engine.catalogue.versions import get_version, latest_version_id
from engine.clock import Clock
from engine.errors import RouteFailed
from engine.households.overlaps import CaseFacts, flag_household_cases_batch, raise_flags
from engine.households.registry import (declared_incomes, known_households, lodging_fields, members_of,
                                        relink_known_applicants)
from engine.people.places import Place, places_of_villages
from engine.runtime.workflow import StartTemplate, Workflow


@dataclass(frozen=True)
class PlannedStart:
    """A case the scheduler is to start: ``key`` is the caller's (e.g. the recipient's id)."""

    key: Hashable
    process_id: str
    village_id: int
    form_data: dict[str, Any]


@dataclass
class _Prepared:
    start: PlannedStart
    new: NewCase
    workflow: Workflow
    declared: Any
    person_id: int
    household_id: int
    member: Any


def start_cases(session: Session, clock: Clock, starts: list[PlannedStart], places: dict[int, Place] | None = None
                ) -> tuple[dict[Hashable, StartedCase], dict[Hashable, Exception]]:
    """Start the planned cases as the scheduler (no actor); returns (started by key, why not by key). A case
    that cannot start (its start form refuses the data, its route fails) writes nothing and is reported.
    ``places``: the villages' places when the caller has read them (``places_of_villages``)."""
    started: dict[Hashable, StartedCase] = {}
    failed: dict[Hashable, Exception] = {}
    now, today = clock.now(), clock.today()
    if places is None:
        places = places_of_villages(session, {s.village_id for s in starts})
    versions: dict[str, Any] = {}
    params: dict[tuple, dict] = {}
    ready: list[_Prepared] = []
    alone: list[PlannedStart] = []
    candidates = []
    for s in starts:
        place = places.get(s.village_id)
        assistance_type = assistance_type_of(s.process_id)
        if place is None or benefit_of(assistance_type) is not None:
            alone.append(s)  # start_case refuses an unknown village; a benefit type needs its duplicate check
            continue
        try:
            if s.process_id not in versions:
                versions[s.process_id] = get_version(session, latest_version_id(session, s.process_id))
            version = versions[s.process_id]
            start_form = version.tasks.get("@start", {}).get("form_key")
            data = version.validator(start_form).validate(s.form_data, today) if start_form else dict(s.form_data)
            key = (place.county_id, place.township_id, s.process_id)
            if key not in params:
                codes = ({place.county_id: place.county_code, place.township_id: place.township_code}
                         if place.county_code and place.township_code else None)
                params[key] = case_parameters(session, place.county_id, place.township_id, s.process_id, today,
                                              codes)
            declared = version.declarations
            data = {**data, **declared.payment_defaults(data)}
        except Exception as exc:  # as start_case would raise it: this case only, nothing written
            failed[s.key] = exc
            continue
        members = members_of(data, declared.applicant)
        if (len(members) != 1 or "members" in declared.applicant or declared.contact_of(data)
                or declared_incomes(members) or declared.assets_of(data)):
            alone.append(s)  # the registry has more to record than the batch path writes
            continue
        candidates.append((s, version, declared, place, assistance_type, data, params[key], members[0]))
    known = known_households(session, [c[-1].id_number for c in candidates])
    for s, version, declared, place, assistance_type, data, rule_values, member in candidates:
        if member.id_number not in known:
            alone.append(s)  # a household to create or join: link_household's full path
            continue
        person_id, household_id, died_on = known[member.id_number]
        if died_on is not None and lodging_fields(assistance_type, [member], data, declared.applicant):
            alone.append(s)  # recorded as dead: start_case refuses it (the one rule), this case only
            continue
        try:
            workflow = _start_workflow(version, {**data, **rule_values}, now)
        except RouteFailed as exc:  # as start_case raises it
            exc.process_id = s.process_id
            failed[s.key] = exc
            continue
        row = new_case_row(version, s.process_id, assistance_type, place, "", declared.applicant_of(data), workflow,
                           now, None, household_id=household_id)
        ready.append(_Prepared(s, NewCase(row, place, workflow.ready_user_tasks(), version.name, data), workflow,
                               declared, person_id, household_id, member))
    if ready:
        try:
            with session.begin_nested():
                started.update(_write(session, ready, now, today))
        except Exception:  # a batch write refused (a constraint, a race): each case alone tells which
            alone.extend(p.start for p in ready)
    for s in alone:
        try:
            with session.begin_nested():  # rolled back alone if this case fails
                started[s.key] = start_case(session, None, clock, s.process_id, s.village_id, s.form_data)
        except Exception as exc:  # one household's bad data must not hold back the others
            failed[s.key] = exc
    return started, failed


def _start_workflow(version, data: dict[str, Any], now) -> Workflow:
    """The case's workflow run to its first wait: from the version's start template when it has one (the
    route's start scripts replayed on the case's data, SpiffWorkflow not run), else by SpiffWorkflow."""
    # Kept with the version (it never changes, nor does its template; None: not of the template's shape),
    # built from the first case started on it.
    if "start_template" in version.derived:
        template = version.derived["start_template"]
        workflow = template.start(data, now) if template is not None else None
        return workflow if workflow is not None else Workflow.start(version.spec, data, now)
    workflow = Workflow.start(version.spec, data, now)
    version.derived["start_template"] = StartTemplate.of(version.spec, workflow)
    return workflow


def _write(session: Session, ready: list[_Prepared], now, today) -> dict[Hashable, StartedCase]:
    by_county: dict[str, list[_Prepared]] = defaultdict(list)
    for p in ready:
        by_county[p.new.place.county_code].append(p)
    for _county, group in sorted(by_county.items()):  # counters taken in one order: two batches never deadlock
        for p, number in zip(group, numbering.next_case_numbers(session, group[0].new.place, today, len(group))):
            p.new.row["number"] = number
    ids = write_started_cases(session, [p.new for p in ready], now, today)
    relink_known_applicants(session, [(p.person_id, p.household_id, p.member, p.new.place) for p in ready], now)
    for case_id, p in zip(ids, ready):
        raise_flags(session, case_id, today, now, CaseFacts(p.new.row["assistance_type"], p.household_id,
                                                            p.new.place.county_code))
        record_completion(session, case_id, p.workflow, now, None, p.declared)
    flag_household_cases_batch(session, {case_id: p.household_id for case_id, p in zip(ids, ready)}, today, now)
    return {p.start.key: StartedCase(case_id, p.new.row["number"]) for case_id, p in zip(ids, ready)}
