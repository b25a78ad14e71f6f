"""Saved, shareable filters of the county supervisor's case list and of a clerk's inbox (Camunda Tasklist's
habit), each shown with its live count; and the list's query parameters read into filters, for the page and for a saved
filter alike."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Callable, Mapping

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, aliased

from engine.catalogue.forms import mask_id_number
from engine.clock import to_local_date
from engine.errors import FormInvalid, Message, NotFound
from engine.oversight.inbox import count_inbox, date_range, parse_inbox_filters
from engine.oversight.queries import SupervisorFilters, count_supervisor_cases, select_supervisor_cases
from engine.oversight.reports import Report
from engine.oversight.search import STATUSES
from engine.people.accounts import Principal
from engine.people.scope import supervised_counties
from engine.store.models import SavedFilter, Unit, User

NAME_MAX = 60
STEP_MAX = 100


def parse_filters(query: Mapping[str, str]) -> SupervisorFilters:
    """The list's filters from its query parameters; FormInvalid (field → Chinese message) when one is wrong."""
    errors: dict[str, Message] = {}
    township_raw = (query.get("township") or "").strip()
    township = None
    if township_raw:
        if township_raw.isascii() and township_raw.isdigit() and len(township_raw) <= 18:
            township = int(township_raw)
        else:
            errors["township"] = Message("乡镇（街道）应为列表中的一项", "The township (street) must be one of the list")
    status = (query.get("status") or "").strip() or None
    if status is not None and status not in STATUSES:
        errors["status"] = Message("状态应为“办理中”或“已办结”", "The status must be “running” or “finished”")
    step = (query.get("step") or "").strip() or None
    if step is not None and len(step) > STEP_MAX:
        errors["step"] = Message(f"办理环节最多 {STEP_MAX} 个字", f"The step may have at most {STEP_MAX} characters")
    lodged_from, lodged_to = date_range(query, "from", "to", errors)
    if errors:
        raise FormInvalid.of(errors)
    return SupervisorFilters(township_id=township, status=status, step=step, overdue=query.get("overdue") == "1",
                             by_urgency=query.get("sort", "urgency") != "newest",
                             lodged_from=lodged_from, lodged_to=lodged_to)


@dataclass(frozen=True)
class _SavedList:
    """What a list's saved filters need: reading its query, counting it, and where a principal's filters live
    (``(county_id, unit_id)`` a new one is saved in, and the clause of the ones shared with them)."""

    parse: Callable[[Mapping[str, str]], Any]
    count: Callable[[Session, Principal, date, Any], int]
    home: Callable[[Session, Principal], tuple[int, int | None] | None]
    shared_with: Callable[[Principal], Any]
    has_list: Callable[[Principal], bool]  # whether ``home`` gives a place (asked without reading it)


def _supervisor_home(session: Session, principal: Principal) -> tuple[int, None] | None:
    counties = supervised_counties(principal)
    return (counties[0], None) if counties else None


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_INBOX_HOME_PARENT = aliased(Unit)
_INBOX_HOME_GRANDPARENT = aliased(Unit)


def _inbox_home(session: Session, principal: Principal) -> tuple[int, int] | None:
    """A clerk's inbox filter is shared in their first staff unit, filed under that unit's county."""
    if not principal.staff_units:
        return None
    unit_id = principal.staff_units[0]
    parent, grandparent = _INBOX_HOME_PARENT, _INBOX_HOME_GRANDPARENT
    row = session.execute(select(Unit.level, Unit.id, parent.id.label("p"), parent.level.label("p_level"),
                                 grandparent.id.label("g"))
                          .outerjoin(parent, parent.id == Unit.parent_id)
                          .outerjoin(grandparent, grandparent.id == parent.parent_id)
                          .where(Unit.id == unit_id)).one()
    county = row.id if row.level == "county" else row.p if row.p_level == "county" else row.g
    return county, unit_id


LISTS = {
    "cases": _SavedList(parse_filters, count_supervisor_cases, _supervisor_home,
                        lambda p: SavedFilter.county_id.in_(supervised_counties(p) or (-1,)),
                        lambda p: bool(supervised_counties(p))),
    "inbox": _SavedList(parse_inbox_filters, count_inbox, _inbox_home,
                        lambda p: SavedFilter.unit_id.in_(p.staff_units or (-1,)), lambda p: bool(p.staff_units)),
}


def save_filter(session: Session, principal: Principal, now: datetime, name: str, query: Mapping[str, str],
                shared: bool, kind: str = "cases") -> int:
    """Save a list's current filters (``kind``: "cases", the supervisor's case list; "inbox") under a name
    (unique per owner); a shared one is offered to the county's supervisors, or to the clerk's unit."""
    saved_list = LISTS[kind]
    home = saved_list.home(session, principal)
    if home is None:
        raise NotFound(f"no {kind} list")
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise FormInvalid.of({"name": Message(f"请填写名称（最多 {NAME_MAX} 个字）",
                                              f"Enter a name (at most {NAME_MAX} characters)")})
    stored = saved_list.parse(query).to_query()
    if session.execute(select(SavedFilter.id).where(SavedFilter.owner_id == principal.user_id,
                                                    SavedFilter.name == name)).first():
        raise FormInvalid.of({"name": Message(f"您已有名为“{name}”的筛选条件，请换一个名称",
                                              f"You already have a filter named “{name}”: choose another name")})
    row = SavedFilter(owner_id=principal.user_id, county_id=home[0], unit_id=home[1], kind=kind, name=name,
                      query=stored, shared=shared, created_at=now)
    session.add(row)
    session.flush()
    return row.id


def saved_filters(session: Session, principal: Principal, today: date, kind: str = "cases") -> list[dict]:
    """The principal's own filters of a list and those shared with them, each with its live count (counted
    within the principal's own place: a colleague's filter shows the principal's tasks)."""
    saved_list = LISTS[kind]
    if not saved_list.has_list(principal):
        return []
    rows = session.execute(_saved_filters_statement(kind, principal)).all()
    return [{"id": f.id, "name": f.name, "shared": f.shared, "owner": owner, "mine": f.owner_id == principal.user_id,
             "query": f.query, "count": saved_list.count(session, principal, today, saved_list.parse(f.query))}
            for f, owner in rows]


@lru_cache(maxsize=1024)
def _saved_filters_statement(kind: str, principal: Principal):
    """Built once per (list, principal): every value is in the key, and statements are immutable."""
    return (select(SavedFilter, User.display_name).join(User, User.id == SavedFilter.owner_id)
            .where(SavedFilter.kind == kind, LISTS[kind].shared_with(principal),
                   or_(SavedFilter.owner_id == principal.user_id, SavedFilter.shared.is_(True)))
            .order_by(SavedFilter.name, SavedFilter.id))


def delete_filter(session: Session, principal: Principal, filter_id: int) -> None:
    """Delete one of the principal's own saved filters (another's, shared or not, is NotFound)."""
    deleted = session.execute(delete(SavedFilter).where(SavedFilter.id == filter_id,
                                                        SavedFilter.owner_id == principal.user_id)).rowcount
    if not deleted:
        raise NotFound(f"saved filter {filter_id}")


EXPORT_MAX = 50_000  # rows of one export; a wider list is narrowed with a filter first


def case_list_report(session: Session, principal: Principal, today: date, filters: SupervisorFilters) -> Report:
    """The filtered case list as a report for CSV or XLSX, ID numbers masked, at most EXPORT_MAX rows."""
    rows = session.execute(select_supervisor_cases(principal, today, filters).limit(EXPORT_MAX)).all()
    return Report(
        title=f"{today:%Y年%m月%d日}案件清单",
        header=["案件编号", "申请人", "身份证号", "乡镇（街道）", "村（社区）", "状态", "办理环节或结果", "办结时限",
                "是否超期", "申请时间", "更新时间"],
        rows=[[r.number, r.applicant_name, mask_id_number(r.applicant_id_number), r.township, r.village or "",
               "已办结" if r.status == "completed" else "办理中",
               r.current_step or (r.summary or {}).get("outcome_label", ""), r.due_on.isoformat() if r.due_on else "",
               "是" if r.is_overdue else "", to_local_date(r.created_at).isoformat(),
               to_local_date(r.updated_at).isoformat()] for r in rows])
