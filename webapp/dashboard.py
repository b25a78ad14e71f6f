"""The county supervisor's dashboard (charts with their tables) and the heatmap of a route's steps."""
from __future__ import annotations

import json
import re
from datetime import date

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from engine import OUTLIER_Z, DashboardFilters, assistance_types, benefit_types, dashboard as dashboard_figures, version_heat

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import InputRefused
from .pages import is_zh

bp = Blueprint("dashboard", __name__)
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def month_arg(name: str) -> date | None:
    """A ``YYYY-MM`` query parameter as the first day of that month; HTTP 400 when malformed."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not MONTH.fullmatch(raw):
        raise InputRefused(f"{name} must be a month as YYYY-MM", f"参数「{name}」应为年月，如 2026-09")
    return date.fromisoformat(raw + "-01")


@bp.route("/supervisor/dashboard")
@requires_role("county_supervisor", "county")
def dashboard():
    """Charts and tables of the supervised counties, read from the scheduler's summary tables."""
    types = {t["type"]: t["name_zh"] if is_zh() else t["name_en"] for t in assistance_types() + benefit_types()}
    assistance_type = request.args.get("type") or None
    if assistance_type is not None and assistance_type not in types:
        raise InputRefused("unknown assistance type", "未知的救助类型")
    filters = DashboardFilters(month_arg("from"), month_arg("to"), assistance_type)
    with db().unit_of_work() as uow:
        figures = dashboard_figures(uow.session, current_principal(), clock().now(), filters)
    charts = {
        "townships": [[t["township"], t["running"], t["completed"]] for t in figures["townships"]],
        "status": [[_("Running"), figures["running"]], [_("Completed"), figures["completed"]]],
        "types": [[types.get(t["type"], t["type"] or "—"), t["running"] + t["completed"]] for t in figures["by_type"]],
        "on_time": [[t["township"], t["on_time_rate"]] for t in figures["townships"]],
        "trend": [[m["month"].strftime("%Y-%m"), m["on_time_rate"], m["lodged"]] for m in figures["trend"]],
        "backlog": [[b["step"], b["open"], b["overdue"]] for b in figures["backlog"][:15]],
        "decisions": [[t["township"], t["approved"], t["refused"], bool(t["outlier"])] for t in figures["townships"]],
        "labels": {"running": _("Running"), "completed": _("Completed"), "on_time": _("On-time rate (%)"),
                   "lodged": _("Cases lodged"), "open": _("Open tasks"), "overdue": _("Overdue"),
                   "approved": _("Approved"), "refused": _("Refused"), "outlier": _("Outlier")},
    }
    return render_template("supervision/dashboard.html", f=figures, filters=filters, types=types,
                           charts_json=json.dumps(charts, ensure_ascii=False), outlier_z=OUTLIER_Z)


@bp.route("/supervisor/dashboard/versions/<int:version_id>")
@requires_role("county_supervisor", "county")
def heatmap(version_id: int):
    """A process version's diagram with each user task coloured by its median time in the county."""
    with db().unit_of_work() as uow:
        version, steps = version_heat(uow.session, current_principal(), version_id)
    heat = {s["task_name"]: {"median": s["median_hours"], "p90": s["p90_hours"], "waiting": s["waiting"]}
            for s in steps}
    return render_template("supervision/heatmap.html", version=version, steps=steps,
                           heat_json=json.dumps(heat, ensure_ascii=False))
