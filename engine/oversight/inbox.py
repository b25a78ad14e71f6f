"""The inbox: the open tasks of a person's (role, unit) pairs, filtered by holder, assistance type, step, due
date and village, each option with its count.

The counts come from one grouped statement over the person's place (open tasks × their (role, unit) pairs,
``task_scope``), grouped by every filtered dimension at once; each option's count is then the sum of the groups
that match the other filters (the facet's own choice left out), so no option costs a statement of its own.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

from sqlalchemy import case, exists, func, select, true
from sqlalchemy.orm import Session, aliased

from engine.catalogue.rules import assistance_types
from engine.errors import FormInvalid, Message
from engine.people.accounts import Principal
from engine.people.places import places_of_villages, unit_names
from engine.people.scope import task_scope
from engine.store.models import Case, HumanTask, StandingProxy, Unit, User
from engine.workdays import CalendarYearMissing, WorkingCalendar

TASK, CASE, PROXY = HumanTask.__table__, Case.__table__, StandingProxy.__table__
PAGE_SIZE = 50
# Totals stop counting here: "1000+" says enough, and counting further costs a scan per page view.
COUNT_CAP = 1000
# claimed by me (or by someone whose 代理 I am today, in that role and unit), the unit's shared queue (unclaimed),
# claimed by a colleague
HELD = ("mine", "queue", "others")
DUE = ("overdue", "soon", "later", "none")  # past due, due within N working days, due later, no due date
WITHIN_DEFAULT, WITHIN_MAX = 3, 60
STEP_MAX = 100
# Most urgent first: the earliest due date, undated tasks after dated ones, then the oldest.
URGENCY_ORDER = (TASK.c.due_on.asc().nulls_last(), TASK.c.created_at, TASK.c.id)


@dataclass(frozen=True)
class InboxFilters:
    """The inbox's filters; ``due`` is one of DUE (``soon``: within ``within`` working days from today),
    ``due_from``/``due_to`` a range of due dates (inclusive)."""

    held: str | None = None
    assistance_type: str | None = None
    step: str | None = None  # the BPMN task id (task_name)
    village_id: int | None = None
    due: str | None = None
    within: int = WITHIN_DEFAULT
    due_from: date | None = None
    due_to: date | None = None
    by_urgency: bool = True

    def to_query(self) -> dict[str, str]:
        """The inbox's query parameters for these filters (what a saved filter stores and a link carries)."""
        query = {"held": self.held or "", "type": self.assistance_type or "", "step": self.step or "",
                 "village": str(self.village_id or ""), "due": self.due or "",
                 "within": str(self.within) if self.within != WITHIN_DEFAULT else "",
                 "due_from": self.due_from.isoformat() if self.due_from else "",
                 "due_to": self.due_to.isoformat() if self.due_to else ""}
        return {k: v for k, v in query.items() if v}


def date_range(query: Mapping[str, str], first: str, last: str, errors: dict[str, Message]) -> tuple[date | None, date | None]:
    """Two dates of a list's query (ISO, either may be empty): a wrong one, or a range ending before it
    begins, adds the field's Chinese message to ``errors``."""
    start = _optional_date((query.get(first) or "").strip(), first, errors)
    end = _optional_date((query.get(last) or "").strip(), last, errors)
    if start and end and start > end:
        errors[last] = Message("截止日期不能早于起始日期", "The end date cannot be before the start date")
    return start, end


def _optional_date(raw: str, field: str, errors: dict[str, Message]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = Message("日期格式应为 2026-09-15", "A date is written like 2026-09-15")
        return None


def filters_refused(errors: dict[str, Message]) -> FormInvalid:
    """A list's wrong filters as FormInvalid whose message names each (a list has no form to mark them on)."""
    return FormInvalid.of(errors, Message("筛选条件有误：" + "；".join(m.zh for m in errors.values()),
                                          "Wrong filters: " + "; ".join(m.en for m in errors.values())))


def parse_inbox_filters(query: Mapping[str, str]) -> InboxFilters:
    """The inbox's filters from its query parameters; FormInvalid (field → Chinese message) when one is wrong."""
    errors: dict[str, Message] = {}
    text = {key: (query.get(key) or "").strip() for key in
            ("held", "type", "step", "village", "due", "within", "due_from", "due_to")}
    if text["held"] and text["held"] not in HELD:
        errors["held"] = Message("办理人应为“我认领的”“本单位待认领”或“同事认领的”",
                                 "Held by must be “claimed by me”, “unclaimed in my unit” or “claimed by a colleague”")
    if text["type"] and text["type"] not in {t["type"] for t in assistance_types()}:
        errors["type"] = Message("救助类型应为列表中的一项", "The assistance type must be one of the list")
    if len(text["step"]) > STEP_MAX:
        errors["step"] = Message(f"办理环节最多 {STEP_MAX} 个字", f"The step may have at most {STEP_MAX} characters")
    village = None
    if text["village"]:
        if text["village"].isascii() and text["village"].isdigit() and len(text["village"]) <= 18:
            village = int(text["village"])
        else:
            errors["village"] = Message("村（社区）应为列表中的一项", "The village (community) must be one of the list")
    if text["due"] and text["due"] not in DUE:
        errors["due"] = Message("办理期限应为“已超期”“即将到期”“以后到期”或“无期限”",
                                "The due date must be “overdue”, “due soon”, “due later” or “no time limit”")
    within = WITHIN_DEFAULT
    if text["within"]:
        if text["within"].isascii() and text["within"].isdigit() and 1 <= int(text["within"]) <= WITHIN_MAX:
            within = int(text["within"])
        else:
            errors["within"] = Message(f"工作日数应为 1 至 {WITHIN_MAX} 之间的整数",
                                       f"The working days must be a whole number from 1 to {WITHIN_MAX}")
    due_from, due_to = date_range(query, "due_from", "due_to", errors)
    if errors:
        raise filters_refused(errors)
    return InboxFilters(held=text["held"] or None, assistance_type=text["type"] or None, step=text["step"] or None,
                        village_id=village, due=text["due"] or None, within=within, due_from=due_from,
                        due_to=due_to, by_urgency=query.get("sort", "urgency") != "oldest")


def soon_until(today: date, within: int) -> date:
    """The last day of "due within N working days" (calendar days where no calendar covers the span)."""
    try:
        return WorkingCalendar.load().add_workdays(today, within)
    except CalendarYearMissing:
        return today + timedelta(days=within)


def _stands_in(user_id: int, today: date):
    """SQL: the task's holder named the principal their 代理 for today in the task's (role, unit) (the
    delegation module's rule; only reached for a task a colleague holds)."""
    return exists().where(PROXY.c.user_id == TASK.c.claimed_by_id, PROXY.c.proxy_id == user_id,
                          PROXY.c.role == TASK.c.role, PROXY.c.unit_id == TASK.c.unit_id,
                          PROXY.c.cancelled_at.is_(None), PROXY.c.starts_on <= today, PROXY.c.ends_on >= today)


def _buckets(principal: Principal, today: date, soon: date) -> Mapping:
    """Each filtered dimension as an SQL expression (the holder and the due date as their option); ``soon`` is
    the last day of "due soon" (``soon_until``)."""
    return _bucket_expressions(principal.user_id, today, soon)


@lru_cache(maxsize=1024)
def _bucket_expressions(user_id: int, today: date, soon: date) -> Mapping:
    # Kept per (person, day, last "soon" day): an inbox page uses them four times, and building them costs
    # more than the statements' round trips. Every value they depend on is in the key (the calendar's
    # answer too), and the expressions are immutable, so a kept one is the one that would be built.
    return MappingProxyType({
        "held": case((TASK.c.claimed_by_id.is_(None), "queue"), (TASK.c.claimed_by_id == user_id, "mine"),
                     (_stands_in(user_id, today), "mine"), else_="others"),
        "type": CASE.c.assistance_type, "step": TASK.c.task_name, "village": CASE.c.village_id,
        "due": case((TASK.c.due_on.is_(None), "none"), (TASK.c.due_on < today, "overdue"),
                    (TASK.c.due_on <= soon, "soon"), else_="later"),
    })


def _chosen(filters: InboxFilters) -> dict:
    return {"held": filters.held, "type": filters.assistance_type, "step": filters.step,
            "village": filters.village_id, "due": filters.due}


def _where(principal: Principal, today: date, soon: date, filters: InboxFilters) -> list:
    """The clauses of the filtered inbox: the person's place first, then every chosen option."""
    buckets = _buckets(principal, today, soon)
    clauses = [TASK.c.status == "open", task_scope(principal), *_range(filters)]
    clauses += [buckets[key] == value for key, value in _chosen(filters).items() if value is not None]
    return clauses


def _range(filters: InboxFilters) -> list:
    clauses = []
    if filters.due_from:
        clauses.append(TASK.c.due_on >= filters.due_from)
    if filters.due_to:
        clauses.append(TASK.c.due_on <= filters.due_to)
    return clauses


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_SELECT_INBOX_STATEMENT_HOLDER = aliased(User)
_SELECT_INBOX_STATEMENT_VILLAGE = aliased(Unit)


def select_inbox_statement(principal: Principal, today: date, filters: InboxFilters = InboxFilters(), page: int = 1,
                           page_size: int = PAGE_SIZE):
    """The inbox query: open tasks in the principal's (role, unit) pairs with the filters, most urgent (or
    oldest) first. ``held`` is the row's holder option: "mine" on a task a colleague holds says the principal
    is their 代理 today (the page marks it as held for them)."""
    return _inbox_statement(principal, today, soon_until(today, filters.within), filters, page, page_size)


# The inbox's statements are built once per (principal, day, last "soon" day, filters, page): building one costs
# more than the database's work on it; every value they hold is in the key, and statements are immutable.
@lru_cache(maxsize=1024)
def _inbox_statement(principal: Principal, today: date, soon: date, filters: InboxFilters, page: int,
                     page_size: int):
    holder, village = _SELECT_INBOX_STATEMENT_HOLDER, _SELECT_INBOX_STATEMENT_VILLAGE
    return (
        select(TASK.c.id, TASK.c.title, TASK.c.task_name, TASK.c.role, TASK.c.due_on, TASK.c.due_provisional,
               TASK.c.created_at, CASE.c.id.label("case_id"), CASE.c.number, CASE.c.applicant_name,
               CASE.c.applicant_id_number, CASE.c.assistance_type, village.name.label("village_name"),
               TASK.c.claimed_by_id, holder.display_name.label("claimed_by"), CASE.c.suspended_at,
               _buckets(principal, today, soon)["held"].label("held"))
        .select_from(TASK)
        .join(CASE, CASE.c.id == TASK.c.case_id)
        .outerjoin(village, village.id == CASE.c.village_id)
        .outerjoin(holder, holder.id == TASK.c.claimed_by_id)
        .where(*_where(principal, today, soon, filters))
        .order_by(*(URGENCY_ORDER if filters.by_urgency else (TASK.c.created_at, TASK.c.id)))
        .limit(page_size).offset((max(page, 1) - 1) * page_size)
    )


def count_inbox(session: Session, principal: Principal, today: date, filters: InboxFilters) -> int:
    """How many open tasks the filtered inbox holds (capped at COUNT_CAP + 1)."""
    capped = select(TASK.c.id).join(CASE, CASE.c.id == TASK.c.case_id).where(
        *_where(principal, today, soon_until(today, filters.within), filters)).limit(COUNT_CAP + 1)
    return session.execute(select(func.count()).select_from(capped.subquery())).scalar_one()


def inbox_rows(session: Session, principal: Principal, today: date, filters: InboxFilters = InboxFilters(),
               page: int = 1, page_size: int = PAGE_SIZE) -> list:
    """One page of the filtered inbox (the page takes its total from ``inbox_counts``, which counts it too)."""
    return session.execute(select_inbox_statement(principal, today, filters, page, page_size)).all()


def inbox(session: Session, principal: Principal, today: date, filters: InboxFilters = InboxFilters(),
          page: int = 1, page_size: int = PAGE_SIZE):
    """Open tasks of the principal's roles in their units with the filters, and the total (capped at
    COUNT_CAP + 1)."""
    return (inbox_rows(session, principal, today, filters, page, page_size),
            count_inbox(session, principal, today, filters))


def inbox_counts(session: Session, principal: Principal, today: date,
                 filters: InboxFilters = InboxFilters()) -> dict[str, list[dict]]:
    """Every option of every filter with how many open tasks it would show given the other filters:
    ``{dimension: [{"key", "label_zh", "label_en", "count"}]}`` plus ``"total"`` (the filtered inbox).
    One grouped statement in the principal's place."""
    soon = soon_until(today, filters.within)
    names = list(_buckets(principal, today, soon))
    groups = session.execute(_facets_statement(principal, today, soon, filters)).all()
    chosen = _chosen(filters)
    counts: dict[str, dict] = {n: {} for n in names}
    titles: dict[str, str] = {}
    total = 0
    for g in groups:
        titles.setdefault(g.step, g.title)
        misses = [n for n in names if chosen[n] is not None and getattr(g, n) != chosen[n]]
        if not misses:
            total += g.n
        for n in names:  # a group counts for an option of n when it matches every other chosen filter
            if not misses or misses == [n]:
                counts[n][getattr(g, n)] = counts[n].get(getattr(g, n), 0) + g.n
    return {**_labelled(session, principal, counts, titles, chosen), "total": total}


@lru_cache(maxsize=1024)
def _facets_statement(principal: Principal, today: date, soon: date, filters: InboxFilters):
    buckets = _buckets(principal, today, soon)
    return (select(*(buckets[n].label(n) for n in buckets), func.min(TASK.c.title).label("title"),
                   func.count().label("n"))
            .select_from(TASK).join(CASE, CASE.c.id == TASK.c.case_id)
            .where(TASK.c.status == "open", task_scope(principal), *_range(filters))
            .group_by(*buckets.values()))


_HELD_LABELS = {"mine": ("我认领的", "Claimed by me"), "queue": ("本单位待认领", "Shared queue"),
                "others": ("同事认领的", "Claimed by colleagues")}
_DUE_LABELS = {"overdue": ("已超期", "Overdue"), "soon": ("即将到期", "Due soon"), "later": ("以后到期", "Due later"),
               "none": ("无期限", "No due date")}


def _labelled(session: Session, principal: Principal, counts: dict, titles: dict,
              chosen: dict) -> dict[str, list[dict]]:
    """The options of each dimension in a fixed order with their names; a chosen option stays listed at 0."""
    for n, value in chosen.items():
        if value is not None:
            counts[n].setdefault(value, 0)
    types = {t["type"]: (t["name_zh"], t["name_en"]) for t in assistance_types()}
    named = [v for v, n in counts["village"].items() if v is not None and (n or _within(session, principal, v))]
    villages = unit_names(session, named)

    def options(n, keys, label):
        return [{"key": k, "label_zh": label(k)[0], "label_en": label(k)[1], "count": counts[n].get(k, 0)}
                for k in keys if k in counts[n]]
    return {
        "held": options("held", HELD, _HELD_LABELS.get),
        "due": options("due", DUE, _DUE_LABELS.get),
        "type": options("type", sorted(counts["type"], key=str), lambda k: types.get(k, (k, k))),
        "step": options("step", sorted(counts["step"], key=lambda k: titles.get(k, k or "")),
                        lambda k: (titles.get(k, k), titles.get(k, k))),
        "village": options("village", sorted(counts["village"], key=lambda k: villages.get(k, "")),
                           lambda k: (villages.get(k, "—"), villages.get(k, "—"))),
    }


def _within(session: Session, principal: Principal, village_id: int) -> bool:
    """Whether a village chosen in the query (none of the user's tasks is there) lies in the user's places:
    only then is its name shown as the chosen option; a village of another place is listed as "—" (its name is
    not the user's to learn from the inbox)."""
    place = places_of_villages(session, (village_id,)).get(village_id)
    held = {unit for _role, unit in principal.roles}
    return place is not None and bool(held & {place.village_id, place.township_id, place.county_id})


def without(filters: InboxFilters, dimension: str) -> InboxFilters:
    """The filters with one dimension's choice dropped (the link of that facet's "all")."""
    field = {"held": "held", "type": "assistance_type", "step": "step", "village": "village_id", "due": "due"}
    return replace(filters, **{field[dimension]: None})
