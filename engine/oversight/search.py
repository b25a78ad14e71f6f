"""Finding households and cases (查询) and a person's own cases (我的案件), always within the searcher's
places: the scope is in each statement's WHERE (``Reach.clause``), nothing is filtered after loading.

A query is read as one of (``read_query``): a whole ID number, its last 4–6 characters, a case or
household number (whole or its beginning), or text — a name's beginning, and a fragment of an address
when the text has something of an address in it.
How each meets an index on PostgreSQL (SQLite runs the same statements):

- whole ID number: ``person.id_number`` is unique; a case whose applicant has it is looked for among the
  cases of the scope's counties.
- last 4–6 characters: ``person.id_tail`` holds the last six, indexed after the county
  (``ix_person_county_tail``). Six: ``id_tail = :tail``. Four or five: the characters before them are
  digits in every ID number (the birth day of an 18-digit number, month and day of a 15-digit one), so the
  tail is one of 100 (or 10) whole values, ``id_tail IN ('001234', '011234', … '991234')``: equality probes
  of the same index, where ``id_tail LIKE '%1234'`` would read every person of the county.
- a name's beginning: ``name LIKE :prefix || '%'`` on ``ix_person_county_name`` (varchar_pattern_ops, so
  a prefix is an index range whatever the database's collation).
- a case or household number: whole by its unique index; a beginning among the scope's cases or households.
- an address fragment: read through the scope's households (no index serves ``LIKE '%…%'``), so only for
  text with a digit or a word of an address (村, 组, 号, 路, 社区 …); other text is a name only.

Results are bounded (``limit``, at most MAX_LIMIT) and ordered deterministically; ID numbers leave this
module masked.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, false, func, literal, select, union, union_all
from sqlalchemy.orm import Session

from engine.catalogue.forms import mask_id_number
from engine.catalogue.rules import catalog
from engine.errors import FormInvalid
from engine.people.accounts import Principal
from engine.people.places import unit_names
from engine.people.scope import reach_of
from engine.store.models import Case, Household, Person

CASE, HOUSEHOLD, PERSON = Case.__table__, Household.__table__, Person.__table__
HEAD, MEMBER = PERSON.alias("head"), PERSON.alias("member")
MAX_QUERY_LENGTH = 50
MAX_LIMIT = 100
MAX_OFFSET = 10_000
MY_CASES_PAGE_SIZE = 50
KINDS = ("all", "households", "cases")
STATUSES = ("running", "completed")
TAIL_LENGTH = 6  # person.id_tail
NEWEST_FIRST = (CASE.c.created_at.desc(), CASE.c.id.desc())

FULL_ID = re.compile(r"\d{17}[\dX]|\d{15}", re.ASCII)
ID_TAIL = re.compile(r"\d{3,5}[\dX]", re.ASCII)
DIGITS = re.compile(r"\d+X?", re.ASCII)
NUMBER = re.compile(r"\d{6}-[0-9A-Z-]*", re.ASCII)  # the beginning of 320921-2026-000042 or 320921-H0000042
# Text with a digit or a word of an address (村, 组, 号, 路, 社区 …) is also looked for in addresses; a name has
# none of them, and looking through every address of a county costs a read of all its households.
ADDRESS_HINT = re.compile(r"[0-9村组号路街巷道镇乡县区市楼栋幢单元室弄屯庄队寨湾#]")
CASE_NUMBER = re.compile(r"\d{6}-\d{4}-\d{6}", re.ASCII)
HOUSEHOLD_NUMBER = re.compile(r"\d{6}-H\d{7}", re.ASCII)
HOUSEHOLD_NUMBER_START = re.compile(r"\d{6}-H", re.ASCII)  # else a number is a case number


class SearchRefused(FormInvalid):
    """A query or filter that cannot be searched (HTTP 422): ``message`` in English, ``message_zh`` in
    Chinese, ``errors`` names the parameter."""

    def __init__(self, parameter: str, message: str, message_zh: str) -> None:
        super().__init__({parameter: message_zh}, {parameter: message})
        self.message, self.message_zh, self.message_en = message, message_zh, message


@dataclass(frozen=True)
class Query:
    """A query as read: its normalised text and what it is: id_number | id_tail | number | name (the beginning
    of a member's name) | address (a name's beginning, or a fragment of the household's address)."""

    text: str
    how: str


@dataclass(frozen=True)
class HouseholdHit:
    """A household found: its head (masked ID), size, place, open applications and who matched."""

    id: int
    number: str
    head_name: str
    head_id_number: str  # masked
    members: int
    village: str
    township: str
    address: str
    open_cases: int
    matched_name: str | None  # the member whose name or ID number matched, when the query was about a person


@dataclass(frozen=True)
class CaseHit:
    """A case found or listed."""

    id: int
    number: str
    assistance_type: str | None
    type_name_zh: str
    type_name_en: str
    applicant_name: str
    applicant_id_number: str  # masked
    status: str
    step: str
    village: str
    township: str
    household_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class SearchResults:
    """One page of each group; ``more_*``: the group goes on past this page."""

    query: Query
    households: list[HouseholdHit]
    cases: list[CaseHit]
    more_households: bool
    more_cases: bool


@dataclass(frozen=True)
class TypeCount:
    """How many cases of an assistance type a list has."""

    type: str
    name_zh: str
    name_en: str
    count: int


@dataclass(frozen=True)
class MyCases:
    """A page of "my cases" with the counts of the whole list by status and by type (each count under the
    other filter)."""

    rows: list[CaseHit]
    total: int
    page: int
    page_size: int
    by_status: dict[str, int]
    by_type: list[TypeCount]


def read_query(raw: str | None) -> Query:
    """What a query is, or SearchRefused (empty, too long, control characters, digits of no known length).
    Full-width characters are read as their plain forms (NFKC), runs of spaces as one."""
    normalised = unicodedata.normalize("NFKC", raw or "")
    if any(unicodedata.category(ch).startswith("C") for ch in normalised if ch not in "\t\n\r"):
        raise SearchRefused("q", "the query contains control characters", "查询内容含有不允许的控制字符")
    text = " ".join(normalised.split())
    if not text:
        raise SearchRefused("q", "enter a name, an ID number (or its last 4–6 characters), a case number or an address",
                            "请输入姓名、身份证号（或末 4–6 位）、案件编号或地址")
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchRefused("q", f"the query is longer than {MAX_QUERY_LENGTH} characters",
                            f"查询内容不能超过 {MAX_QUERY_LENGTH} 个字")
    upper = text.upper()
    for pattern, how in ((FULL_ID, "id_number"), (ID_TAIL, "id_tail"), (NUMBER, "number")):
        if pattern.fullmatch(upper):
            return Query(upper, how)
    if DIGITS.fullmatch(upper):
        raise SearchRefused("q", "an ID number is searched whole (18 characters) or by its last 4–6 characters",
                            "身份证号请输入完整的 18 位，或末 4–6 位")
    return Query(text, "address" if ADDRESS_HINT.search(text) else "name")


def tail_values(tail: str) -> list[str]:
    """The whole ``id_tail`` values (last six characters) that end in ``tail`` (4–6 characters)."""
    width = TAIL_LENGTH - len(tail)
    return [f"{n:0{width}d}{tail}" for n in range(10 ** width)] if width else [tail]


def search(session: Session, actor: Principal, query: str, *, kind: str = "all", limit: int = 20,
           offset: int = 0) -> SearchResults:
    """Households and cases in the actor's places matching ``query`` (see the module's docstring):
    households by a member's name or ID number, a household number or the address; cases of those
    households, by the applicant's whole ID number, or by case number."""
    if kind not in KINDS:
        raise SearchRefused("kind", f"kind must be one of {', '.join(KINDS)}", "查询类别应为全部、家庭或案件")
    if not (1 <= limit <= MAX_LIMIT and 0 <= offset <= MAX_OFFSET):
        raise SearchRefused("page", "page out of range", "页码超出范围")
    parsed = read_query(query)
    reach = reach_of(session, actor)
    matched = _matched_households(parsed, reach).subquery("matched")
    households = _household_hits(session, reach, matched, limit, offset) if kind != "cases" else []
    cases = []
    if kind != "households":
        cases = _case_hits(session, select(*_CASE_COLUMNS)
                           .where(CASE.c.id.in_(_matched_cases(parsed, reach, matched)), reach.clause(CASE))
                           .order_by(*NEWEST_FIRST).limit(limit + 1).offset(offset))
    return SearchResults(parsed, households[:limit], cases[:limit], len(households) > limit, len(cases) > limit)


def _number_match(column, whole: re.Pattern, text: str):
    return column == text if whole.fullmatch(text) else column.startswith(text, autoescape=True)


def _matched_households(query: Query, reach):
    """(household_id, key) of every household the query finds; ``key`` orders them: households whose
    applicant (本人) matched by name or ID, then those where another member did (each by the name), then
    households matched by address or number (by the household number)."""
    parts = []
    person, household = _person_match(query), _household_match(query)
    if person is not None:
        applicant_first = case((PERSON.c.relation == "self", literal("00")), else_=literal("01"))
        parts.append(select(PERSON.c.household_id, applicant_first.concat(PERSON.c.name).label("key"))
                     .where(reach.clause(PERSON), person, PERSON.c.household_id.is_not(None)))
    if household is not None:
        parts.append(select(HOUSEHOLD.c.id.label("household_id"), literal("1").concat(HOUSEHOLD.c.number).label("key"))
                     .where(reach.clause(HOUSEHOLD), household))
    if not parts:  # a case number: no household is looked for
        parts.append(select(HOUSEHOLD.c.id.label("household_id"), HOUSEHOLD.c.number.label("key")).where(false()))
    hits = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("hits")
    return select(hits.c.household_id, func.min(hits.c.key).label("key")).group_by(hits.c.household_id)


def _person_match(query: Query):
    if query.how == "id_number":
        return PERSON.c.id_number == query.text
    if query.how == "id_tail":
        return PERSON.c.id_tail.in_(tail_values(query.text))
    if query.how in ("name", "address"):
        return PERSON.c.name.startswith(query.text, autoescape=True)
    return None


def _household_match(query: Query):
    if query.how == "address":
        return HOUSEHOLD.c.address.contains(query.text, autoescape=True)
    if query.how == "number" and HOUSEHOLD_NUMBER_START.match(query.text):
        return _number_match(HOUSEHOLD.c.number, HOUSEHOLD_NUMBER, query.text)
    return None


def _household_hits(session: Session, reach, matched, limit: int, offset: int) -> list[HouseholdHit]:
    # The page is cut from the matches first: heads and counts are read for its rows only.
    page = (select(matched.c.household_id, matched.c.key).order_by(matched.c.key, matched.c.household_id)
            .limit(limit + 1).offset(offset).subquery("page"))
    members = select(func.count()).where(MEMBER.c.household_id == HOUSEHOLD.c.id).scalar_subquery()
    open_cases = select(func.count()).where(CASE.c.household_id == HOUSEHOLD.c.id, CASE.c.status == "running",
                                            reach.clause(CASE)).scalar_subquery()
    rows = session.execute(
        select(HOUSEHOLD.c.id, HOUSEHOLD.c.number, HOUSEHOLD.c.address, HOUSEHOLD.c.village_id,
               HOUSEHOLD.c.township_id, HEAD.c.name.label("head_name"), HEAD.c.id_number.label("head_id_number"),
               members.label("members"), open_cases.label("open_cases"), page.c.key)
        .join(page, page.c.household_id == HOUSEHOLD.c.id)
        .outerjoin(HEAD, HEAD.c.id == HOUSEHOLD.c.head_id)
        .where(reach.clause(HOUSEHOLD))
        .order_by(page.c.key, HOUSEHOLD.c.id)).all()
    names = unit_names(session, {u for r in rows for u in (r.village_id, r.township_id)})
    return [HouseholdHit(r.id, r.number, r.head_name or "", mask_id_number(r.head_id_number), r.members,
                         names.get(r.village_id, ""), names.get(r.township_id, ""), r.address or "", r.open_cases,
                         r.key[2:] if r.key.startswith("0") else None) for r in rows]


def _matched_cases(query: Query, reach, matched):
    """Ids of the cases the query finds: those of the households found, and by applicant ID or number."""
    parts = [select(CASE.c.id).where(CASE.c.household_id.in_(select(matched.c.household_id)))]
    if query.how == "id_number":
        parts.append(select(CASE.c.id).where(reach.clause(CASE), CASE.c.applicant_id_number == query.text))
    if query.how == "number" and not HOUSEHOLD_NUMBER_START.match(query.text):
        parts.append(select(CASE.c.id).where(reach.clause(CASE), _number_match(CASE.c.number, CASE_NUMBER, query.text)))
    return union(*parts) if len(parts) > 1 else parts[0]


_CASE_COLUMNS = (CASE.c.id, CASE.c.number, CASE.c.assistance_type, CASE.c.applicant_name, CASE.c.applicant_id_number,
                 CASE.c.status, CASE.c.current_step, CASE.c.summary, CASE.c.village_id, CASE.c.township_id,
                 CASE.c.household_id, CASE.c.created_at)


def _case_hits(session: Session, statement) -> list[CaseHit]:
    rows = session.execute(statement).all()
    names = unit_names(session, {u for r in rows for u in (r.village_id, r.township_id)})
    types = catalog()
    return [CaseHit(r.id, r.number, r.assistance_type, *_type_names(types, r.assistance_type), r.applicant_name,
                    mask_id_number(r.applicant_id_number), r.status,
                    r.current_step or (r.summary or {}).get("outcome_label", "") or "",
                    names.get(r.village_id, ""), names.get(r.township_id, ""), r.household_id, r.created_at)
            for r in rows]


def _type_names(types: dict, assistance_type: str | None) -> tuple[str, str]:
    entry = types.get(assistance_type or "", {})
    return entry.get("name_zh", assistance_type or ""), entry.get("name_en", assistance_type or "")


def my_cases(session: Session, actor: Principal, *, mine: bool = True, status: str | None = None,
             assistance_type: str | None = None, page: int = 1, page_size: int = MY_CASES_PAGE_SIZE) -> MyCases:
    """Cases the actor lodged (``mine``) or every case of their places, newest first, filtered by status
    (running | completed) and assistance type, with counts by status and by type."""
    if status not in (None, *STATUSES):
        raise SearchRefused("status", "status must be running or completed", "办理状态应为办理中或已办结")
    if assistance_type is not None and assistance_type not in catalog():
        raise SearchRefused("type", "no such assistance type", "没有这个救助类别")
    if not 1 <= page <= MAX_OFFSET // page_size + 1:
        raise SearchRefused("page", "page out of range", "页码超出范围")
    base = [reach_of(session, actor).clause(CASE)]
    if mine:
        base.append(CASE.c.started_by_id == actor.user_id)
    groups = session.execute(select(CASE.c.status, CASE.c.assistance_type, func.count())
                             .where(*base).group_by(CASE.c.status, CASE.c.assistance_type)).all()
    by_status, by_type, total = Counter(), Counter(), 0
    for group_status, group_type, count in groups:
        if assistance_type in (None, group_type):
            by_status[group_status] += count
        if status in (None, group_status) and group_type:
            by_type[group_type] += count
        total += count if assistance_type in (None, group_type) and status in (None, group_status) else 0
    listed = base + ([CASE.c.status == status] if status else []) + (
        [CASE.c.assistance_type == assistance_type] if assistance_type else [])
    rows = _case_hits(session, select(*_CASE_COLUMNS).where(*listed).order_by(*NEWEST_FIRST)
                      .limit(page_size).offset((page - 1) * page_size))
    types = catalog()
    return MyCases(rows, total, page, page_size, dict(by_status),
                   [TypeCount(key, *_type_names(types, key), count) for key, count in sorted(by_type.items())])
