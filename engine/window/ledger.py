"""The window's 受理、转办、办理结果登记表 (seed 001 附件3): every registration with its items, referrals,
deadlines, results and feedback dates, in the principal's places (SQL); one registration's page; CSV."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.catalogue.forms import mask_id_number
from engine.errors import NotFound
from engine.oversight.reports import Report
from engine.people.accounts import Principal
from engine.people.scope import household_scope, supervised_counties
from engine.store.models import Household, Unit, User, WindowItem, WindowRegistration, WindowSupervisionItem
from engine.window.charities import charity_referrals, projects_for
from engine.window.items import window_rules
from engine.window.referrals import is_late, window_scope
from engine.window.registration import STATUS_ZH

ITEM, REGISTRATION, HOUSEHOLD = WindowItem.__table__, WindowRegistration.__table__, Household.__table__
SUPERVISION = WindowSupervisionItem.__table__
LEDGER_LIMIT = 500
COLUMNS = (("registration_number", "受理单号"), ("registered_on", "登记日期"), ("applicant_name", "申请人"),
           ("applicant_id_number", "公民身份号码"), ("difficulty", "遭遇困难情况"), ("item_name", "申请事项"),
           ("department_zh", "承办部门"), ("status_zh", "办理状态"), ("transfer_number", "转办单号"),
           ("referred_on", "转办日期"), ("initial_due_on", "反馈期限"), ("answered_on", "部门答复日期"), ("answer_note", "部门答复"),
           ("finish_due_on", "办结期限"), ("finished_on", "办结日期"), ("result", "办理结果"),
           ("fed_back_on", "反馈日期"), ("note", "说明"), ("ended_on", "终止日期"), ("end_reason", "终止原因"),
           ("clerk", "首问负责人"))


def _rows(session: Session, query, today: date) -> list[dict]:
    departments = window_rules().departments
    out = []
    for row in session.execute(query).all():
        values = row._asdict()
        values.update(department_zh=departments.get(row.department, {}).get("name_zh", row.department),
                      status_zh=STATUS_ZH.get(row.status, row.status), late=is_late(row, today),
                      applicant_id_number=mask_id_number(row.applicant_id_number))
        out.append(values)
    return out


def _ledger_query():
    clerk = select(User.display_name).where(User.id == REGISTRATION.c.registered_by_id).scalar_subquery()
    return (select(ITEM, REGISTRATION.c.number.label("registration_number"), REGISTRATION.c.registered_on,
                   REGISTRATION.c.applicant_name, REGISTRATION.c.applicant_id_number, REGISTRATION.c.difficulty,
                   REGISTRATION.c.household_id, clerk.label("clerk"))
            .join(REGISTRATION, REGISTRATION.c.id == ITEM.c.registration_id))


def ledger(session: Session, principal: Principal, today: date, department: str | None = None,
           status: str | None = None, since: date | None = None, until: date | None = None,
           mine: bool = False) -> list[dict]:
    """The ledger's rows (one per item) in the principal's windows, newest registration first, filtered;
    ``mine``: only the registrations the principal registered (首问负责: theirs to follow up)."""
    query = _ledger_query().where(window_scope(principal))
    if mine:
        query = query.where(REGISTRATION.c.registered_by_id == principal.user_id)
    if department:
        query = query.where(ITEM.c.department == department)
    if status:
        query = query.where(ITEM.c.status == status)
    if since:
        query = query.where(REGISTRATION.c.registered_on >= since)
    if until:
        query = query.where(REGISTRATION.c.registered_on <= until)
    return _rows(session, query.order_by(REGISTRATION.c.id.desc(), ITEM.c.id).limit(LEDGER_LIMIT), today)


def ledger_report(rows: list[dict]) -> Report:
    """The ledger as a report for CSV or XLSX (engine.oversight.reports: formula-safe cells), ID numbers masked."""
    return Report("社会救助服务窗口受理、转办、办理结果登记表", [title for _key, title in COLUMNS],
                  [["" if row.get(key) is None else row[key] for key, _title in COLUMNS] for row in rows])


def registration_view(session: Session, principal: Principal, registration_id: int, today: date) -> dict:
    """One registration with its items (and their cases and referrals), for the window that registered it."""
    found = session.execute(select(REGISTRATION).where(REGISTRATION.c.id == registration_id,
                                                       window_scope(principal))).first()
    if found is None:
        raise NotFound(f"registration {registration_id}")
    items = _rows(session, _ledger_query().where(ITEM.c.registration_id == registration_id).order_by(ITEM.c.id),
                  today)
    township = session.execute(select(Unit.name).where(Unit.id == found.township_id)).scalar_one()
    county_code = session.execute(select(Unit.code).where(Unit.id == found.county_id)).scalar_one()
    return {"registration": found, "items": items, "township": township,
            "charities": charity_referrals(session, registration_id), "projects": projects_for(county_code, today),
            "open": sum(1 for i in items if i["status"] in ("referred", "handling"))}


def household_registrations(session: Session, principal: Principal, household_id: int, today: date) -> list[dict]:
    """The registrations' items of a household in the principal's places (for the dossier)."""
    visible = select(HOUSEHOLD.c.id).where(HOUSEHOLD.c.id == household_id, household_scope(principal))
    query = _ledger_query().where(REGISTRATION.c.household_id.in_(visible))
    return _rows(session, query.order_by(REGISTRATION.c.id.desc(), ITEM.c.id), today)


def overview(session: Session, principal: Principal, today: date) -> dict[str, list]:
    """Per township and per department of the supervised counties: registrations, referrals, answered on time,
    overdue."""
    counties = supervised_counties(principal)
    if not counties:
        return {"townships": [], "departments": [], "supervision": []}
    rows = session.execute(_ledger_query().where(ITEM.c.county_id.in_(counties))).all()
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.parent_id.in_(counties))).all())

    def tally(key) -> list[dict]:
        groups: dict = {}
        for row in rows:
            g = groups.setdefault(key(row), {"registrations": set(), "referrals": 0, "late": 0, "overdue": 0,
                                             "closed": 0})
            g["registrations"].add(row.registration_id)
            if row.referred_on is not None:
                g["referrals"] += 1
                late = is_late(row, today)
                g["late"] += late
                g["overdue"] += late and row.status in ("referred", "handling")
                g["closed"] += row.status in ("not_eligible", "finished", "ended")
        return [{"name": k, "registrations": len(v["registrations"]), "referrals": v["referrals"],
                 "overdue": v["overdue"],
                 "on_time_rate": (round(100 * (v["referrals"] - v["late"]) / v["referrals"]) if v["referrals"]
                                  else None)} for k, v in sorted(groups.items())]
    departments = window_rules().departments
    supervision = session.execute(
        select(SUPERVISION.c.id, SUPERVISION.c.stage, SUPERVISION.c.due_on, SUPERVISION.c.department,
               SUPERVISION.c.township_id, ITEM.c.item_code, ITEM.c.item_name, ITEM.c.transfer_number, ITEM.c.registration_id)
        .join(ITEM, ITEM.c.id == SUPERVISION.c.window_item_id)
        .where(SUPERVISION.c.county_id.in_(counties), SUPERVISION.c.resolved_at.is_(None))
        .order_by(SUPERVISION.c.due_on, SUPERVISION.c.id)).all()
    return {"townships": tally(lambda r: names.get(r.township_id, str(r.township_id))),
            "departments": tally(lambda r: r.department),   # by code: the page names it in its language
            "supervision": [{**row._asdict(), "township": names.get(row.township_id, ""),
                             "department_zh": departments.get(row.department, {}).get("name_zh", row.department)}
                            for row in supervision]}


def registrations_count(session: Session, principal: Principal) -> int:
    """How many registrations the principal's windows hold."""
    return session.execute(select(func.count()).select_from(REGISTRATION).where(window_scope(principal))).scalar_one()
