"""The county supervisor's dashboard and the province supervisor's (charts with their tables, the tables as
CSV/XLSX) and the heatmap of a route's steps."""
from __future__ import annotations

import json

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from engine import (OUTLIER_Z, DashboardFilters, Report, dashboard as dashboard_figures,
                    version_heat)

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import InputRefused, choice_arg, int_arg, month_arg
from .pages import type_names
from .supervision import download_report

bp = Blueprint("dashboard", __name__)


def _filters(types: dict[str, str]) -> DashboardFilters:
    """The page's filters from the query string; HTTP 400 for a malformed month, type or county."""
    assistance_type = request.args.get("type") or None
    if assistance_type is not None and assistance_type not in types:
        raise InputRefused("unknown assistance type", "未知的救助类型")
    return DashboardFilters(month_arg(request.args, "from"), month_arg(request.args, "to"), assistance_type,
                            int_arg(request.args, "county", None))


def _page(level: str):
    """The dashboard page (``level`` township: a county's; county: a province's), or its areas' table as CSV or
    XLSX with ``?format=``."""
    types = type_names()
    filters = _filters(types)
    export_format = choice_arg(request.args, "format", ("csv", "xlsx"))
    with db().unit_of_work() as uow:
        figures = dashboard_figures(uow.session, current_principal(), clock().now(), filters, level)
    if export_format:
        return download_report(areas_report(figures), export_format)
    areas = figures["areas"]
    charts = {
        "areas": [[t["area"], t["running"], t["completed"]] for t in areas],
        "status": [[_("Running"), figures["running"]], [_("Completed"), figures["completed"]]],
        "types": [[types.get(t["type"], t["type"] or "—"), t["running"] + t["completed"]] for t in figures["by_type"]],
        "on_time": [[t["area"], t["on_time_rate"]] for t in areas],
        "trend": [[m["month"].strftime("%Y-%m"), m["on_time_rate"], m["lodged"]] for m in figures["trend"]],
        "backlog": [[b["step"], b["open"], b["overdue"]] for b in figures["backlog"][:15]],
        "decisions": [[t["area"], t["approved"], t["refused"], bool(t["outlier"])] for t in areas],
        "labels": {"running": _("Running"), "completed": _("Completed"), "on_time": _("On-time rate (%)"),
                   "lodged": _("Cases lodged"), "open": _("Open tasks"), "overdue": _("Overdue"),
                   "approved": _("Approved"), "refused": _("Refused"), "outlier": _("Outlier"),
                   "no_data": _("Nothing to show for these filters yet")},
    }
    query = {k: v for k, v in request.args.items() if k in ("from", "to", "type", "county") and v}
    return render_template("supervision/dashboard.html", f=figures, filters=filters, types=types, query=query,
                           charts_json=json.dumps(charts, ensure_ascii=False), outlier_z=OUTLIER_Z)


def areas_report(figures: dict) -> Report:
    """The dashboard's table of townships (or counties) as a report for CSV/XLSX."""
    province = figures["level"] == "county"
    header = [_("County") if province else _("Township"), _("Running"), _("Completed"), _("On-time rate"),
              _("Approved"), _("Refused"), _("Approval rate"), _("Mean days to decision"), _("Outlier"),
              _("Overdue tasks"), _("Supervision (督办)"), _("Reviews due"), _("Reviews done")]
    rows = [[a["area"], a["running"], a["completed"], a["on_time_rate"], a["approved"], a["refused"],
             a["approval_rate"], a["mean_days"], " ".join(a["outlier"]), a["overdue_tasks"], a["supervision_open"],
             a["reviews_due"], a["reviews_done"]] for a in figures["areas"]]
    return Report(_("Province dashboard") if province else _("County dashboard"), header, rows)


@bp.route("/supervisor/dashboard")
@requires_role("county_supervisor", "county")
def dashboard():
    """Charts and tables of the supervised counties (or of one of them, ``?county=``), per township, read from
    the scheduler's summary tables; 404 for a county the user does not supervise."""
    return _page("township")


@bp.route("/supervisor/province")
@requires_role("province_supervisor")
def province():
    """The province supervisor's dashboard: the same figures per county of the province, each county a link to
    its own dashboard and case list (read-only)."""
    return _page("county")


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
