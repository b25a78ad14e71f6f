"""Duplicates and overlaps a county's rules limit (processes/overlaps.toml): flagged to the approver.

A second open application or a second active benefit of the *same* type is refused outright by the
registry (``registry.check_duplicates``). Combinations the rules exclude or limit — 低保 with 特困,
特困 全护理 with the 重度残疾人护理补贴 where the county says so, a repeated 临时救助 within a period —
are not refused: each raises a ``case_flag`` naming the other benefit and the rule with its source, at
lodging, at every step, on the other open cases of the household when it applies or is granted something,
and again when the case is decided. The deciding official records a decision on every flag
(proceed or refuse, with a reason); a case with an undecided flag cannot register its benefit.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from engine.catalogue.datafiles import DataFile
from engine.catalogue.rules import PROCESSES_DIR, catalog
from engine.errors import DataFileInvalid, FormInvalid, Message
from engine.store.models import Case, CaseFlag, Recipient, Unit, User
from engine.workdays import add_months

CASE, FLAG, RECIPIENT = Case.__table__, CaseFlag.__table__, Recipient.__table__
DECISIONS = ("proceed", "refuse")
_DATE = {"type": "string", "format": "date"}
OVERLAPS_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["rule"],
    "properties": {"rule": {"type": "array", "items": {
        "type": "object", "additionalProperties": False,
        "required": ["key", "types", "effect", "counties", "effective_from", "source", "message_zh", "message_en"],
        "properties": {
            "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,59}$"},
            "types": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string"}},
            "effect": {"enum": ["exclude", "limit"]},
            "counties": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": r"^(\*|[0-9]{6})$"}},
            "when_care_level": {"type": "array", "items": {"type": "string"}},
            "within_months": {"type": "integer", "minimum": 1, "maximum": 120},
            "effective_from": _DATE, "effective_to": _DATE,
            "source": {"type": "string", "minLength": 4, "maxLength": 300},
            "message_zh": {"type": "string", "minLength": 2, "maxLength": 300},
            "message_en": {"type": "string", "minLength": 2, "maxLength": 300}}}}},
}


@cache
def rules(directory: Path = PROCESSES_DIR) -> tuple[dict[str, Any], ...]:
    """The overlap rules, checked on load (every type must be one of the catalogue's)."""
    source = DataFile(directory / "overlaps.toml", "processes/overlaps.toml")
    problems = source.schema_problems(OVERLAPS_SCHEMA)
    if problems:
        raise DataFileInvalid(problems)
    known = set(catalog())
    for i, rule in enumerate(source.data["rule"]):
        for kind in rule["types"]:
            if kind not in known:
                raise DataFileInvalid([source.problem(("rule", i, "types"), f"unknown assistance type '{kind}'",
                                                      f"未知的救助类别「{kind}」")])
    return tuple(source.data["rule"])


def _in_force(rule: dict[str, Any], county_code: str, on: date) -> bool:
    return ("*" in rule["counties"] or county_code in rule["counties"]) and rule["effective_from"] <= on \
        and (rule.get("effective_to") is None or on <= rule["effective_to"])


def rules_for(assistance_type: str | None) -> tuple[dict[str, Any], ...]:
    """The rules whose first type is this one (none: nothing to look up for a case of it)."""
    return tuple(r for r in rules() if r["types"][0] == assistance_type)


class CaseFacts(NamedTuple):
    """What the overlap check needs to know of a case: its type, household and county code."""
    assistance_type: str | None
    household_id: int | None
    code: str


def raise_flags(session: Session, case_id: int, today: date, now: datetime, known: CaseFacts | None = None) -> int:
    """Flag every benefit or open application of the case's household a rule in force names beside the
    case's type (once per rule and other benefit); returns how many new flags were raised. ``known``: the
    case's facts when the caller has read them already. A type no rule names costs one statement (none with
    ``known``); otherwise one more for what the household has, and one for its flags when something is found."""
    case = known or session.execute(_case_facts_statement(), {"case_id": case_id}).first()
    if case is None or case.household_id is None:
        return 0
    in_force = [r for r in rules_for(case.assistance_type) if _in_force(r, case.code, today)]
    if not in_force:
        return 0
    others = {r["types"][1] for r in in_force}
    rows = session.execute(_holdings_statement(tuple(sorted(others)), any(_about_open(r) for r in in_force)),
                           {"household_id": case.household_id, "case_id": case_id}).all()
    benefits = [r for r in rows if r.id is not None]
    open_cases = [r for r in rows if r.id is None]
    hits = [(rule, hit) for rule in in_force for hit in _hits(rule, benefits, open_cases, today)]
    if not hits:
        return 0
    flagged = {(f.rule, f.other_recipient_id, f.other_case_id) for f in session.execute(
        _flagged_statement(), {"case_id": case_id})}
    raised = 0
    for rule, hit in hits:
        if (rule["key"], hit["recipient_id"], hit["case_id"]) in flagged:
            continue
        session.execute(insert(FLAG).values(
            case_id=case_id, kind="repeat" if rule["types"][0] == rule["types"][1] else f"{rule['effect']}_combination",
            rule=rule["key"], message=f"{rule['message_zh']}（{hit['what']}）"[:500],
            other_case_id=hit["case_id"], other_recipient_id=hit["recipient_id"], raised_at=now))
        raised += 1
    return raised


# The check's statements are built once, the ids bound at execution: building one costs more than running it.
@cache
def _case_facts_statement():
    return (select(CASE.c.assistance_type, CASE.c.household_id, Unit.code).join(Unit, Unit.id == CASE.c.county_id)
            .where(CASE.c.id == bindparam("case_id")))


@cache
def _holdings_statement(others: tuple[str, ...], with_open: bool):
    """What the household has of the ``others`` types, in one statement: its benefits (and, ``with_open``, its
    open applications), besides the case's own."""
    household_id, case_id = bindparam("household_id"), bindparam("case_id")
    benefits_q = (select(RECIPIENT.c.id, RECIPIENT.c.case_id, RECIPIENT.c.assistance_type, RECIPIENT.c.status,
                         RECIPIENT.c.payment_from, RECIPIENT.c.monthly_amount, RECIPIENT.c.care_level, CASE.c.number)
                  .join(CASE, CASE.c.id == RECIPIENT.c.case_id)
                  .where(RECIPIENT.c.household_id == household_id, RECIPIENT.c.assistance_type.in_(others),
                         RECIPIENT.c.case_id != case_id))
    if not with_open:
        return benefits_q
    open_q = (select(null(), CASE.c.id, CASE.c.assistance_type, literal("running"), null(), null(), null(),
                     CASE.c.number)
              .where(CASE.c.household_id == household_id, CASE.c.assistance_type.in_(others),
                     CASE.c.status == "running", CASE.c.id != case_id))
    return union_all(benefits_q, open_q)


@cache
def _flagged_statement():
    return select(FLAG.c.rule, FLAG.c.other_recipient_id, FLAG.c.other_case_id).where(
        FLAG.c.case_id == bindparam("case_id"))


@cache
def _other_running_statement():
    return select(CASE.c.id).where(CASE.c.household_id == bindparam("household_id"), CASE.c.status == "running",
                                   CASE.c.id != bindparam("case_id"))


def flag_household_cases(session: Session, household_id: int | None, except_case_id: int, today: date,
                         now: datetime) -> int:
    """A household's benefits or open applications changed (a new application, a benefit granted): check its
    other open cases again, so the flags are on them before their deciding step; returns how many were raised."""
    if household_id is None:
        return 0
    others = session.execute(_other_running_statement(),
                             {"household_id": household_id, "case_id": except_case_id}).scalars().all()
    return sum(raise_flags(session, other, today, now) for other in others)


def flag_household_cases_batch(session: Session, new_cases: dict[int, int], today: date, now: datetime) -> int:
    """``flag_household_cases`` for cases just started together (case id → household id, in the order they
    were started): the households' running cases in one statement, each checked with its facts known; a case
    sees the batch's cases started before it, as one by one."""
    if not new_cases:
        return 0
    rows = session.execute(select(CASE.c.id, CASE.c.assistance_type, CASE.c.household_id, Unit.code)
                           .join(Unit, Unit.id == CASE.c.county_id)
                           .where(CASE.c.household_id.in_(set(new_cases.values())), CASE.c.status == "running")
                           .order_by(CASE.c.id)).all()
    by_household = defaultdict(list)  # in id order, each household's own: a batch's households are many
    for r in rows:
        by_household[r.household_id].append(r)
    raised = 0
    for case_id, household_id in new_cases.items():
        for r in by_household[household_id]:
            if r.id != case_id and (r.id not in new_cases or r.id < case_id):
                raised += raise_flags(session, r.id, today, now, CaseFacts(r.assistance_type, r.household_id, r.code))
    return raised


def _about_open(rule: dict[str, Any]) -> bool:
    """A rule about holding two benefits at once also covers an open application of the other type."""
    return not rule.get("within_months") and not rule.get("when_care_level")


def _hits(rule, benefits, open_cases, today: date) -> list[dict[str, Any]]:
    """The household's benefits (and open applications) of the rule's other type that it is about."""
    other = rule["types"][1]
    since = add_months(today, -rule["within_months"]) if rule.get("within_months") else None
    hits = [{"recipient_id": b.id, "case_id": b.case_id,
             "what": f"案件 {b.number}，{b.monthly_amount:.2f} 元，自 {b.payment_from:%Y-%m-%d}"}
            for b in benefits if b.assistance_type == other
            and (b.payment_from >= since if since else b.status == "active")
            and (not rule.get("when_care_level") or b.care_level in rule["when_care_level"])]
    if _about_open(rule):
        hits += [{"recipient_id": None, "case_id": c.case_id, "what": f"办理中的申请 {c.number}"}
                 for c in open_cases if c.assistance_type == other]
    return hits


def require_decided(session: Session, case_id: int, today: date, now: datetime) -> None:
    """Before a benefit is registered: raise the flags the household's benefits call for today, and refuse
    while any flag is undecided (the approver records the decision on the case's task page) or refused."""
    raise_flags(session, case_id, today, now)
    standing = session.execute(_standing_flags_statement(), {"case_id": case_id}).all()
    pending = [r for r in standing if r.decision is None]
    if pending:
        raise FormInvalid.of({"_flags": Message("请先对案件提示作出处理决定：" + "；".join(r.message for r in pending),
                                                "Decide first on the case's flags: " + "; ".join(map(_flag_en, pending)))})
    refused = next((r for r in standing if r.decision == "refuse"), None)
    if refused:
        raise FormInvalid.of({"_flags": Message(f"案件提示已决定不予纳入（{refused.message}），不能登记救助",
                                                f"A flag was decided as not to be granted ({_flag_en(refused)}): "
                                                "no benefit can be registered")})


def _flag_en(flag) -> str:
    """A stored flag's message in English: its rule's English message and the other case (the row keeps Chinese)."""
    rule = next((r for r in rules() if r["key"] == flag.rule), None)
    message = rule["message_en"] if rule else flag.message
    return f"{message} (case {flag.other_number})" if flag.other_number else message


@cache
def _standing_flags_statement():
    return select(FLAG.c.message, FLAG.c.decision, FLAG.c.rule, _OTHER_CASE.c.number.label("other_number")).outerjoin(
        _OTHER_CASE, _OTHER_CASE.c.id == FLAG.c.other_case_id).where(
        FLAG.c.case_id == bindparam("case_id"), or_(FLAG.c.decision.is_(None), FLAG.c.decision == "refuse")
    ).order_by(FLAG.c.id)


_OTHER_CASE = CASE.alias("other")  # made once: an alias proxies every column


def flags_of(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The case's flags, for its pages: message, other case, decision and who took it."""
    return [dict(r) for r in session.execute(_flags_of_statement(), {"case_id": case_id}).mappings().all()]


@cache
def _flags_of_statement():
    other = _OTHER_CASE
    return (select(FLAG, other.c.number.label("other_number"), User.display_name.label("decided_by"))
            .outerjoin(other, other.c.id == FLAG.c.other_case_id).outerjoin(User, User.id == FLAG.c.decided_by_id)
            .where(FLAG.c.case_id == bindparam("case_id")).order_by(FLAG.c.id))
