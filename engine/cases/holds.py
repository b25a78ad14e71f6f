"""What makes a case's step wait: a county 入户调查 opened by a 投诉/举报 during 审核确认 (57号第二十条②: the
county visits before the decision), until the visit's result is in."""
from __future__ import annotations

from functools import cache

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from engine.cases.operations import refused
from engine.store.models import Case, HumanTask, SupervisionReview

TASK, REVIEW, CASE = HumanTask.__table__, SupervisionReview.__table__, Case.__table__
# The 公示 and the village's recording of objections go on while the county visits; the deciders' steps wait.
NOT_HELD_ROLES = frozenset({"village"})


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_OPEN_VISIT_VISIT = aliased(TASK)


def _open_visit(case_id):
    """The clause: a complaint's county visit of the case is still open (its county step not done)."""
    visit = _OPEN_VISIT_VISIT
    return exists().where(
        REVIEW.c.case_id == case_id, REVIEW.c.kind == "complaint",
        exists().where(visit.c.case_id == REVIEW.c.review_case_id, visit.c.status == "open", visit.c.role == "county"))


def awaiting_visit(session: Session, case_id: int) -> bool:
    """True while a complaint's county 入户调查 of the case has no result yet."""
    return bool(session.execute(select(_open_visit(case_id))).scalar())


@cache
def awaiting_visit_column():
    """The column a task's completion reads with its locked row (no statement of its own): is a complaint's
    county visit of the case still open? Built once (correlated to the selected case), not on every completion."""
    return _open_visit(CASE.c.id).label("awaiting_visit")


def check_not_awaiting_visit(row) -> None:
    """Refuse (409) a township, panel or county step of a case whose complaint visit is still open (``row``: the
    task's row read with ``awaiting_visit_column``)."""
    if row.awaiting_visit and row.role not in NOT_HELD_ROLES:
        raise refused("awaiting the county's home visit", "收到投诉、举报，正在等待县（区）民政局入户调查结果，暂不能办理此步骤",
                      message_en="A complaint or report was received: this step waits for the county (district) "
                                 "bureau's home visit")
