"""受理登记 at a township window or a village service point (seed 001 三、工作流程).

One registration: the applicant, their household (found in the registry by ID number, or new), the difficulty
met and the items asked for. Each item either starts its Jiuzhu route (民政: the existing routes, through
start_application), or becomes a referral (转办) to the department's liaison of the county within 1 working
day, or is closed at the window with what the applicant was told (一次性告知 of missing materials, 政策解释
when not eligible). The 社会救助申请受理单 and each referral's 社会救助申请转办单 are issued with it.
The caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.cases.lifecycle import start_application
from engine.catalogue.documents import render
from engine.catalogue.forms import id_number_problem
from engine.catalogue.rules import appeal_of, process_for
from engine.catalogue.versions import get_version, latest_version_id
from engine.clock import CHINA_TZ, Clock
from engine.errors import Duplicate, FormInvalid, Message, NotFound, RouteFailed
from engine.households.registry import find_household, refuse_withheld
from engine.people.accounts import Principal
from engine.people.places import place_of_village, unit_names
from engine.store.sequences import next_number
from engine.store.models import Case, WindowItem, WindowRegistration
from engine.window.items import Item, window_rules
from engine.workdays import WorkingCalendar, add_workdays_due

REGISTRATION, ITEM = WindowRegistration.__table__, WindowItem.__table__
OUTCOMES = ("accept", "materials_missing", "not_eligible")
TEXT_MAX = 2000
# Where an item stands; a referral is open while "referred" or "handling".
STATUS_ZH = {
    "case_started": "已启动审批", "duplicate": "重复申请，未受理", "application_needed": "待补全申请表",
    "materials_missing": "材料不全，已一次性告知", "explained": "不符合条件，已政策解释",
    "referred": "已转办，待部门答复", "handling": "部门办理中", "not_eligible": "部门答复：不符合条件",
    "finished": "部门已办结", "ended": "已终止（申请人死亡）",
}
OPEN_REFERRAL = ("referred", "handling")
# What the registration itself fills in a 民政 route's application form; the rest of that form (特困's age and
# supporters, 临时救助's kind and amount, 两项补贴's certificate …) is the item's own part, filled by the clerk.
WINDOW_FIELDS = frozenset({"applicant_name", "applicant_id_number", "address", "channel", "members", "near_relative",
                           "authorises_check", "applied_on", "phone"})
ITEM_FIELD_SEPARATOR = "__"   # an item's own field in the registration form: "extreme_poverty__age"


@dataclass(frozen=True)
class RequestedItem:
    """An item as the clerk registers it: the item code, what the window decided, and the note told."""

    code: str
    outcome: str = "accept"
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)   # a 民政 item's own part of its route's application


@dataclass(frozen=True)
class Applicant:
    """Who asks, as registered."""

    name: str
    id_number: str
    address: str
    phone: str = ""
    monthly_income: float | None = None   # declared, for a 民政 application started from the window
    authorises_check: bool = False        # 家庭经济状况核对授权 signed at the window


def _problems(applicant: Applicant, difficulty: str, items: list[RequestedItem], known: dict[str, Item],
              today: date) -> dict[str, Message]:
    errors: dict[str, Message] = {}
    if not applicant.name.strip() or len(applicant.name) > 100:
        errors["applicant_name"] = Message("请填写申请人姓名（不超过100字）", "Enter the applicant's name (at most 100 characters)")
    if wrong := id_number_problem(applicant.id_number, today):
        errors["applicant_id_number"] = wrong
    if not applicant.address.strip() or len(applicant.address) > 200:
        errors["address"] = Message("请填写住址（不超过200字）", "Enter the address (at most 200 characters)")
    if len(applicant.phone) > 40:
        errors["phone"] = Message("联系电话不超过40字", "The phone number may have at most 40 characters")
    if not difficulty.strip() or len(difficulty) > TEXT_MAX:
        errors["difficulty"] = Message(f"请填写遭遇困难情况（不超过{TEXT_MAX}字）",
                                       f"Describe the difficulty met (at most {TEXT_MAX} characters)")
    if not items:
        errors["items"] = Message("请至少选择一项救助事项", "Choose at least one kind of assistance")
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        errors["items"] = Message("同一事项只能登记一次", "Each kind of assistance can be registered only once")
    for i in items:
        if i.code not in known:
            errors["items"] = Message(f"未知或已停用的事项 {i.code}", f"Unknown or retired kind of assistance {i.code}")
        elif i.outcome not in OUTCOMES:
            errors[f"outcome-{i.code}"] = Message("请选择受理结果", "Choose how the request was received")
        elif i.outcome != "accept" and not i.note.strip():
            errors[f"note-{i.code}"] = (
                Message("请记录一次性告知的缺少材料", "Record the missing documents the applicant was told of, all at once")
                if i.outcome == "materials_missing" else
                Message("请记录向申请人所作的政策解释", "Record the policy explained to the applicant"))
        elif len(i.note) > TEXT_MAX:
            errors[f"note-{i.code}"] = Message(f"说明不超过{TEXT_MAX}字", f"The note may have at most {TEXT_MAX} characters")
    return errors


def register(session: Session, actor: Principal, clock: Clock, village_id: int, applicant: Applicant,
             difficulty: str, items: list[RequestedItem]) -> int:
    """Register a request for help; returns the registration's id. Refuses bad input with FormInvalid (nothing
    written) and a village outside the actor's window with NotFound."""
    place = place_of_village(session, village_id)
    if village_id in actor.units_for("village"):
        point = "village_point"
    elif place.township_id in actor.units_for("township"):
        point = "township_window"
    else:
        raise NotFound(f"village {village_id} outside the actor's units")
    today, now = clock.today(), clock.now()
    rules = window_rules()
    known = {i.code: i for i in rules.items_for(place.county_code, today)}
    applicant = Applicant(applicant.name.strip(), applicant.id_number.strip().upper(), applicant.address.strip(),
                          applicant.phone.strip(), applicant.monthly_income, applicant.authorises_check)
    if errors := _problems(applicant, difficulty, items, known, today):
        raise FormInvalid.of(errors)
    # nobody recorded as dead is registered: the items' applications would be refused one by one otherwise
    refuse_withheld(session, actor, [applicant.id_number], {applicant.id_number: "applicant_id_number"})
    names = unit_names(session, [place.county_id, place.township_id, village_id])
    county, township = names[place.county_id], names[place.township_id]
    year = now.astimezone(CHINA_TZ).year
    number = next_number(session, f"{county[:1]}救受", year)
    household_id = find_household(session, [applicant.id_number])
    registration_id = session.execute(insert(REGISTRATION).values(
        number=number, county_id=place.county_id, township_id=place.township_id, village_id=village_id,
        household_id=household_id, point=point, applicant_name=applicant.name,
        applicant_id_number=applicant.id_number, phone=applicant.phone or None, address=applicant.address,
        difficulty=difficulty.strip(), registered_at=now, registered_on=today, registered_by_id=actor.user_id,
        receipt="").returning(REGISTRATION.c.id)).scalar_one()
    calendar = WorkingCalendar.load()
    rows = []
    for requested in items:
        item = known[requested.code]
        row = {"registration_id": registration_id, "item_code": item.code, "item_name": item.name_zh,
               "department": item.department, "county_id": place.county_id, "township_id": place.township_id,
               "note": requested.note.strip() or None, "due_provisional": False}
        if requested.outcome == "materials_missing":
            row["status"] = "materials_missing"
        elif requested.outcome == "not_eligible":
            row["status"] = "explained"
        elif item.referred:
            row.update(_referral(session, calendar, rules.deadlines, county, year, today))
        else:
            row.update(_start_case(session, actor, clock, item, requested, place, applicant, point, today))
        item_id = session.execute(insert(ITEM).values(row).returning(ITEM.c.id)).scalar_one()
        rows.append({**row, "id": item_id, "department_zh": item.department_zh})
    if household_id is None:  # a 民政 case just lodged may have created the household
        household_id = find_household(session, [applicant.id_number])
        session.execute(update(REGISTRATION).where(REGISTRATION.c.id == registration_id)
                        .values(household_id=household_id))
    _issue(session, registration_id, number, applicant, difficulty.strip(), rows, county, township,
           names[village_id], today, appeal_of(place.county_code, session, today))
    return registration_id


def _referral(session, calendar, deadlines, county, year, today) -> dict[str, Any]:
    # The window refers at once, on the day it registers: the 1 wd is the window's limit, met by construction.
    referral_due = add_workdays_due(calendar, today, deadlines["referral_wd"])
    notice_due = add_workdays_due(calendar, today, deadlines["not_eligible_wd"])
    initial_due = add_workdays_due(calendar, today, deadlines["initial_wd"])
    return {"status": "referred", "referred_on": today, "referral_due_on": referral_due.on,
            "notice_due_on": notice_due.on, "initial_due_on": initial_due.on, "due_on": initial_due.on,
            "due_provisional": referral_due.provisional or notice_due.provisional or initial_due.provisional,
            "transfer_number": next_number(session, f"{county[:1]}救转", year)}


def _start_case(session, actor, clock, item: Item, requested: RequestedItem, place, applicant: Applicant, point,
                today) -> dict[str, Any]:
    """Lodge the 民政 item's application from what the window registered and the item's own part of the form
    (``requested.data``); a duplicate, or an item whose own part was left empty, is recorded on the item, not
    refused for the whole registration; an own part filled wrongly refuses the registration (FormInvalid)."""
    member = {"name": applicant.name, "id_number": applicant.id_number, "relation": "self", "authorisation": "self"}
    if applicant.monthly_income is not None:
        member["monthly_income"] = applicant.monthly_income
    data = {"applicant_name": applicant.name, "applicant_id_number": applicant.id_number,
            "address": applicant.address, "channel": "window" if point == "township_window" else "village_proxy",
            "members": [member], "near_relative": False, "authorises_check": applicant.authorises_check,
            "applied_on": today.isoformat(), **({"phone": applicant.phone} if applicant.phone else {}),
            **({"monthly_income": applicant.monthly_income} if applicant.monthly_income is not None else {})}
    schema = _start_schema(session, item, place, today)
    data = {k: v for k, v in data.items() if k in (schema.get("properties") or {})}  # what this route's form asks
    own = {k: v for k, v in requested.data.items() if k not in WINDOW_FIELDS}
    try:
        with session.begin_nested():
            started = start_application(session, actor, clock, item.assistance_type, place.village_id,
                                        {**data, **own})
    except Duplicate as exc:
        return {"status": "duplicate", "case_id": exc.case_id, "note": exc.message_zh}
    except FormInvalid as exc:
        if own:  # the clerk filled the item's part: what is wrong is theirs to correct, the registration waits
            raise FormInvalid.of({f"{item.code}{ITEM_FIELD_SEPARATOR}{k}": v for k, v in exc.messages().items()}) from exc
        return _application_needed(item)
    except RouteFailed:
        return _application_needed(item)
    return {"status": "case_started", "case_id": started.id, **({"note": item.note} if item.note else {})}


def _application_needed(item: Item) -> dict[str, Any]:
    return {"status": "application_needed",
            "note": "登记时未填写本事项的申请内容，审批尚未启动：请在「新申请」中为该户填写完整申请表"
                    + (f"（{item.note}）" if item.note else "")}


def _start_schema(session, item: Item, place, today: date) -> dict:
    """The application form (JSON Schema) of the route the 民政 item starts in the place today."""
    version = get_version(session, latest_version_id(session, process_for(
        item.assistance_type, place.county_code, place.township_code, today, session)))
    return version.forms.get(version.tasks.get("@start", {}).get("form_key")) or {}


def item_forms(session: Session, village_id: int, day: date) -> dict[str, dict]:
    """Each 民政 item's own part of its route's application form (what the registration does not fill), as
    JSON Schema, by item code: filled at the window, the route starts at once; left empty, the item waits for
    its application (待补全)."""
    place = place_of_village(session, village_id)
    forms = {}
    for item in window_rules().items_for(place.county_code, day):
        if item.referred:
            continue
        schema = _start_schema(session, item, place, day)
        props = {k: v for k, v in (schema.get("properties") or {}).items() if k not in WINDOW_FIELDS}
        if props:
            forms[item.code] = {"type": "object", "properties": props,
                                "required": [k for k in schema.get("required", []) if k in props]}
    return forms


def _issue(session, registration_id, number, applicant, difficulty, rows, county, township, village, today,
           appeal) -> None:
    """The 受理单 of the registration and the 转办单 of each referral, rendered once and kept as issued."""
    case_numbers = dict(session.execute(select(ITEM.c.id, _case_number()).where(
        ITEM.c.registration_id == registration_id, ITEM.c.case_id.is_not(None))).all())
    blank = dict.fromkeys(("transfer_number", "case_id", "referred_on", "notice_due_on", "initial_due_on"))
    items = [{**blank, **r, "status_zh": STATUS_ZH[r["status"]], "case_number": case_numbers.get(r["id"])} for r in rows]
    context = {"county": county, "township": township, "village": village, "applicant": applicant.__dict__,
               "difficulty": difficulty, "issued_on": today, "appeal": appeal}
    _t, _c, receipt = render("window_receipt", number=number, items=items, **context)
    session.execute(update(REGISTRATION).where(REGISTRATION.c.id == registration_id).values(receipt=receipt))
    for item in items:
        if item["status"] == "referred":
            _t, _c, body = render("window_transfer", number=item["transfer_number"], item=item,
                                  receipt_number=number, **context)
            session.execute(update(ITEM).where(ITEM.c.id == item["id"]).values(transfer=body))


def _case_number():
    return select(Case.number).where(Case.id == ITEM.c.case_id).scalar_subquery()
