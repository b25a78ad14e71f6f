"""The work of a person's role and place: the inbox, a task, the review panel's meeting."""
from __future__ import annotations

from datetime import timedelta

from engine import (COUNT_CAP, attachment_panel, FLAG_NOTE_MAX, PAGE_SIZE, case_file, case_form, case_view, decide_flag, hold_panel_meeting,
                    inbox_tasks, notifications_for, panel_agenda, panel_meetings, refresh_case_flags, task_for, task_schema)
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from engine import complete_task
from engine.errors import FormInvalid
from engine import coerce_html_form, errors_for_html_form
from engine import get_version

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import page_arg


from .pages import FORM_CONTROL_FIELDS, ROWS_CONTROL, is_zh, render_rows_changed

bp = Blueprint("inbox", __name__)


@bp.route("/")
def home():
    """Send each person to their main page."""
    principal = current_principal()
    if principal.has_role("county_supervisor"):
        return redirect(url_for("supervision.supervisor"))
    if not principal.staff_units and any(role.startswith("dept_") for role, _unit in principal.roles):
        return redirect(url_for("window.referrals"))
    if principal.has_role("designer") and not principal.staff_units:
        return redirect(url_for("designer.processes"))
    return redirect(url_for("inbox.inbox"))


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
    return render_template("inbox/inbox.html", rows=rows, total=total, page=page, page_size=PAGE_SIZE,
                           count_cap=COUNT_CAP, today=today, notes=notes, by_urgency=by_urgency,
                           week_end=today + timedelta(days=6 - today.weekday()))


def _task_context(s, task_id, form_values=None, errors=None, record_reveal=False):
    """The task, its case and the household file. ``record_reveal``: the unit of work writes, so a checking
    step may show county staff the members' full ID numbers (each showing recorded); else all masked."""
    principal = current_principal()
    task = task_for(s, principal, task_id)
    view = case_view(s, principal, task.case_id)
    version = get_version(s, view.case.process_version_id)
    schema = version.forms.get(task.form_key) if task.form_key else None
    if record_reveal and task.status == "open":  # a benefit granted since the last step is flagged now
        refresh_case_flags(s, task.case_id, clock().today(), clock().now())
    file = case_file(s, principal, task.case_id, task.task_name if task.status == "open" else None,
                     now=clock().now() if record_reveal and task.status == "open" else None,
                     address=request.remote_addr)
    return {"task": task, "view": view, "schema": schema, "values": form_values or {}, "errors": errors or {},
            "today": clock().today().isoformat(), "file": file, "flag_note_max": FLAG_NOTE_MAX,
            "attachments": attachment_panel(s, principal, case_id=task.case_id)}


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
def task(task_id: str):
    """The task page: case summary, history, the form; POST completes the task."""
    if request.method == "POST" and ROWS_CONTROL in request.form:
        with db().unit_of_work() as uow:
            ctx = _task_context(uow.session, task_id)
        return render_rows_changed("inbox/task.html", ctx, ctx["schema"])
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
            if "_flags" in exc.errors:  # the benefit cannot register while a flag awaits the decision
                flash(exc.errors["_flags"] if is_zh() else _("Decide on every duplicate and overlap check first."),
                      "error")
            flash(exc.message_zh if is_zh() else _("The form has errors; please correct them."), "error")
            return render_template("inbox/task.html", **ctx), 422
        flash(_("Step completed."), "success")
        return redirect(url_for("cases.case", case_id=case_id))
    with db().unit_of_work(write=True) as uow:  # writes only the record of a full-ID-number view
        ctx = _task_context(uow.session, task_id, record_reveal=True)
        uow.commit()
    return render_template("inbox/task.html", **ctx)


@bp.route("/tasks/<task_id>/print")
def task_print(task_id: str):
    """The task's file on paper: the household, every step's results, flags, attachments (IDs masked)."""
    with db().unit_of_work() as uow:
        ctx = _task_context(uow.session, task_id)
    return render_template("inbox/task_print.html", **ctx)


@bp.route("/tasks/<task_id>/flags/<int:flag_id>", methods=["POST"])
def decide_flag_view(task_id: str, flag_id: int):
    """The deciding official's decision on a duplicate/overlap flag of the task's case, with a reason."""
    principal = current_principal()
    try:
        with db().unit_of_work(write=True) as uow:
            task = task_for(uow.session, principal, task_id)
            decide_flag(uow.session, principal, clock(), flag_id, request.form.get("decision", ""),
                        request.form.get("decision_note", ""), case_id=task.case_id)
            uow.commit()
    except FormInvalid as exc:
        flash("；".join(exc.errors.values()) if is_zh() else _("Choose a decision and give a reason."), "error")
        with db().unit_of_work() as uow:
            ctx = _task_context(uow.session, task_id)
        return render_template("inbox/task.html", **ctx), 422
    flash(_("Decision recorded."), "success")
    return redirect(url_for("inbox.task", task_id=task_id) + "#flags", 303)


def _coerce_form(schema, form):
    return coerce_html_form(schema, form, FORM_CONTROL_FIELDS)


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
            return redirect(url_for("inbox.panel"))
    with db().unit_of_work() as uow:
        s = uow.session
        items = panel_agenda(s, principal)
        schema = case_form(s, items[0].case_id, "panel_decision") if items else None
        past = panel_meetings(s, principal)
        files = {i.id: case_file(s, principal, i.case_id) for i in items}  # each case's file, as the panel reads it
    return render_template("inbox/panel.html", items=items, schema=schema, errors=errors, values=request.form,
                           meetings=past, files=files), (422 if errors else 200)
