"""A reported change in a 特困 person's self-care ability and the re-assessment it starts (《特困人员认定办法》
第二十至二十三条: re-assessed within 10 working days of the report, with the indicators of the first assessment).

The report is recorded by the township (or the village) on the benefit, and starts the re-assessment at once:
a ``self_care_review`` route whose assessment (deadline 10wd, in the BPMN) lies with whoever assesses self-care
on the 特困 route in force in the place — the lane of that route's ``self_care_assessment``, read from the
deployed BPMN, never from a list. Its outcome writes the new care level and amount to the register (and the
register's history), through the route's end event. While it runs the benefit counts as under review, so no
periodic review is started beside it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.cases.lifecycle import StartedCase, start_case
from engine.cases.operations import refused
from engine.catalogue.rules import catalog, process_for
from engine.catalogue.versions import get_version, latest_version_id
from engine.errors import NotFound
from engine.people.accounts import Principal
from engine.people.places import place_of_village
from engine.people.scope import place_scope
from engine.store.models import Case, Recipient

CASE, RECIPIENT = Case.__table__, Recipient.__table__
ASSESSMENT_STEP = "self_care_assessment"  # the first assessment, on the 特困 routes
REASSESSMENT_STEP = "reassessment"        # the re-assessment, on the self_care_review routes
REPORTERS = ("person", "caregiver", "village", "institution")


def self_care_route_for(session: Session, county_code: str, township_code: str | None, today) -> str:
    """The self_care_review route whose re-assessment lies in the same lane (role) as the first assessment on
    the 特困 route in force in the township."""
    extreme_poverty = process_for("extreme_poverty", county_code, township_code, today, session)
    role = _lane_of(session, extreme_poverty, ASSESSMENT_STEP)
    for variant in catalog()["self_care_review"]["variants"].values():
        if _lane_of(session, variant["process_id"], REASSESSMENT_STEP) == role:
            return variant["process_id"]
    raise NotFound(f"no self_care_review route with its re-assessment in the {role} lane",
                   "没有与本地特困人员认定流程评估主体一致的生活自理能力复评流程",
                   message_en="No self-care re-assessment route has the assessor of the local extreme-poverty route")


def _lane_of(session: Session, process_id: str, task_name: str) -> str | None:
    return get_version(session, latest_version_id(session, process_id)).tasks.get(task_name, {}).get("lane")


def report_self_care_change(session: Session, principal: Principal, clock, recipient_id: int, reported_by: str,
                            change_report: str, household_id: int | None = None) -> StartedCase:
    """Record a reported change in the self-care ability of an active 特困 recipient in the actor's place
    (village or township; of ``household_id`` when given) and start its re-assessment, linked to the benefit. Refused with a 409 while
    another review of the benefit runs (the change is recorded there). The caller commits."""
    row = session.execute(
        select(RECIPIENT, CASE.c.number).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
        .where(RECIPIENT.c.id == recipient_id, RECIPIENT.c.status == "active",
               RECIPIENT.c.assistance_type == "extreme_poverty",
               place_scope(RECIPIENT, principal, ("village", "township")),
               *([RECIPIENT.c.household_id == household_id] if household_id is not None else []))
        .with_for_update()).first()  # two reports at once: the second waits, then finds the first's review
    if row is None:
        raise NotFound(f"extreme-poverty recipient {recipient_id}", "没有这名在保特困人员，或不在您的辖区",
                       message_en="No such extreme-poverty recipient, or outside your area")
    if row.review_case_id is not None:
        raise refused("a review of this benefit is running", "该救助对象正在复核中，请在复核中记录变化情况",
                      message_en="A review of this recipient is running: record the change in that review")
    place = place_of_village(session, row.village_id)
    process_id = self_care_route_for(session, place.county_code, place.township_code, clock.today())
    started = start_case(session, principal, clock, process_id, row.village_id,
                         _start_data(row, reported_by, change_report))
    session.execute(update(RECIPIENT).where(RECIPIENT.c.id == recipient_id).values(review_case_id=started.id))
    return started


def _start_data(row, reported_by: str, change_report: str) -> dict[str, Any]:
    return {"assistance_type": row.assistance_type, "recipient_case_number": row.number,
            "applicant_name": row.applicant_name, "applicant_id_number": row.applicant_id_number,
            "current_monthly_amount": float(row.monthly_amount), "current_care_level": row.care_level,
            "review_class": row.review_class, "next_review_on": row.next_review_on.isoformat(),
            "reported_by": reported_by, "change_report": change_report}
