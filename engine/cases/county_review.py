"""Supervision of delegated decisions (audit X9, gap 6): the county's monthly 抽查 of the approvals its
townships decided, and the county 入户调查 that a 投诉/举报 during 审核确认 or 公示 calls for (57号第二十条②).

Each review is a case of its own on the county's review route (``county_supervision_review``), linked to the
case it reviews by a ``supervision_review`` row. Use cases: the caller owns the transaction.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from engine.case_status import refuse_if_finished
from engine.cases.lifecycle import start_township_case
from engine.cases.operations import refused, required_reason
from engine.cases.writer import locked, write_event
from engine.catalogue.rules import rule_book, rules_in_force
from engine.catalogue.versions import get_version
from engine.clock import Clock, start_of_local_day
from engine.errors import Forbidden, FormInvalid, Message, NotFound
from engine.people.accounts import Principal
from engine.people.scope import case_scope
from engine.store.models import Case, HumanTask, Recipient, SamplingRun, SupervisionReview, Unit
from engine.store.sequences import claim

CASE, TASK, RECIPIENT = Case.__table__, HumanTask.__table__, Recipient.__table__
RUN, REVIEW = SamplingRun.__table__, SupervisionReview.__table__
REVIEW_PROCESS = "county_supervision_review"
DEFAULT_SAMPLING_SHARE = 0.3   # counties.toml `sampling_share` where an entry has none
# The roles that decide for the township under delegation: the township itself or its review panel (三堤口).
TOWNSHIP_DECIDERS = frozenset({"township", "review_panel"})
TEMPORARY_TYPES = ("temporary_assistance", "temporary_emergency")
COMPLAINT_KINDS = {"complaint": "投诉", "report": "举报"}


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of a month and of the next, China time (``month`` is its first day)."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start_of_local_day(month), start_of_local_day(following)


def previous_month(today: date) -> date:
    """The first day of the month before ``today``'s."""
    return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)


def township_decided(session: Session, county_id: int, month: date, types: tuple[str, ...] | None = None) -> list:
    """The granted cases of a county that ended in ``month`` and whose decision the township took (its own lane
    or its review panel): rows of case id, number, township, type, applicant, ended, ordered by number.

    The decider is the lane of the case's last completed step outside the village lane (the 公示 and 长期公示
    that follow a decision are the village's), read from the case's own steps, not from a list of routes.
    """
    start, end = month_bounds(month)
    stmt = (select(CASE.c.id, CASE.c.number, CASE.c.township_id, CASE.c.village_id, CASE.c.assistance_type,
                   CASE.c.applicant_name, CASE.c.applicant_id_number, CASE.c.completed_at,
                   RECIPIENT.c.monthly_amount)
            .join(RECIPIENT, RECIPIENT.c.case_id == CASE.c.id)
            .where(CASE.c.county_id == county_id, CASE.c.status == "completed",
                   CASE.c.completed_at >= start, CASE.c.completed_at < end)
            .order_by(CASE.c.number))
    if types is not None:
        stmt = stmt.where(CASE.c.assistance_type.in_(types))
    granted = session.execute(stmt).all()
    if not granted:
        return []
    last_role: dict[int, str] = {}
    for case_id, role in session.execute(
            select(TASK.c.case_id, TASK.c.role)
            .where(TASK.c.case_id.in_([g.id for g in granted]), TASK.c.status == "completed", TASK.c.role != "village")
            .order_by(TASK.c.case_id, TASK.c.completed_at, TASK.c.id)).all():
        last_role[case_id] = role
    return [g for g in granted if last_role.get(g.id) in TOWNSHIP_DECIDERS]


@dataclass(frozen=True)
class SamplingResult:
    """What one county's draw for a month did."""

    county_code: str
    month: str
    population: int
    selected: list[str]


def sample_month(session: Session, clock: Clock, month: date | None = None) -> list[SamplingResult]:
    """Draw each county's 抽查 of the approvals its townships decided in ``month`` (default: last month) and
    start a county review for each case drawn; returns what each county drew (counties already drawn for the
    month are skipped).

    At least the county's ``sampling_share`` (rounded up) is drawn, at random but reproducibly: the seed is
    "<county code>:<YYYY-MM>" and the population is in case-number order, both recorded on the run, so the same
    draw can be redone by anyone. A case already sampled is never drawn again (``sample_key`` is unique). Once
    per county and month, decided by the database (a claimed key, as the monthly cut-offs): a second scheduler
    waits for the first and then skips the county.
    """
    month = month or previous_month(clock.today())
    label = f"{month:%Y-%m}"
    now = clock.now()
    results = []
    known = rule_book(session)   # the file's counties and those an admin set up
    for county_id, code in session.execute(select(Unit.id, Unit.code).where(Unit.level == "county")
                                           .order_by(Unit.code)).all():
        if code not in known or not claim(session, f"sampled:{code}:{label}"):
            continue
        share = sampling_share(code, month, session)
        sampled = set(session.execute(select(REVIEW.c.case_id).where(REVIEW.c.kind == "sampling",
                                                                      REVIEW.c.county_id == county_id)).scalars())
        population = [c for c in township_decided(session, county_id, month) if c.id not in sampled]
        seed = f"{code}:{label}"
        chosen = sorted(random.Random(seed).sample(range(len(population)), math.ceil(share * len(population))))
        selected = [population[i] for i in chosen]
        run_id = session.execute(insert(RUN).values(
            county_id=county_id, month=label, share=share, seed=seed, population=[c.number for c in population],
            selected=[c.number for c in selected], created_at=now).returning(RUN.c.id)).scalar_one()
        for case in selected:
            _start_review(session, clock, case, county_id, "sampling", None, run_id=run_id, sampling_month=label)
            write_event(session, case.id, now, None, "case_sampled", None, f"县级抽查选中（{label}，{share:.0%}）",
                        {"month": label, "seed": seed, "share": share, "population": len(population)})
        results.append(SamplingResult(code, label, len(population), [c.number for c in selected]))
    return results


def sampling_share(county_code: str, month: date, session: Session | None = None) -> float:
    """The county's share to sample for a month (its rule entry in force on the month's first day, an admin's
    entry included), or the default where the entry sets none or no entry was in force yet."""
    try:
        return float(rules_in_force(county_code, month, session=session).get("sampling_share", DEFAULT_SAMPLING_SHARE))
    except NotFound:
        return DEFAULT_SAMPLING_SHARE


def _start_review(session: Session, clock: Clock, case, county_id: int, kind: str, actor_id: int | None, *,
                  run_id: int | None = None, sampling_month: str | None = None, complaint_kind: str | None = None,
                  complaint: str | None = None) -> int:
    """Start the county's review case of ``case`` and link it; returns the review case's id."""
    count = session.execute(select(REVIEW.c.id).where(REVIEW.c.case_id == case.id)).all()
    suffix = "抽查" if kind == "sampling" else f"投诉{len(count) + 1}"
    data: dict[str, Any] = {"review_kind": kind, "reviewed_case_number": case.number,
                            "applicant_name": case.applicant_name, "applicant_id_number": case.applicant_id_number}
    if sampling_month:
        data["sampling_month"] = sampling_month
    if complaint:
        data.update(complaint_kind=complaint_kind, complaint=complaint)
    review = start_township_case(session, clock, REVIEW_PROCESS, case.township_id, data, f"{case.number}-{suffix}")
    session.execute(insert(REVIEW).values(
        kind=kind, case_id=case.id, review_case_id=review.id, county_id=county_id, run_id=run_id,
        sample_key=f"sampled:{case.id}" if kind == "sampling" else None, complaint_kind=complaint_kind,
        complaint=complaint, created_at=clock.now(), created_by_id=actor_id))
    return review.id


def register_complaint(session: Session, actor: Principal, clock: Clock, case_id: int, kind: str,
                       content: Any) -> int:
    """Register a 投诉 or 举报 on a running case in its 公示 or 审核确认 phase and start the county's home visit
    (入户调查, 57号第二十条②) linked to it; returns the visit's case id.

    Who may: a township or county user of the case's place (supervisors are read-only). The phase is told
    from the case's own steps: a 公示 step of its route (property ``publicity``) has been reached. While the
    visit is open the case's township and county steps wait for its result (``engine.cases.holds``).
    """
    stmt = select(CASE).where(CASE.c.id == case_id, case_scope(actor, ("township", "county")))
    case = session.execute(locked(session, stmt)).first()
    if case is None:
        raise NotFound(f"case {case_id} not found for user {actor.username}")
    if not (case.township_id in actor.units_for("township") or case.county_id in actor.units_for("county")):
        raise Forbidden("only the township or the county registers a complaint", "只有乡镇（街道）或县（区）民政局可以登记投诉、举报",
                        message_en="Only the township (street) or the county (district) civil affairs bureau "
                                   "registers a complaint or report")
    refuse_if_finished(case.status, case.outcome, "complaint")
    if case.suspended_at is not None:
        raise refused("case suspended", "案件已挂起，不能登记投诉、举报",
                      message_en="The case is suspended: no complaint or report can be registered")
    if case.process_id == REVIEW_PROCESS:
        raise refused("a review case", "监督复核案件不登记投诉、举报",
                      message_en="A supervision review case takes no complaint or report")
    if not in_publicity_phase(session, case):
        raise refused("not in 公示 or 审核确认", "只有公示或审核确认阶段的案件可以登记投诉、举报；其他情况请启动动态管理",
                      message_en="Only a case in its public notice (公示) or confirmation (审核确认) phase takes a "
                                 "complaint or report; otherwise start a dynamic-management review")
    if kind not in COMPLAINT_KINDS:
        raise FormInvalid.of({"kind": Message("请选择投诉或举报", "Choose a complaint or a report")})
    content = required_reason(content, "complaint")
    now = clock.now()
    review_id = _start_review(session, clock, case, case.county_id, "complaint", actor.user_id,
                              complaint_kind=kind, complaint=content)
    write_event(session, case.id, now, actor.user_id, "complaint_registered", None,
                f"收到{COMPLAINT_KINDS[kind]}，转县（区）民政局入户调查", {"kind": kind, "reason": content})
    return review_id


def in_publicity_phase(session: Session, case) -> bool:
    """True once the case has reached a 公示 step of its route (open or done)."""
    version = get_version(session, case.process_version_id)
    steps = [name for name, facts in version.tasks.items() if facts.get("properties", {}).get("publicity")]
    return bool(steps) and session.execute(select(exists().where(
        TASK.c.case_id == case.id, TASK.c.task_name.in_(steps), TASK.c.status != "withdrawn"))).scalar()
