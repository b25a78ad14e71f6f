"""Read models of the supervision of delegated decisions: a month's 抽查 of each county with each review's
verdict, the complaints' home visits, the 备案 of 临时救助 a township approved, and what a case page shows of
them. Every query is confined to the principal's counties (or the case's scope) in SQL."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from engine.case_status import is_finished
from engine.cases.county_review import (COMPLAINT_KINDS, REVIEW_PROCESS, TEMPORARY_TYPES, in_publicity_phase,
                                        month_bounds, township_decided)
from engine.cases.holds import awaiting_visit
from engine.clock import to_local_date
from engine.errors import NotFound
from engine.people.accounts import Principal
from engine.people.places import unit_names
from engine.people.scope import case_scope, supervised_counties
from engine.store.models import Case, SamplingRun, SupervisionReview

CASE, RUN, REVIEW = Case.__table__, SamplingRun.__table__, SupervisionReview.__table__
VERDICTS = {"upheld": "维持", "corrected": "纠正"}


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_REVIEWS_REVIEWED = aliased(Case)
_REVIEWS_REVIEW = aliased(Case)


def _reviews(session: Session, where) -> list[dict[str, Any]]:
    """Review rows with the reviewed case and the review case's state and verdict."""
    reviewed, review = _REVIEWS_REVIEWED, _REVIEWS_REVIEW
    rows = session.execute(
        select(REVIEW.c.id, REVIEW.c.kind, REVIEW.c.complaint_kind, REVIEW.c.complaint, REVIEW.c.created_at,
               REVIEW.c.county_id, REVIEW.c.run_id,
               reviewed.id.label("case_id"), reviewed.number.label("case_number"),
               reviewed.applicant_name, reviewed.township_id, reviewed.assistance_type,
               review.id.label("review_case_id"), review.number.label("review_number"),
               review.status.label("review_status"), review.current_step, review.summary)
        .join(reviewed, reviewed.id == REVIEW.c.case_id).join(review, review.id == REVIEW.c.review_case_id)
        .where(where).order_by(REVIEW.c.created_at, REVIEW.c.id)).all()
    names = unit_names(session, {r.township_id for r in rows})
    return [{**r._asdict(), "township": names.get(r.township_id, ""),
             "verdict": (r.summary or {}).get("supervision_verdict")} for r in rows]


@dataclass
class CountyMonth:
    """One county's supervision of one month."""

    county_id: int
    county: str
    run: Any = None                       # the 抽查 of the month's approvals (None: not drawn yet)
    samples: list = field(default_factory=list)
    complaints: list = field(default_factory=list)
    filings: list = field(default_factory=list)


def supervision_month(session: Session, principal: Principal, month: date) -> list[CountyMonth]:
    """For each county the principal supervises (county staff or supervisor): the 抽查 of the approvals its
    townships decided in ``month`` (share, seed, population, the cases drawn and each review's verdict), the
    complaints registered in the month, and the month's 备案 list of 临时救助 the townships approved."""
    counties = supervised_counties(principal)
    if not counties:
        return []
    names = unit_names(session, counties)
    label = f"{month:%Y-%m}"
    start, end = month_bounds(month)
    runs = {r.county_id: r for r in session.execute(
        select(RUN).where(RUN.c.county_id.in_(counties), RUN.c.month == label)).all()}
    samples = _reviews(session, REVIEW.c.run_id.in_([r.id for r in runs.values()]) if runs else False)
    complaints = _reviews(session, and_(REVIEW.c.county_id.in_(counties), REVIEW.c.kind == "complaint",
                                        REVIEW.c.created_at >= start, REVIEW.c.created_at < end))
    out = []
    for county_id in sorted(set(counties)):
        filed = township_decided(session, county_id, month, TEMPORARY_TYPES)
        township_names = unit_names(session, {f.township_id for f in filed} | {f.village_id for f in filed})
        out.append(CountyMonth(
            county_id, names.get(county_id, ""), runs.get(county_id),
            [s for s in samples if s["county_id"] == county_id],
            [c for c in complaints if c["county_id"] == county_id],
            [{**f._asdict(), "township": township_names.get(f.township_id, ""),
              "village": township_names.get(f.village_id, "")} for f in filed]))
    return out


@dataclass
class CaseSupervision:
    """What a case page shows of the county's supervision."""

    reviews: list                         # the county's reviews of this case (抽查, complaints' visits)
    reviewing: Any = None                 # for a review case: the case it reviews
    filed_month: str | None = None        # 临时救助 a township approved: the month of its 备案 to the county
    complaint_open: bool = False          # a 投诉/举报 may be registered now (its 公示 or 审核确认 phase)
    awaiting_visit: bool = False          # the township's and county's steps wait for the visit


def case_supervision(session: Session, principal: Principal, case_id: int) -> CaseSupervision:
    """The case's reviews, the case a review case reviews, its 备案 and whether a complaint can be registered."""
    case = session.execute(select(CASE).where(CASE.c.id == case_id, case_scope(principal))).first()
    if case is None:
        raise NotFound(f"case {case_id}")
    reviews = _reviews(session, REVIEW.c.case_id == case_id)
    reviewing = None
    if case.process_id == REVIEW_PROCESS:
        reviewing = session.execute(select(CASE.c.id, CASE.c.number).join(REVIEW, REVIEW.c.case_id == CASE.c.id)
                                    .where(REVIEW.c.review_case_id == case_id)).first()
    filed = None
    if case.assistance_type in TEMPORARY_TYPES and case.status == "completed" and case.completed_at is not None:
        day = to_local_date(case.completed_at)
        month = date(day.year, day.month, 1)
        if any(f.id == case_id for f in township_decided(session, case.county_id, month, (case.assistance_type,))):
            filed = f"{month:%Y-%m}"
    may_register = (not is_finished(case.status) and case.suspended_at is None and case.process_id != REVIEW_PROCESS
                    and (case.township_id in principal.units_for("township")
                         or case.county_id in principal.units_for("county"))
                    and in_publicity_phase(session, case))
    return CaseSupervision(reviews, reviewing, filed, may_register, awaiting_visit(session, case_id))


__all__ = ["COMPLAINT_KINDS", "VERDICTS", "CaseSupervision", "CountyMonth", "case_supervision", "supervision_month"]
