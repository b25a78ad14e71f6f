"""The county supervisor's dashboard (per township) and the province supervisor's (per county), read from the summary tables the scheduler's dashboard job writes
(engine.oversight.dashboard_refresh): cases by status, type and township, on-time rates and their trend,
backlog by step, time spent per step, approvals and refusals with outliers, 督办 and periodic reviews.

Outliers: a township stands out when its approval rate is more than ``OUTLIER_Z`` robust z-scores above
the county's townships' median, or its mean days to a decision more than ``OUTLIER_Z`` below it (much
faster). The robust z-score is (x − median) / (1.4826 × MAD), MAD the median absolute deviation; only
townships with at least ``MIN_DECIDED`` decisions take part, so that one case does not make an outlier.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from engine.people.accounts import PROVINCE_ROLE, Principal
from engine.people.scope import supervised_counties
from engine.errors import NotFound
from engine.store.models import DashBacklog, DashCaseMonth, DashRefresh, DashStepTime, DashTownship, ProcessVersion, Unit

OUTLIER_Z = 2.0
MONTH_FIELDS = ("running", "completed", "on_time", "approved", "refused", "decision_days")
MIN_DECIDED = 3
MAD_TO_SIGMA = 1.4826  # makes the MAD estimate the standard deviation of normally distributed values


@dataclass
class DashboardFilters:
    """Months of lodging (inclusive, first days of months), an assistance type, and one county of those the
    principal supervises (a province supervisor's drill-down; None: all of them)."""

    month_from: date | None = None
    month_to: date | None = None
    assistance_type: str | None = None
    county_id: int | None = None


def robust_z(values: dict[int, float]) -> dict[int, float]:
    """Each value's robust z-score against the median of all; empty when they do not spread."""
    if len(values) < 3:
        return {}
    median = statistics.median(values.values())
    mad = statistics.median(abs(v - median) for v in values.values())
    if mad == 0:
        return {}
    return {k: (v - median) / (MAD_TO_SIGMA * mad) for k, v in values.items()}


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _areas(session: Session, counties, level: str) -> dict[int, str]:
    """The units the dashboard compares, by id with their names: the counties' townships, or the counties."""
    where = Unit.parent_id.in_(counties) if level == "township" else Unit.id.in_(counties)
    return dict(session.execute(select(Unit.id, Unit.name).where(where, Unit.level == level)
                                .order_by(Unit.code)).all())


def _area_figures(session: Session, counties, level: str) -> dict[int, dict]:
    """Overdue tasks, open 督办 and reviews per township, or summed per county."""
    key = DashTownship.township_id if level == "township" else DashTownship.county_id
    fields = ("overdue_tasks", "supervision_open", "reviews_due", "reviews_running", "reviews_done")
    return {r.key: r._asdict() for r in session.execute(
        select(key.label("key"), *(cast(func.sum(getattr(DashTownship, f)), BigInteger).label(f) for f in fields))
        .where(DashTownship.county_id.in_(counties)).group_by(key)).all()}


def _area_rows(months, names: dict[int, str], figures: dict[int, dict]) -> list[dict]:
    """One row per compared unit (``area_id``, ``area``) with its sums and its outlier marks."""
    totals: dict[int, dict] = {t: defaultdict(int) for t in names}
    for m in months:
        row = totals.setdefault(m.key, defaultdict(int))
        for field in MONTH_FIELDS:
            row[field] += getattr(m, field) or 0
    out = []
    for township_id, name in names.items():
        t, f = totals[township_id], figures.get(township_id) or {}
        decided = t["approved"] + t["refused"]
        out.append({"area_id": township_id, "area": name, "running": t["running"],
                    "completed": t["completed"], "on_time_rate": _rate(t["on_time"], t["completed"]),
                    "approved": t["approved"], "refused": t["refused"], "decided": decided,
                    "approval_rate": _rate(t["approved"], decided),
                    "mean_days": round(t["decision_days"] / t["completed"], 1) if t["completed"] else None,
                    **{k: int(f.get(k) or 0) for k in ("overdue_tasks", "supervision_open", "reviews_due",
                                                       "reviews_running", "reviews_done")}, "outlier": []})
    eligible = [r for r in out if r["decided"] >= MIN_DECIDED]
    rate_z = robust_z({r["area_id"]: r["approval_rate"] for r in eligible})
    days_z = robust_z({r["area_id"]: r["mean_days"] for r in eligible if r["mean_days"] is not None})
    for r in out:
        r["approval_z"] = round(rate_z[r["area_id"]], 1) if r["area_id"] in rate_z else None
        r["days_z"] = round(days_z[r["area_id"]], 1) if r["area_id"] in days_z else None
        if (r["approval_z"] or 0) > OUTLIER_Z:
            r["outlier"].append("approves_more")
        if (r["days_z"] or 0) < -OUTLIER_Z:
            r["outlier"].append("decides_faster")
    return out


def dashboard_counties(principal: Principal, filters: DashboardFilters) -> tuple[int, ...]:
    """The counties a county dashboard covers: the one asked for (NotFound unless the principal supervises it)
    or every county the principal supervises."""
    counties = supervised_counties(principal)
    if not counties:
        raise NotFound("not a county supervisor")
    if filters.county_id is not None:
        if filters.county_id not in counties:
            raise NotFound(f"county {filters.county_id}", "您不监督该县（区）",
                           message_en="You do not supervise this county (district)")
        return (filters.county_id,)
    return counties


def province_counties(session: Session, principal: Principal) -> tuple[int, ...]:
    """The counties under the provinces where the principal holds the province supervisor's role (SQL)."""
    provinces = principal.units_for(PROVINCE_ROLE)
    if not provinces:
        raise NotFound("not a province supervisor")
    return tuple(session.execute(select(Unit.id).where(Unit.parent_id.in_(provinces), Unit.level == "county")
                                 .order_by(Unit.code)).scalars())


def dashboard(session: Session, principal: Principal, now: datetime, filters: DashboardFilters,
              level: str = "township") -> dict:
    """Every figure of the dashboard with the tables' age: per township of the supervised counties (or of the
    filter's one county), or with ``level="county"`` per county of the principal's provinces."""
    counties = province_counties(session, principal) if level == "county" else dashboard_counties(principal, filters)
    if not counties:
        counties = (-1,)  # a province with no county yet: every figure zero
    where = [DashCaseMonth.county_id.in_(counties)]
    if filters.month_from:
        where.append(DashCaseMonth.month >= filters.month_from)
    if filters.month_to:
        where.append(DashCaseMonth.month <= filters.month_to)
    if filters.assistance_type:
        where.append(DashCaseMonth.assistance_type == filters.assistance_type)
    # Summed by the database, once per township, type and month (a county holds a row per township, type
    # and month of lodging: over ten thousand in a province's county; the page needs the sums).
    def summed(key):
        return session.execute(select(key, *(cast(func.sum(getattr(DashCaseMonth, f)), BigInteger).label(f)
                                             for f in MONTH_FIELDS)).where(*where).group_by(key)).all()
    names = _areas(session, counties, level)
    figures = _area_figures(session, counties, level)
    by_type: dict[str, dict] = defaultdict(lambda: {"running": 0, "completed": 0})
    for m in summed(DashCaseMonth.assistance_type):
        by_type[m.assistance_type]["running"] += m.running
        by_type[m.assistance_type]["completed"] += m.completed
    trend = {m.month: {"lodged": m.running + m.completed, "completed": m.completed, "on_time": m.on_time}
             for m in summed(DashCaseMonth.month)}
    months = summed((DashCaseMonth.township_id if level == "township" else DashCaseMonth.county_id).label("key"))
    backlog_where = [DashBacklog.county_id.in_(counties)]
    if filters.assistance_type:
        backlog_where.append(DashBacklog.assistance_type == filters.assistance_type)
    backlog = session.execute(
        select(DashBacklog.step, func.sum(DashBacklog.open).label("open"), func.sum(DashBacklog.overdue).label("overdue"))
        .where(*backlog_where).group_by(DashBacklog.step).order_by(func.sum(DashBacklog.open).desc())).all()
    refreshed = session.get(DashRefresh, 1)
    areas = _area_rows(months, names, figures)
    return {
        "refreshed_at": refreshed.refreshed_at if refreshed else None,
        "refresh_ms": refreshed.duration_ms if refreshed else None,
        "age_seconds": round((now - refreshed.refreshed_at).total_seconds()) if refreshed else None,
        "level": level, "counties": counties,
        "running": sum(m.running for m in months), "completed": sum(m.completed for m in months),  # per area
        "by_type": sorted(({"type": k, **v} for k, v in by_type.items()), key=lambda r: -(r["running"] + r["completed"])),
        "areas": areas,
        "trend": [{"month": k, **v, "on_time_rate": _rate(v["on_time"], v["completed"])} for k, v in sorted(trend.items())],
        "backlog": [{"step": b.step, "open": int(b.open), "overdue": int(b.overdue)} for b in backlog],
        "step_times": step_times(session, counties),
        **{k: sum(r[k] for r in areas) for k in ("overdue_tasks", "supervision_open", "reviews_due",
                                                  "reviews_running", "reviews_done")},
    }


def step_times(session: Session, counties, version_id: int | None = None) -> list[dict]:
    """Median and 90th-percentile hours per user task and process version in the counties (several counties'
    medians are combined weighted by their completed tasks, an approximation the table says it is)."""
    where = [DashStepTime.county_id.in_(counties)]
    if version_id is not None:
        where.append(DashStepTime.process_version_id == version_id)
    rows = session.execute(
        select(DashStepTime, ProcessVersion.name.label("version_name"), ProcessVersion.process_id,
               ProcessVersion.content_hash)
        .join(ProcessVersion, ProcessVersion.id == DashStepTime.process_version_id).where(*where)
        .order_by(ProcessVersion.process_id, DashStepTime.process_version_id, DashStepTime.task_name)).all()
    merged: dict[tuple, dict] = {}
    for r in rows:
        s = r.DashStepTime
        entry = merged.setdefault((s.process_version_id, s.task_name), {
            "version_id": s.process_version_id, "version_name": r.version_name, "process_id": r.process_id,
            "version_hash": r.content_hash[:8], "task_name": s.task_name, "title": s.title,
            "completed": 0, "waiting": 0, "_median": 0.0, "_p90": 0.0})
        entry["waiting"] += s.waiting
        if s.completed:
            entry["_median"] += s.median_hours * s.completed
            entry["_p90"] += s.p90_hours * s.completed
            entry["completed"] += s.completed
    out = []
    for e in merged.values():
        done = e["completed"]
        median, p90 = e.pop("_median"), e.pop("_p90")
        out.append({**e, "median_hours": round(median / done, 1) if done else None,
                    "p90_hours": round(p90 / done, 1) if done else None})
    return out


def version_heat(session: Session, principal: Principal, version_id: int) -> tuple[ProcessVersion, list[dict]]:
    """A process version and its steps' times in the principal's counties, for the diagram's heatmap."""
    counties = supervised_counties(principal)
    version = session.get(ProcessVersion, version_id)
    if not counties or version is None:
        raise NotFound(f"process version {version_id}")
    return version, step_times(session, counties, version_id)
