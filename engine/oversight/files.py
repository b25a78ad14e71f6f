"""The household file (一户一档) as the people who decide read it.

``case_file`` is what a task page shows its decider: the household's members (masked; in full on a
checking step to county staff, the reveal audited), its economic-status record, every earlier step's
results under its form's labels, the reason a case came back, the attachments, the household's other
applications and benefits, and the duplicate/overlap flags. ``household_file`` is the dossier: the
same household with its history, every application of every type, benefits with their history,
documents and a timeline. Both find the household or case within the actor's place in SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Mapping

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from engine.catalogue.forms import age_on, choice_titles, mask_id_number
from engine.catalogue.materials import materials
from engine.catalogue.rules import type_name_of
from engine.catalogue.versions import get_version
from engine.errors import NotFound
from engine.households.overlaps import flags_of
from engine.households.registry import died_on_of
from engine.people.accounts import Principal
from engine.people.places import unit_names
from engine.people.reveals import allowed_counties, record_reveal
from engine.people.scope import case_scope, household_scope, place_scope
from engine.store.models import (Attachment, Case, CaseEvent, Document, EconomicRecord, Household, HouseholdEvent,
                                 Person, Recipient, RecipientChange, User)

CASE, EVENT, HOUSEHOLD, PERSON = Case.__table__, CaseEvent.__table__, Household.__table__, Person.__table__
H_EVENT, ECONOMIC, RECIPIENT = HouseholdEvent.__table__, EconomicRecord.__table__, Recipient.__table__
CHANGE, ATTACHMENT, DOCUMENT = RecipientChange.__table__, Attachment.__table__, Document.__table__
RELATIONS_ZH = {"self": "本人", "spouse": "配偶", "child": "子女", "parent": "父母", "sibling": "兄弟姐妹",
                "grandparent": "祖父母/外祖父母", "grandchild": "孙子女/外孙子女", "other": "其他"}
STATUS_ZH = {"active": "在保", "stopped": "已停发", "paid": "已发放"}
MAX_VALUE_CHARS = 2000
MAX_ROWS = 200  # a dossier lists at most this many of each kind (the archive has everything)


@dataclass(frozen=True)
class Field:
    """One answer of a step, under its form's label."""

    label: str
    label_en: str
    value: str
    value_en: str  # the value as the English UI shows it: choices by their English titles, Yes/No
    rows: tuple[tuple["Field", ...], ...] = ()  # an array of objects: one tuple of fields per row


@dataclass(frozen=True)
class StepResult:
    """A completed step: who did it, when, and what they entered."""

    task_name: str
    title: str
    actor: str | None  # None: the system (a timer)
    at: datetime
    fields: tuple[Field, ...]


@dataclass
class HouseholdFacts:
    """The household as the registry knows it."""

    id: int
    number: str
    address: str | None
    phone: str | None
    place: str
    members: list[dict[str, Any]]
    economic: list[dict[str, Any]]
    ids_revealed: bool = False


@dataclass
class CaseFile:
    """What a decider sees beside the form of their step."""

    household: HouseholdFacts | None
    steps: list[StepResult]
    returned: StepResult | None
    attachments: list[Any]
    other_cases: list[Any]
    benefits: list[dict[str, Any]]
    flags: list[dict[str, Any]]


@dataclass
class HouseholdFile:
    """The dossier (一户一档) of one household."""

    household: HouseholdFacts
    history: list[dict[str, Any]]
    cases: list[Any]
    benefits: list[dict[str, Any]]
    documents: list[Any]
    attachments: list[Any]
    timeline: list[dict[str, Any]] = field(default_factory=list)


def render_fields(schema: Mapping[str, Any] | None, data: Mapping[str, Any], reveal: bool = False) -> tuple[Field, ...]:
    """A step's data under its form's labels, in the form's order, in Chinese and in English; choices by their
    titles, ID numbers masked unless ``reveal``; data the form does not name is left out (it is the engine's,
    not the step's)."""
    properties = (schema or {}).get("properties") or {}
    out = []
    for name, prop in properties.items():
        if name not in data or not isinstance(prop, Mapping):
            continue
        out.append(_field(prop, name, data[name], reveal))
    return tuple(out)


def _field(prop: Mapping[str, Any], name: str, value: Any, reveal: bool) -> Field:
    label, label_en = str(prop.get("title", name)), str(prop.get("x-title-en", prop.get("title", name)))
    if prop.get("type") == "array" and isinstance(value, list) and isinstance(prop.get("items"), Mapping) \
            and (prop["items"].get("properties")):
        rows = tuple(render_fields(prop["items"], row, reveal) for row in value[:MAX_ROWS] if isinstance(row, Mapping))
        return Field(label, label_en, str(len(value)), str(len(value)), rows)
    return Field(label, label_en, _display(prop, value, reveal, _CHINESE), _display(prop, value, reveal, _ENGLISH))


@dataclass(frozen=True)
class _Language:
    """How a value is written in one language: yes and no, the marks between a list's items and a mapping's."""

    english: bool
    yes: str
    no: str
    enum: str
    pair: str
    semicolon: str


_CHINESE = _Language(False, "是", "否", "、", "：", "；")
_ENGLISH = _Language(True, "Yes", "No", ", ", ": ", "; ")


def _display(prop: Mapping[str, Any], value: Any, reveal: bool, language: _Language) -> str:
    if isinstance(value, bool):
        return language.yes if value else language.no
    titles = choice_titles(prop, language.english) if prop.get("enum") and value in prop["enum"] else None
    if titles:
        index = prop["enum"].index(value)
        return str(titles[index]) if index < len(titles) else str(value)
    if prop.get("x-id-number") and isinstance(value, str):
        return value if reveal else mask_id_number(value)
    if isinstance(value, list):
        return language.enum.join(_display(prop.get("items") or {}, v, reveal, language) for v in value[:MAX_ROWS])
    if isinstance(value, dict):
        return language.semicolon.join(f"{k}{language.pair}{v}" for k, v in list(value.items())[:MAX_ROWS])
    return "" if value is None else str(value)[:MAX_VALUE_CHARS]


def case_file(session: Session, principal: Principal, case_id: int, task_name: str | None = None,
              now: datetime | None = None, address: str | None = None, case_row: Any = None,
              events: list | None = None) -> CaseFile:
    """The file a task's decider reads. On a checking step (one declaring ``economic.source``: the 核对
    needs the members' full ID numbers) county staff of the case's county see them in full, and each
    showing is recorded (``now`` given: the caller's unit of work writes); everyone else sees them masked.
    ``case_row``: the case's row as ``case_view`` read it for the same principal in this transaction (so
    already checked to be in their place), not read again; ``events``: its events as ``case_view`` read them
    (every kind, in order, with ``actor_name``)."""
    case = case_row if case_row is not None and case_row.id == case_id else session.execute(
        select(CASE).where(CASE.c.id == case_id, case_scope(principal))).first()
    if case is None:
        raise NotFound(f"case {case_id}")
    checks = get_version(session, case.process_version_id).declarations.checks
    reveal = bool(task_name in checks and now is not None and case.county_id in allowed_counties(principal))
    # the household of a privacy case is hidden from the village (engine.people.scope): its file stays out
    found = session.execute(_household_in_scope(principal), {"household_id": case.household_id}).first() \
        if case.household_id is not None else None
    household_id = found.id if found is not None else None
    household = _household_facts(session, household_id, reveal, found) if found is not None else None
    if reveal and household is not None and now is not None:
        record_reveal(session, principal, now, case.county_id, "check_task",
                      f"案件 {case.number} 核对步骤：家庭成员身份号码", len(household.members), address)
    steps = _steps(session, case, reveal, events)
    returned = None
    if task_name and any(s.task_name == task_name for s in steps) and steps:
        returned = steps[-1]  # this step was done before: the last step sent the case back here
    return CaseFile(household, steps, returned, _attachments(session, place_scope(ATTACHMENT, principal), case_id=case_id),
                    _other_cases(session, case_scope(principal), household_id, case_id),
                    _benefits(session, household_id), flags_of(session, case_id))


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_HOUSEHOLD_FILE_ACTOR = aliased(User)


def household_file(session: Session, principal: Principal, household_id: int) -> HouseholdFile:
    """The dossier of a household in the actor's place."""
    found = session.execute(select(HOUSEHOLD.c.id).where(HOUSEHOLD.c.id == household_id,
                                                         household_scope(principal))).first()
    if found is None:
        raise NotFound(f"household {household_id}")
    facts = _household_facts(session, household_id, False)
    actor = _HOUSEHOLD_FILE_ACTOR
    history = [dict(r) for r in session.execute(
        select(H_EVENT, PERSON.c.name.label("person_name"), actor.display_name.label("actor_name"))
        .outerjoin(PERSON, PERSON.c.id == H_EVENT.c.person_id).outerjoin(actor, actor.id == H_EVENT.c.actor_id)
        .where(H_EVENT.c.household_id == household_id).order_by(H_EVENT.c.id).limit(MAX_ROWS)).mappings()]
    cases = _other_cases(session, case_scope(principal), household_id, None)
    benefits = _benefits(session, household_id, with_history=True)
    documents = session.execute(
        select(DOCUMENT.c.id, DOCUMENT.c.case_id, DOCUMENT.c.kind, DOCUMENT.c.number, DOCUMENT.c.title,
               DOCUMENT.c.issued_at, DOCUMENT.c.voided_at, DOCUMENT.c.voided_reason, CASE.c.number.label("case_number"))
        .join(CASE, CASE.c.id == DOCUMENT.c.case_id).where(CASE.c.household_id == household_id)
        .order_by(DOCUMENT.c.issued_at, DOCUMENT.c.id).limit(MAX_ROWS)).all()
    attachments = _attachments(session, place_scope(ATTACHMENT, principal), household_id=household_id)
    # Each line a kind of event and its values by name, written in the reader's language by the web layer
    # (webapp/household_texts.py); names, numbers and titles are data and stay as written.
    timeline = sorted(
        [{"at": h["at"], "kind": "household", "event": h["kind"], "params": {"name": h["person_name"] or ""}}
         for h in history]
        + [{"at": c.created_at, "kind": "case", "event": "lodged",
            "params": {"number": c.number, "assistance_type": c.assistance_type}} for c in cases]
        + [{"at": c.completed_at, "kind": "case", "event": "completed",
            "params": {"number": c.number, "outcome": c.outcome_label or ""}} for c in cases if c.completed_at]
        + [{"at": ch["at"], "kind": "benefit", "event": ch["effect"],
            "params": {"assistance_type": b["assistance_type"], "amount": ch["monthly_amount"] or 0}}
           for b in benefits for ch in b["history"]]
        + [{"at": d.issued_at, "kind": "document", "event": "voided" if d.voided_at else "issued",
            "params": {"title": d.title, "number": d.number}} for d in documents],
        key=lambda e: e["at"])
    return HouseholdFile(facts, history, cases, benefits, documents, attachments, timeline)


def _household_facts(session, household_id: int, reveal: bool, row: Any = None) -> HouseholdFacts:
    """``row``: the household's row, already read."""
    h = row if row is not None else session.execute(_HOUSEHOLD_ROW, {"household_id": household_id}).one()
    names = unit_names(session, (h.county_id, h.township_id, h.village_id))
    members = []
    for p in _members(session, household_id, h.head_id):
        members.append({"id": p.id, "name": p.name, "id_number": p.id_number if reveal else mask_id_number(p.id_number),
                        "sex_code": p.sex, "birth_date": p.birth_date,  # shown by the web layer, in the page's language
                        "relation": RELATIONS_ZH.get(p.relation or "", p.relation or ""), "relation_code": p.relation,
                        "disability_level": p.disability_level, "head": p.id == h.head_id})
    economic = []
    for r in session.execute(_ECONOMIC_ROWS, {"household_id": household_id}).mappings():
        incomes = [{**i, "id_number": i.get("id_number") if reveal else mask_id_number(i.get("id_number"))}
                   for i in (r["incomes"] or []) if isinstance(i, Mapping)]
        economic.append({**dict(r), "incomes": incomes})
    place = " ".join(names.get(u, "") for u in (h.county_id, h.township_id, h.village_id))
    return HouseholdFacts(h.id, h.number, h.address, h.phone, place, members, economic, reveal)


def _members(session, household_id: int, head_id: int | None) -> list[Any]:
    """The household's members, its head first."""
    return session.execute(_MEMBERS, {"household_id": household_id, "head_id": head_id}).all()


# The file's statements are built once (per scope where the place is in them), the ids bound at execution:
# building a statement costs more than running it.
_HOUSEHOLD_ROW = select(HOUSEHOLD).where(HOUSEHOLD.c.id == bindparam("household_id"))
_ECONOMIC_ROWS = (select(ECONOMIC).where(ECONOMIC.c.household_id == bindparam("household_id"))
                  .order_by(ECONOMIC.c.checked_on.desc(), ECONOMIC.c.id.desc()).limit(MAX_ROWS))
_MEMBERS = (select(PERSON, died_on_of(PERSON).label("died_on")).where(PERSON.c.household_id == bindparam("household_id"))
            .order_by((PERSON.c.id == bindparam("head_id")).desc(), PERSON.c.id))


@lru_cache(maxsize=1024)
def _household_in_scope(principal: Principal):
    return select(HOUSEHOLD).where(HOUSEHOLD.c.id == bindparam("household_id"), household_scope(principal))


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_STEPS_ACTOR = aliased(User)


_STEP_KINDS = ("case_started", "task_completed")


def _steps(session, case, reveal: bool, events: list | None = None) -> list[StepResult]:
    """The application and each completed step with its values; ``events``: the case's events already read."""
    version = get_version(session, case.process_version_id)
    if events is None:
        actor = _STEPS_ACTOR
        events = session.execute(select(EVENT.c.task_name, EVENT.c.title, EVENT.c.at, EVENT.c.data, EVENT.c.kind,
                                        actor.display_name.label("actor_name"))
                                 .outerjoin(actor, actor.id == EVENT.c.actor_id)
                                 .where(EVENT.c.case_id == case.id, EVENT.c.kind.in_(_STEP_KINDS))
                                 .order_by(EVENT.c.id)).all()
    out = []
    for e in events:
        if e.kind not in _STEP_KINDS:
            continue
        form_key = (version.tasks.get("@start", {}) if e.kind == "case_started"
                    else version.tasks.get(e.task_name or "", {})).get("form_key")
        schema = version.forms.get(form_key) if form_key else None
        title = "" if e.kind == "case_started" else e.title or ""  # the application itself, not the route's name
        out.append(StepResult(e.task_name or "@start", title, e.actor_name, e.at,
                              render_fields(schema, e.data or {}, reveal)))
    return out


def _attachments(session, scope, *, case_id: int | None = None, household_id: int | None = None) -> list[dict[str, Any]]:
    names = materials().by_key
    rows = session.execute(_attachments_statement(scope, case_id is not None),
                           {"case_id": case_id, "household_id": household_id}).mappings().all()
    return [{**r, "material_name": names[r["material"]].name_zh if r["material"] in names else r["material"],
             "material_name_en": names[r["material"]].name_en if r["material"] in names else r["material"]}
            for r in rows]


@lru_cache(maxsize=1024)
def _attachments_statement(scope, of_case: bool):
    """A case's (``of_case``) or a household's attachments within ``scope`` (a clause built once per place)."""
    which = ATTACHMENT.c.case_id == bindparam("case_id") if of_case else \
        ATTACHMENT.c.household_id == bindparam("household_id")
    return (select(ATTACHMENT.c.id, ATTACHMENT.c.sha256, ATTACHMENT.c.material, ATTACHMENT.c.filename,
                   ATTACHMENT.c.media_type, ATTACHMENT.c.size, ATTACHMENT.c.case_id, ATTACHMENT.c.task_name,
                   ATTACHMENT.c.uploaded_at)
            .where(which, scope).order_by(ATTACHMENT.c.id).limit(MAX_ROWS))


def _other_cases(session, scope, household_id: int | None, except_case: int | None) -> list[Any]:
    if household_id is None:
        return []
    rows = session.execute(_other_cases_statement(scope, except_case is not None),
                           {"household_id": household_id, "except_case": except_case}).all()
    return [_CaseRow(r, type_name_of(r.assistance_type)) for r in rows]


@lru_cache(maxsize=1024)
def _other_cases_statement(scope, besides_one: bool):
    query = select(CASE.c.id, CASE.c.number, CASE.c.assistance_type, CASE.c.status, CASE.c.current_step,
                   CASE.c.outcome, CASE.c.summary, CASE.c.created_at, CASE.c.completed_at,
                   CASE.c.applicant_name).where(CASE.c.household_id == bindparam("household_id"), scope)
    if besides_one:
        query = query.where(CASE.c.id != bindparam("except_case"))
    return query.order_by(CASE.c.created_at.desc(), CASE.c.id.desc()).limit(MAX_ROWS)


class _CaseRow:
    """A case row with its type's name and outcome label, for lists."""

    def __init__(self, row, type_name: str) -> None:
        self._row, self.type_name = row, type_name
        self.outcome_label = (row.summary or {}).get("outcome_label") if row.status == "completed" else None

    def __getattr__(self, name: str):
        return getattr(self._row, name)


def _benefits(session, household_id: int | None, with_history: bool = False) -> list[dict[str, Any]]:
    if household_id is None:
        return []
    rows = session.execute(_BENEFITS, {"household_id": household_id}).mappings().all()
    out = [{**dict(r), "type_name": type_name_of(r["assistance_type"]), "status_zh": STATUS_ZH.get(r["status"], r["status"]),
            "applicant_id_number": mask_id_number(r["applicant_id_number"]),
            "collector_id_number": mask_id_number(r["collector_id_number"]), "history": []} for r in rows]
    if with_history and out:
        by_id = {b["id"]: b for b in out}
        for ch in session.execute(select(CHANGE).where(CHANGE.c.recipient_id.in_(list(by_id)))
                                  .order_by(CHANGE.c.id)).mappings():
            by_id[ch["recipient_id"]]["history"].append(dict(ch))
    return out


_BENEFITS = (select(RECIPIENT, CASE.c.number.label("case_number")).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
             .where(RECIPIENT.c.household_id == bindparam("household_id"))
             .order_by(RECIPIENT.c.payment_from.desc(), RECIPIENT.c.id.desc()).limit(MAX_ROWS))


def application_defaults(session: Session, principal: Principal, household_id: int, schema: Mapping[str, Any] | None,
                         now: datetime, today: date, address: str | None = None) -> dict[str, str]:
    """A new application of any type for a known household starts from the registry: the head as the
    applicant, the address and phone, and — where the start form has a member list — every member with
    the income of the household's latest valid economic-status record, the members recorded as dead left out. Returned as the HTML form's
    fields (``members-0-name`` …); the household must be in the actor's place."""
    found = session.execute(select(HOUSEHOLD).where(HOUSEHOLD.c.id == household_id, household_scope(principal))).first()
    if found is None:
        raise NotFound(f"household {household_id}")
    properties = (schema or {}).get("properties") or {}
    # nobody recorded as dead is listed again (the lodging would refuse them): a dead head leaves the next member
    people = [p for p in _members(session, household_id, found.head_id) if p.died_on is None]
    record = session.execute(select(ECONOMIC.c.incomes).where(ECONOMIC.c.household_id == household_id,
                                                              ECONOMIC.c.valid_until >= today)
                             .order_by(ECONOMIC.c.checked_on.desc(), ECONOMIC.c.id.desc())).first()
    incomes = {i.get("id_number"): i.get("monthly") for i in (record.incomes if record else []) if isinstance(i, Mapping)}
    values: dict[str, str] = {"village_id": str(found.village_id)}
    head = people[0] if people else None
    for name, value in (("applicant_name", head.name if head else None),
                        ("applicant_id_number", head.id_number if head else None),
                        ("address", found.address), ("phone", found.phone)):
        if name in properties and value:
            values[name] = str(value)
    members = properties.get("members")
    if isinstance(members, Mapping) and members.get("type") == "array":
        fields = (members.get("items") or {}).get("properties") or {}
        for i, p in enumerate(people[: int(members.get("maxItems", len(people)))]):
            row = {"name": p.name, "id_number": p.id_number, "relation": "self" if i == 0 else p.relation,
                   "monthly_income": incomes.get(p.id_number), "disability_level": p.disability_level}
            values.update({f"members-{i}-{k}": str(v) for k, v in row.items() if k in fields and v is not None})
    shown = sum(1 for k in values if k.endswith("id_number"))
    if shown:  # the form carries full numbers (the application needs them): recorded like every reveal
        record_reveal(session, principal, now, found.county_id, "application_prefill",
                      f"户 {found.number} 新申请预填", shown, address)
    return values


def earlier_entries(session: Session, principal: Principal, case_id: int, task_name: str,
                    schema: Mapping[str, Any] | None) -> dict[str, str]:
    """What the step's last completion entered, as the HTML form's fields (``investigators-0-name`` …), for a
    step that is open again (sent back, withdrawn): corrected, not typed again. ID numbers are left out (the
    form would carry them in full)."""
    found = session.execute(select(CASE.c.id).where(CASE.c.id == case_id, case_scope(principal))).first()
    data = session.execute(select(EVENT.c.data).where(
        EVENT.c.case_id == case_id, EVENT.c.kind == "task_completed", EVENT.c.task_name == task_name)
        .order_by(EVENT.c.id.desc()).limit(1)).scalar() if found else None
    values: dict[str, str] = {}
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if not isinstance(data, Mapping) or name not in data or not isinstance(prop, Mapping) or prop.get("x-id-number"):
            continue
        value = data[name]
        if isinstance(value, list) and isinstance(prop.get("items"), Mapping):
            item = prop["items"].get("properties") or {}
            for i, row in enumerate(value[:MAX_ROWS]):
                if isinstance(row, Mapping):
                    values.update({f"{name}-{i}-{k}": _form_text(v) for k, v in row.items()
                                   if k in item and not item[k].get("x-id-number") and v is not None})
        elif value is not None and not isinstance(value, (list, dict)):
            values[name] = _form_text(value)
    return values


def _form_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
