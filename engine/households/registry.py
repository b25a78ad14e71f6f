"""The household registry (一户一档): households, their members and history, and the economic-status
record (家庭经济状况) every programme shares.

A person (by ID number) is in one household at a time. Lodging an application finds the household of
any listed member — the applicant's first — or creates one; members listed but living elsewhere move
in, members no longer listed leave, each with a dated history event. Before anything is written the
duplicate rules are checked: one open application and one active benefit of a type per subject
(the household, or the person for personal benefits), refused with the other case named; the database
enforces the same with unique keys, so a race between two windows is decided there.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import func, insert, literal, or_, select, union_all, update
from sqlalchemy.orm import Session
from stdnum.cn import ric

from engine.catalogue.rules import benefit_of, personal_types
from engine.catalogue.forms import mask_id_number
from engine.errors import Duplicate, Forbidden, FormInvalid, Message
from engine.people.accounts import Principal
from engine.people.scope import visible_person, withheld_people, withheld_person
from engine.store.bulk import update_rows
from engine.store.sequences import next_value
from engine.store.models import Case, EconomicRecord, Household, HouseholdEvent, Person, Recipient

HOUSEHOLD, PERSON, EVENT = Household.__table__, Person.__table__, HouseholdEvent.__table__
ECONOMIC, CASE, RECIPIENT = EconomicRecord.__table__, Case.__table__, Recipient.__table__
DECLARATION_SOURCE = "申请人申报"  # a check's sources are the route's (declarations.ECONOMIC_SOURCES)
DECLARATION_VALID_MONTHS = 6


@dataclass(frozen=True)
class Member:
    """One member as an application lists them."""

    id_number: str
    name: str
    relation: str = "self"
    monthly_income: float | None = None
    disability_level: str | None = None


@dataclass(frozen=True)
class HouseholdLink:
    """The household a case is about and its applicant's person row."""

    household_id: int
    applicant_id: int


def members_of(data: Mapping[str, Any], applicant: Mapping[str, str]) -> list[Member]:
    """The members an application lists (the declared ``applicant.members`` list), the applicant first;
    an application without a list is for the applicant alone."""
    name = str(data.get(applicant.get("name", ""), "") or "")
    id_number = str(data.get(applicant.get("id_number", ""), "") or "")
    listed = data.get(applicant.get("members", "")) if applicant.get("members") else None
    members: dict[str, Member] = {}
    if id_number:
        members[id_number] = Member(id_number, name, "self")
    for row in listed if isinstance(listed, list) else ():
        if isinstance(row, Mapping) and row.get("id_number"):
            members.setdefault(str(row["id_number"]), Member(
                str(row["id_number"]), str(row.get("name") or ""), str(row.get("relation") or "other"),
                _number(row.get("monthly_income")), row.get("disability_level")))
            if row["id_number"] == id_number:  # the list's row for the applicant carries the income
                members[id_number] = Member(id_number, name or str(row.get("name") or ""), "self",
                                            _number(row.get("monthly_income")), row.get("disability_level"))
    return list(members.values())


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def subject_key(assistance_type: str | None, household_id: int, person_id: int) -> str | None:
    """The key one open application / one active benefit of a type is unique on, or None (no benefit)."""
    benefit = benefit_of(assistance_type)
    if benefit is None:
        return None
    who = f"h{household_id}" if benefit["subject"] == "household" else f"p{person_id}"
    return f"{who}:{assistance_type}"


def find_household(session: Session, id_numbers: Iterable[str]) -> int | None:
    """The household of the first of these ID numbers that has one."""
    numbers = list(id_numbers)
    if not numbers:
        return None
    rows = dict(session.execute(select(PERSON.c.id_number, PERSON.c.household_id)
                                .where(PERSON.c.id_number.in_(numbers), PERSON.c.household_id.is_not(None))).all())
    return next((rows[n] for n in numbers if n in rows), None)


def refuse_withheld(session: Session, principal: Principal | None, id_numbers: Iterable[str],
                    dead: Mapping[str, str | tuple[str, str]] | None = None, managing: bool = False) -> None:
    """Refuse (Forbidden, nothing written) when any of these people belongs to a household whose file the
    principal may not see (``withheld_people``: a privacy household, for a village): they can neither be
    registered, attached nor added through that village. The message names neither the household nor its
    case; it sends the applicant to the street (乡镇/街道), which holds the file. ``None``: the scheduler.

    ``dead`` (ID number → the form field that lists them): also refuse, with FormInvalid on that field, anyone
    among them recorded as dead (``died_on_of``): no application is lodged for them, no window registers them,
    no list adds them to a household. Asked in the same statement, after the privacy refusal, so a withheld
    household tells nothing of its people; the person is named (recorded name, masked ID) only when the
    principal may see their household's file, else by the masked ID the form gave. ``managing``: the case is
    about the person's own benefit (``lodging_fields``), which the message says the death stopped. ``dead`` may
    name someone beyond ``id_numbers``: the person entrusted to apply (受委托人), refused as such (nobody lodges
    through a dead proxy) and never with the privacy refusal — nothing is lodged for them. A ``dead`` entry may be
    (field, why) to say the person's part: ``collector`` (代领人: nobody collects a benefit for the recipient once
    dead), ``referral`` (the window refers no dead applicant: 转办, 转介)."""
    numbers = list(id_numbers)
    if not numbers or (principal is None and not dead):
        return
    if not dead:
        if session.execute(withheld_people(principal, numbers).limit(1)).first() is not None:
            raise _withheld()
        return
    withheld, died_on = withheld_person(principal), died_on_of(PERSON)
    listed = set(numbers)
    rows = session.execute(select(PERSON.c.id_number, PERSON.c.name, withheld.label("withheld"),
                                  visible_person(principal).label("visible"), died_on.label("died_on"))
                           .where(PERSON.c.id_number.in_(numbers + [n for n in dead if n not in listed]),
                                  or_(withheld, died_on.is_not(None)))).all()
    if any(r.withheld and r.id_number in listed for r in rows):
        raise _withheld()
    order = {n: i for i, n in enumerate(numbers)}
    for r in sorted(rows, key=lambda r: order.get(r.id_number, len(order))):
        entry = dead.get(r.id_number)
        if entry is not None:
            field, why = entry if isinstance(entry, tuple) else (
                entry, "managed" if managing else "listed" if r.id_number in listed else "proxy")
            raise _refuse_dead(field, r.name if r.visible else None, r.id_number, r.died_on, why)


def _withheld() -> Forbidden:
    return Forbidden("the person's household file is withheld from the actor (privacy)",
                     "该申请人的事项由街道（乡镇）办理，请到街道（乡镇）受理窗口申请",
                     message_en="This applicant's matters are handled by the street (township): apply at its window")


def died_on_of(person):
    """SQL: the date of the death recorded for the ``person`` row (household event ``died``, written by
    engine.cases.deaths.record_death once per person), or NULL; read by ``ix_household_event_died``."""
    return (select(EVENT.c.on).where(EVENT.c.person_id == person.c.id, EVENT.c.kind == "died")
            .limit(1).scalar_subquery())


def _refuse_dead(field: str, name: str | None, id_number: str, died_on, why: str = "listed") -> FormInvalid:
    who_zh = f"{name}（身份证号 {mask_id_number(id_number)}）" if name else f"身份证号 {mask_id_number(id_number)} 的人员"
    who_en = f"{name} (ID {mask_id_number(id_number)})" if name else f"The person with ID {mask_id_number(id_number)}"
    on = f"于 {died_on.isoformat()} " if died_on else ""
    on_en = f" on {died_on.isoformat()}" if died_on else ""
    if why == "proxy":
        zh = f"受委托人{who_zh}已{on}登记死亡，不能受托代为申请，请由申请人本人或另行委托的人员办理"
        en = (f"The entrusted person, {who_en[0].lower()}{who_en[1:]}, is recorded as dead{on_en}: they cannot apply "
              "on the applicant's behalf; the applicant or another entrusted person must")
    elif why == "collector":
        zh = f"代领人{who_zh}已{on}登记死亡，不能代为领取救助金，请填写其他代领人或由受助人本人领取"
        en = (f"The person named to collect the payment, {who_en[0].lower()}{who_en[1:]}, is recorded as dead{on_en}: "
              "name another collector, or the recipient collects it")
    elif why == "referral":
        zh = f"申请人{who_zh}已{on}登记死亡，不能再为其转办或转介"
        en = f"The applicant, {who_en[0].lower()}{who_en[1:]}, is recorded as dead{on_en}: nothing more is referred for them"
    elif why == "managed":
        zh = f"{who_zh}已{on}登记死亡，其本人享受的救助已自死亡次月起停发，不能再为其发起复核、变更或复评"
        en = (f"{who_en} is recorded as dead{on_en}: their own benefit stopped from the month after the death, so no "
              "review, change or re-assessment can be started for them")
    else:
        zh = f"{who_zh}已{on}登记死亡，不能为其申请救助，也不能将其登记或列为家庭成员"
        en = (f"{who_en} is recorded as dead{on_en}: no application can be lodged or registered for them, "
              "and they cannot be listed as a household member")
    return FormInvalid.of({field: Message(zh, en)}, Message(zh, en))


def managed_personal_benefit(assistance_type: str | None, data: Mapping[str, Any]) -> bool:
    """Whether a case is a dynamic-management case (复核, 变更, 自理能力复评: of a type granting no benefit of its
    own, its start form naming a benefit's granting case and type) about a personal benefit (``personal_types``)."""
    return (benefit_of(assistance_type) is None and bool(data.get("recipient_case_number"))
            and data.get("assistance_type") in personal_types())


def lodging_fields(assistance_type: str | None, members: list[Member], data: Mapping[str, Any],
                   applicant: Mapping[str, str]) -> dict[str, str] | None:
    """The people a case may not be lodged for when recorded as dead — ID number → the field of the form that
    lists them (``applicant.id_number``, else their row of the ``applicant.members`` list: ``members.2.id_number``),
    for ``refuse_withheld``'s ``dead`` — or None: nobody. One rule for every way a case starts (a form, the
    window, the scheduler's reviews: engine.cases.lifecycle, engine.cases.batch_start):

    - an application of a benefit: everyone it lists, the person entrusted to lodge it (受委托人: the
      route's ``applicant.proxy_id_number``) and the person named to collect it (代领人: the route's
      ``applicant.collector_id_number``, refused as such);
    - a dynamic-management case about a personal benefit (``managed_personal_benefit``: 特困, 两项补贴, 尊老金):
      the person it names, whatever its reason — their death stopped that benefit and ended its review
      (engine.cases.deaths.record_death is the path that records the stop), so a review, change or
      re-assessment of it has nothing left to decide;
    - a dynamic-management case about a household benefit (低保 …): nobody — the household goes on after its
      applicant's death, and the review the death starts, later periodic reviews and a change after a member's
      death (减发) still name the applicant the register holds."""
    if benefit_of(assistance_type) is None and not managed_personal_benefit(assistance_type, data):
        return None
    fields: dict[str, str] = {}
    listed = data.get(applicant.get("members", "")) if applicant.get("members") else None
    for i, row in enumerate(listed if isinstance(listed, list) else ()):
        if isinstance(row, Mapping) and row.get("id_number"):
            fields.setdefault(str(row["id_number"]), f"{applicant['members']}.{i}.id_number")
    if members and applicant.get("id_number"):
        fields[members[0].id_number] = applicant["id_number"]
    listed = {m.id_number: fields.get(m.id_number, applicant.get("id_number") or "_form") for m in members}
    proxy = str(data.get(applicant.get("proxy_id_number", "")) or "") if applicant.get("proxy_id_number") else ""
    collector = (str(data.get(applicant.get("collector_id_number", "")) or "")
                 if applicant.get("collector_id_number") else "")
    return {**({collector: (applicant["collector_id_number"], "collector")} if collector else {}),
            **({proxy: applicant["proxy_id_number"]} if proxy else {}), **listed}


def check_duplicates(session: Session, assistance_type: str | None, members: list[Member]) -> None:
    """Refuse an application of a type that a listed member's household (or, for a personal benefit, the
    applicant) already has open or receives — naming that case. Two statements: who is known, then one
    look-up of the open and granting cases by their unique keys."""
    benefit = benefit_of(assistance_type)
    if benefit is None or not members:
        return
    known = session.execute(select(PERSON.c.id_number, PERSON.c.id, PERSON.c.household_id).where(
        PERSON.c.id_number.in_([m.id_number for m in members]))).all()
    if benefit["subject"] == "household":
        keys = sorted({f"h{r.household_id}:{assistance_type}" for r in known if r.household_id is not None})
    else:
        keys = [f"p{r.id}:{assistance_type}" for r in known if r.id_number == members[0].id_number]
    if not keys:
        return
    open_cases = select(CASE.c.id, CASE.c.number, CASE.c.privacy, literal("open").label("why")).where(CASE.c.open_key.in_(keys))
    granting = (select(CASE.c.id, CASE.c.number, CASE.c.privacy, literal("receiving").label("why"))
                .join(RECIPIENT, RECIPIENT.c.case_id == CASE.c.id).where(RECIPIENT.c.active_key.in_(keys)))
    hit = session.execute(union_all(open_cases, granting).limit(1)).first()
    if hit is None:
        return
    if hit.privacy:
        # Still refused (no benefit twice), but a privacy case (R59) is never named: whoever lodges, usually the
        # village that may no longer see it, learns only that the street holds the matter.
        raise Duplicate(f"a case of {assistance_type} is already held by the street",
                        f"该{_subject_zh(benefit)}的同类事项已由街道（乡镇）办理，不能重复申请，请向街道（乡镇）咨询",
                        message_en="The street (township) already handles such a matter of this "
                                   f"{_subject_en(benefit)}: it cannot be applied for again; ask the street (township)")
    if hit.why == "open":
        raise Duplicate(f"open application {hit.number} of {assistance_type}",
                        f"该{_subject_zh(benefit)}已有一件办理中的同类申请（案件 {hit.number}），不能重复申请",
                        hit.id, hit.number,
                        message_en=f"This {_subject_en(benefit)} already has an open application of this type (case "
                                   f"{hit.number}): it cannot be applied for again")
    raise Duplicate(f"already receiving {assistance_type} (case {hit.number})",
                    f"该{_subject_zh(benefit)}已在享受该救助（案件 {hit.number}），变更或复核请走动态管理",
                    hit.id, hit.number,
                    message_en=f"This {_subject_en(benefit)} already receives this assistance (case {hit.number}): a "
                               "change or review goes through dynamic management")


def _subject_zh(benefit: Mapping[str, str]) -> str:
    return "家庭" if benefit["subject"] == "household" else "申请人"


def _subject_en(benefit: Mapping[str, str]) -> str:
    return "household" if benefit["subject"] == "household" else "applicant"


def household_number(session: Session, place) -> str:
    """A household number (户编号) such as 320921-H0000042 (county code, serial)."""
    return f"{place.county_code}-H{next_value(session, f'household:{place.county_code}'):07d}"


def link_household(session: Session, place, members: list[Member], contact: Mapping[str, Any], case_id: int,
                   actor_id: int | None, today: date, now: datetime, complete: bool = True) -> HouseholdLink:
    """Find or create the case's household and bring its member list up to date. ``complete``: the
    application lists the whole household, so members not listed have left it; otherwise (a personal
    benefit, a review) the listed people are added and nobody leaves."""
    household_id = find_household(session, [m.id_number for m in members])
    if household_id is None:
        household_id = session.execute(insert(HOUSEHOLD).values(
            number=household_number(session, place), county_id=place.county_id,
            township_id=place.township_id, village_id=place.village_id, created_at=now, updated_at=now,
            **contact).returning(HOUSEHOLD.c.id)).scalar_one()
        _event(session, household_id, None, "created", today, case_id, actor_id, now, {})
    elif contact:
        session.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == household_id).values(updated_at=now, **contact))
    ids = _update_members(session, household_id, place, members, case_id, actor_id, today, now, complete)
    applicant_id = ids[members[0].id_number]
    session.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == household_id, HOUSEHOLD.c.head_id.is_(None))
                    .values(head_id=applicant_id))
    return HouseholdLink(household_id, applicant_id)


def known_households(session: Session, id_numbers: Iterable[str]) -> dict[str, tuple[int, int, date | None]]:
    """ID number → (person id, household id, the date of their recorded death or None: ``died_on_of``) of those
    of these people who are in a household (one statement)."""
    numbers = list(id_numbers)
    if not numbers:
        return {}
    return {r.id_number: (r.id, r.household_id, r.died_on) for r in session.execute(
        select(PERSON.c.id_number, PERSON.c.id, PERSON.c.household_id, died_on_of(PERSON).label("died_on"))
        .where(PERSON.c.id_number.in_(numbers), PERSON.c.household_id.is_not(None)))}


def relink_known_applicants(session: Session, links: list[tuple[int, int, Member, Any]], now: datetime) -> None:
    """What ``link_household`` writes, with a partial member list and no contact, for applicants already in
    their household — ``(person id, household id, member, place)`` each, many at once (a batch of reviews):
    nobody joins or leaves, so the person's name and place are brought up to date and the household gets its
    head if it has none. In id order, so two concurrent batches lock rows in the same order."""
    if not links:
        return
    people = [{"id": person_id, "name": m.name, "updated_at": now, "household_id": household_id,
               "county_id": place.county_id, "township_id": place.township_id, "village_id": place.village_id,
               **({"disability_level": m.disability_level} if m.disability_level else {})}
              for person_id, household_id, m, place in sorted(links, key=lambda link: link[0])]
    for shape in dict.fromkeys(tuple(sorted(p)) for p in people):  # one statement per set of columns
        update_rows(session, PERSON, "id", [p for p in people if tuple(sorted(p)) == shape])
    first: dict[int, int] = {}  # a household without a head gets its first applicant, as one by one
    for person_id, household_id, _m, _p in links:
        first.setdefault(household_id, person_id)
    update_rows(session, HOUSEHOLD, "id", [{"id": h, "head_id": p} for h, p in first.items()], where_null=("head_id",))


def _update_members(session, household_id: int, place, members: list[Member], case_id, actor_id, today, now,
                    complete: bool) -> dict[str, int]:
    known = {r.id_number: r for r in session.execute(select(
        PERSON.c.id, PERSON.c.id_number, PERSON.c.household_id).where(
            PERSON.c.id_number.in_([m.id_number for m in members]))).all()}
    current = {r.id_number: r.id for r in session.execute(select(PERSON.c.id, PERSON.c.id_number).where(
        PERSON.c.household_id == household_id)).all()}
    where = {"county_id": place.county_id, "township_id": place.township_id, "village_id": place.village_id}
    ids: dict[str, int] = {}
    for m in members:
        facts = {"name": m.name, "updated_at": now, "household_id": household_id, **where}
        if complete or m.id_number not in current:  # a partial list keeps what the household file says
            facts.update(relation=m.relation)
        if m.disability_level:
            facts.update(disability_level=m.disability_level)
        row = known.get(m.id_number)
        if row is None:
            sex, born = _from_id(m.id_number)
            ids[m.id_number] = session.execute(insert(PERSON).values(
                id_number=m.id_number, id_tail=m.id_number[-6:], sex=sex, birth_date=born, **facts)
                .returning(PERSON.c.id)).scalar_one()
        else:
            ids[m.id_number] = row.id
            session.execute(update(PERSON).where(PERSON.c.id == row.id).values(**facts))
            if row.household_id not in (None, household_id):
                _event(session, row.household_id, row.id, "left", today, case_id, actor_id, now,
                       {"to_household_id": household_id})
        if m.id_number not in current:
            _event(session, household_id, ids[m.id_number], "joined", today, case_id, actor_id, now,
                   {"relation": m.relation})
    for id_number, person_id in current.items() if complete else ():
        if id_number not in ids:  # no longer listed: left the household
            session.execute(update(PERSON).where(PERSON.c.id == person_id).values(household_id=None, updated_at=now))
            _event(session, household_id, person_id, "left", today, case_id, actor_id, now, {})
    return ids


def _from_id(id_number: str) -> tuple[str | None, date | None]:
    try:
        return ("M" if int(id_number[16]) % 2 else "F"), ric.get_birth_date(id_number)
    except (ValueError, Exception):  # validated at the form; a legacy number keeps no derived facts
        return None, None


def _event(session, household_id, person_id, kind, on, case_id, actor_id, now, detail) -> None:
    session.execute(insert(EVENT).values(household_id=household_id, person_id=person_id, kind=kind, on=on,
                                         case_id=case_id, actor_id=actor_id, at=now, detail=detail))


def member_count(session: Session, household_id: int) -> int:
    """How many people the household has now."""
    return session.execute(select(func.count()).select_from(PERSON).where(PERSON.c.household_id == household_id)
                           ).scalar_one()


def record_economic_status(session: Session, household_id: int, *, kind: str, source: str, checked_on: date,
                           valid_until: date, incomes: list[dict[str, Any]] | None = None,
                           assets: Mapping[str, Any] | None = None, result: str | None = None,
                           report_number: str | None = None, findings: str | None = None,
                           case_id: int | None = None, task_name: str | None = None,
                           actor_id: int | None = None, now: datetime) -> int:
    """Add one economic-status statement (a declaration or a check's result) to the household's record."""
    incomes = list(incomes or [])
    total = sum(float(i.get("monthly") or 0) for i in incomes) if incomes else None
    size = member_count(session, household_id)
    return session.execute(insert(ECONOMIC).values(
        household_id=household_id, kind=kind, source=source, report_number=report_number, result=result,
        findings=findings, checked_on=checked_on, valid_until=valid_until, incomes=incomes, assets=dict(assets or {}),
        monthly_income=total, household_size=size or None, case_id=case_id, task_name=task_name,
        recorded_by_id=actor_id, recorded_at=now).returning(ECONOMIC.c.id)).scalar_one()


def declared_incomes(members: list[Member]) -> list[dict[str, Any]]:
    """The incomes an application declares, by member (source: declared monthly income)."""
    return [{"id_number": m.id_number, "name": m.name, "source": "申报月收入", "monthly": m.monthly_income}
            for m in members if m.monthly_income is not None]


def latest_valid_record(session: Session, household_id: int, on: date) -> dict[str, Any] | None:
    """The household's latest economic-status statement still valid on ``on`` (checks before declarations)."""
    row = session.execute(select(ECONOMIC).where(ECONOMIC.c.household_id == household_id,
                                                 ECONOMIC.c.valid_until >= on)
                          .order_by((ECONOMIC.c.kind == "verification").desc(), ECONOMIC.c.checked_on.desc(),
                                    ECONOMIC.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None
