"""HTML pages: inbox, task, new application, case, supervisor list, deployed processes."""
from __future__ import annotations

import json
import re
import secrets
from datetime import date, timedelta

from engine import COUNT_CAP, PAGE_SIZE, SupervisorFilters, case_form, case_view, deployed_versions, document_for, hold_panel_meeting, inbox_tasks, monthly_report, notifications_for, open_incidents, overdue_by_township, panel_agenda, panel_meetings, payment_roll, payment_roll_with_id_numbers, retry_incident, supervision_items, supervisor_cases, task_for, task_schema, to_csv, to_xlsx
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from engine import ROLE_NAMES_ZH
from engine import case_for_request_token, complete_task, extend_deadline, start_application
from engine import to_local_date
from engine.errors import FormInvalid, NotFound
from engine import DEFAULT_MAX_LENGTH, coerce_html_form, errors_for_html_form
from engine import place_of_village, villages_for
from engine import review_progress
from engine import supervised_counties
from engine import assistance_types, process_for
from engine import get_version, latest_version_id
from engine import CalendarYearMissing, WorkingCalendar, missing_notice

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import InputRefused, int_arg, page_arg

bp = Blueprint("views", __name__)
FORM_CONTROL_FIELDS = frozenset({"csrf_token", "village_id", "assistance_type", "submit", "request_token"})
# The new-application form's one-time token (see new_case); what secrets.token_urlsafe(24) gives.
REQUEST_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@bp.app_template_filter("mask_id")
def mask_id_filter(value):
    """Mask an ID number for display."""
    from engine import mask_id_number
    return mask_id_number(value)


@bp.app_template_filter("local_dt")
def local_dt(value):
    """An aware datetime as China local time text."""
    from engine import CHINA_TZ
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


@bp.app_context_processor
def inject_helpers():
    principal = current_principal()
    return {"principal": principal, "role_names": ROLE_NAMES_ZH, "remaining_workdays": remaining_workdays,
            "text_max": DEFAULT_MAX_LENGTH,  # the server's bound on a text field whose schema sets none
            "calendar_missing_year": (missing_notice(WorkingCalendar.load(), clock().today())
                                      if principal and principal.has_role("admin") else None)}


def remaining_workdays(due_on):
    """Working days left until a due date (negative when overdue); None when unknown."""
    if due_on is None:
        return None
    try:
        return WorkingCalendar.load().workdays_between(clock().today(), due_on)
    except CalendarYearMissing:
        return None


@bp.route("/")
def home():
    """Send each person to their main page."""
    principal = current_principal()
    if principal.has_role("county_supervisor"):
        return redirect(url_for("views.supervisor"))
    if principal.has_role("designer") and not principal.staff_units:
        return redirect(url_for("views.processes"))
    return redirect(url_for("views.inbox"))


@bp.route("/inbox")
def inbox():
    """My open tasks, oldest first."""
    page = page_arg()
    by_urgency = request.args.get("sort", "urgency") != "oldest"
    with db().unit_of_work() as uow:
        s = uow.session
        rows, total = inbox_tasks(s, current_principal(), page, by_urgency=by_urgency)
        notes = notifications_for(s, current_principal(), limit=5)
    today = clock().today()
    return render_template("inbox.html", rows=rows, total=total, page=page, page_size=PAGE_SIZE,
                           count_cap=COUNT_CAP, today=today, notes=notes, by_urgency=by_urgency,
                           week_end=today + timedelta(days=6 - today.weekday()))


def _task_context(s, task_id, form_values=None, errors=None):
    task = task_for(s, current_principal(), task_id)
    view = case_view(s, current_principal(), task.case_id)
    version = get_version(s, view.case.process_version_id)
    schema = version.forms.get(task.form_key) if task.form_key else None
    return {"task": task, "view": view, "schema": schema, "values": form_values or {}, "errors": errors or {},
            "today": clock().today().isoformat()}


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
def task(task_id: str):
    """The task page: case summary, history, the form; POST completes the task."""
    if request.method == "POST":
        try:
            with db().unit_of_work(write=True) as uow:
                case_id = complete_task(uow.session, current_principal(), clock(), task_id, request.form,
                                        coerce=_coerce_form)
                uow.commit()
        except FormInvalid as exc:  # leaving the unit of work rolled it back
            with db().unit_of_work() as uow:
                ctx = _task_context(uow.session, task_id, request.form)
            ctx["errors"] = errors_for_html_form(ctx["schema"] or {}, request.form, exc.errors)
            flash(exc.message_zh if _is_zh() else _("The form has errors; please correct them."), "error")
            return render_template("task.html", **ctx), 422
        flash(_("Step completed."), "success")
        return redirect(url_for("views.case", case_id=case_id))
    with db().unit_of_work() as uow:
        s = uow.session
        ctx = _task_context(s, task_id)
    return render_template("task.html", **ctx)


def _coerce_form(schema, form):
    return coerce_html_form(schema, form, FORM_CONTROL_FIELDS)


def _is_zh() -> bool:
    from .i18n import select_locale
    return select_locale() == "zh_CN"


@bp.route("/cases/new", methods=["GET", "POST"])
@requires_role("village", "township")
def new_case():
    """Lodge a new application (village on the household's behalf, or township window).

    The route is the one the household's township runs today under its county's model. The form carries a
    one-time token: the same form sent twice (a double click, a reload) lodges one case.
    """
    principal = current_principal()
    token = _request_token()
    types = assistance_types()
    assistance_type = request.values.get("assistance_type") or types[0]["type"]
    if assistance_type not in {t["type"] for t in types}:
        abort(404)
    try:
        with db().unit_of_work(write=request.method == "POST") as uow:
            s = uow.session
            villages = villages_for(s, principal.units_for("village"), principal.units_for("township"))
            if not villages:
                raise NotFound("no villages for this user")
            village_id = request.form.get("village_id", type=int) if request.method == "POST" else villages[0][0]
            if village_id not in {v[0] for v in villages}:
                village_id = None
            place = place_of_village(s, village_id or villages[0][0])
            process_id = process_for(assistance_type, place.county_code, place.township_code, clock().today())
            version = get_version(s, latest_version_id(s, process_id))
            schema = version.forms.get(version.tasks.get("@start", {}).get("form_key"))
            ctx = {"types": types, "assistance_type": assistance_type, "villages": villages, "schema": schema,
                   "route_name": version.name, "values": request.form if request.method == "POST" else {},
                   "errors": {}, "today": clock().today().isoformat(),
                   "request_token": token or secrets.token_urlsafe(24)}
            if request.method == "GET":
                return render_template("new_case.html", **ctx)
            if village_id is None:
                ctx["errors"] = {"village_id": _("Choose a village or community in your area.")}
                return render_template("new_case.html", **ctx), 422
            data = coerce_html_form(schema or {}, request.form, FORM_CONTROL_FIELDS)
            earlier = case_for_request_token(s, token) if token else None
            if earlier is not None:  # the same form sent again (a double click, a reload): one case
                flash(_("Application %(number)s was already lodged.", number=earlier.number), "info")
                return redirect(url_for("views.case", case_id=earlier.id), 303)
            try:
                started = start_application(s, principal, clock(), assistance_type, village_id, data, token)
            except FormInvalid as exc:  # leaving the unit of work without commit() rolls it back
                ctx["errors"] = errors_for_html_form(schema or {}, request.form, exc.errors)
                flash(exc.message_zh if _is_zh() else _("The form has errors; please correct them."), "error")
                return render_template("new_case.html", **ctx), 422
            uow.commit()
    except IntegrityError:
        # PostgreSQL: a concurrent submission of the same form won the unique token; show that case.
        with db().unit_of_work() as uow:
            earlier = case_for_request_token(uow.session, token) if token else None
        if earlier is None:
            raise
        return redirect(url_for("views.case", case_id=earlier.id), 303)
    flash(_("Application %(number)s lodged.", number=started.number), "success")
    return redirect(url_for("views.case", case_id=started.id))


def _request_token() -> str | None:
    token = request.form.get("request_token") if request.method == "POST" else None
    if token and not REQUEST_TOKEN.fullmatch(token):
        raise InputRefused("malformed request_token", "表单已损坏，请刷新页面后重新填写")
    return token or None


@bp.route("/cases/<int:case_id>")
def case(case_id: int):
    """The case page: events in order, open steps, and the diagram with progress."""
    with db().unit_of_work() as uow:
        s = uow.session
        view = case_view(s, current_principal(), case_id)
    return render_template("case.html", view=view, states_json=json.dumps(view.element_states))


@bp.route("/cases/<int:case_id>/documents/<int:document_id>")
def document(case_id: int, document_id: int):
    """A printable document (文书) of the case."""
    with db().unit_of_work() as uow:
        s = uow.session
        doc = document_for(s, current_principal(), case_id, document_id)
    return render_template("document.html", doc=doc, case_id=case_id)


@bp.route("/supervisor")
@requires_role("county_supervisor", "county")
def supervisor():
    """Every case of the county, with filters and counts."""
    filters = SupervisorFilters(
        township_id=int_arg(request.args, "township", None, 1),
        status=request.args.get("status") or None,
        step=(request.args.get("step") or "").strip() or None,
        overdue=request.args.get("overdue") == "1",
        by_urgency=request.args.get("sort", "urgency") != "newest",
    )
    page = page_arg()
    today = clock().today()
    with db().unit_of_work() as uow:
        s = uow.session
        result = supervisor_cases(s, current_principal(), today, filters, page)
        items = supervision_items(s, current_principal(), today)
        by_township = overdue_by_township(s, current_principal(), today)
        reviews = review_progress(s, supervised_counties(current_principal()), today)
    return render_template("supervisor.html", filters=filters, page=page, page_size=PAGE_SIZE,
                           items=items, by_township=by_township, reviews=reviews, today=today,
                           week_end=today + timedelta(days=6 - today.weekday()), **result)


@bp.route("/cases/<int:case_id>/extend", methods=["POST"])
@requires_role("township", "county")
def extend(case_id: int):
    """Extend the overall time limit by a recorded decision with a reason."""
    try:
        with db().unit_of_work(write=True) as uow:
            new_due = extend_deadline(uow.session, current_principal(), clock(), case_id,
                                      request.form.get("extra_workdays", 0, type=int), request.form.get("reason", ""))
            uow.commit()
    except FormInvalid as exc:
        flash("；".join(exc.errors.values()), "error")
        with db().unit_of_work() as uow:
            view = case_view(uow.session, current_principal(), case_id)
        return render_template("case.html", view=view, states_json=json.dumps(view.element_states)), 422
    flash(_("Time limit extended to %(day)s.", day=new_due.isoformat()), "success")
    return redirect(url_for("views.case", case_id=case_id))


@bp.route("/panel", methods=["GET", "POST"])
@requires_role("review_panel")
def panel():
    """A review-panel meeting: the agenda of cases, a decision and vote for each, one signed record."""
    principal = current_principal()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with db().unit_of_work(write=True) as uow:
                decisions = {}
                for item in panel_agenda(uow.session, principal):
                    if request.form.get(f"include-{item.id}"):
                        raw = {k[: -len(item.id) - 1]: v for k, v in request.form.items()
                               if k.endswith(f"-{item.id}") and not k.startswith("include-")}
                        decisions[item.id] = coerce_html_form(task_schema(uow.session, principal, item.id), raw)
                number = hold_panel_meeting(uow.session, principal, clock(), decisions,
                                             request.form.get("attendees", ""))
                uow.commit()
        except FormInvalid as exc:  # leaving the unit of work rolled back the whole meeting
            errors = exc.errors
            flash("；".join(dict.fromkeys(errors.values())), "error")
        else:
            flash(_("Meeting %(number)s recorded.", number=number), "success")
            return redirect(url_for("views.panel"))
    with db().unit_of_work() as uow:
        s = uow.session
        items = panel_agenda(s, principal)
        schema = case_form(s, items[0].case_id, "panel_decision") if items else None
        past = panel_meetings(s, principal)
    return render_template("panel.html", items=items, schema=schema, errors=errors, values=request.form,
                           meetings=past), (422 if errors else 200)


REPORT_FORMATS = {"csv": ("text/csv", "csv"),  # Flask adds the one "; charset=utf-8"
                  "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")}


@bp.route("/reports/<kind>")
@requires_role("county", "county_supervisor")
def report(kind: str):
    """The monthly report or payment roll (发放名册) of a month, as CSV or XLSX (of one county with
    ``county=<unit id>``). The roll with full ID numbers (``full=1``) is for county staff of that county and
    is recorded in the ID-reveal audit."""
    try:
        month = date.fromisoformat((request.args.get("month") or clock().today().strftime("%Y-%m")) + "-01")
    except ValueError:
        abort(400)
    if kind not in ("monthly", "payment-roll"):
        abort(404)
    export_format = request.args.get("format", "csv")
    if export_format not in REPORT_FORMATS:
        abort(400)
    assistance_type = request.args.get("type", "minimum_living")
    county_id = int_arg(request.args, "county")
    full = kind == "payment-roll" and request.args.get("full") == "1"
    with db().unit_of_work(write=full) as uow:
        s = uow.session
        if kind == "monthly":
            table = monthly_report(s, current_principal(), month, assistance_type, county_id)
        elif full:
            table = payment_roll_with_id_numbers(s, current_principal(), clock().now(), month,
                                                         assistance_type, county_id, export_format,
                                                         request.remote_addr)
            uow.commit()  # the reveal is recorded before a single number leaves
        else:
            table = payment_roll(s, current_principal(), month, assistance_type, county_id)
    mime, ext = REPORT_FORMATS[export_format]
    body = to_xlsx(table) if export_format == "xlsx" else to_csv(table)
    from urllib.parse import quote
    response = current_app.response_class(body, mimetype=mime)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(table.title)}.{ext}"
    # Personal data: no copy in browser or proxy caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/supervisor/id-reveals")
@requires_role("county_supervisor")
def id_reveals():
    """Who has seen full ID numbers in the supervisor's county, newest first."""
    from engine import REVEALS_PAGE_SIZE, reveals_for_supervisor
    page = page_arg()
    with db().unit_of_work() as uow:
        s = uow.session
        rows = reveals_for_supervisor(s, current_principal(), page)
    return render_template("id_reveals.html", rows=rows, page=page, page_size=REVEALS_PAGE_SIZE)


@bp.route("/admin/incidents", methods=["GET", "POST"])
@requires_role("admin")
def incidents():
    """What the scheduler could not do, with a retry button."""
    if request.method == "POST":
        with db().unit_of_work(write=True) as uow:
            retry_incident(uow.session, clock(), int_arg(request.form, "incident_id", 0))
            uow.commit()
        flash(_("Queued again."), "success")
        return redirect(url_for("views.incidents"))
    with db().unit_of_work() as uow:
        s = uow.session
        rows = open_incidents(s)
    return render_template("incidents.html", rows=rows)


@bp.route("/processes")
@requires_role("designer", "admin", "county_supervisor")
def processes():
    """Deployed process versions (immutable; a version is its content hash)."""
    with db().unit_of_work() as uow:
        s = uow.session
        rows = deployed_versions(s)
    return render_template("processes.html", rows=rows)
