"""Applications and cases: lodging, the case page, its documents, extending its time limit."""
from __future__ import annotations

import json
import re
import secrets
from engine import EVENT_KINDS, attachment_panel, case_view, document_for, filter_timeline, timeline_choices
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from engine import application_defaults, case_for_request_token, extend_deadline, start_application
from engine import REASON_MAX, resume_case, suspend_case, terminate_case, urge_task, withdrawable
from engine.errors import Duplicate, FormInvalid, NotFound
from engine import coerce_html_form, errors_for_html_form
from engine import place_of_village, villages_for
from engine import assistance_types, process_for
from engine import get_version, latest_version_id
from engine import case_supervision

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import InputRefused, int_arg


from .pages import FORM_CONTROL_FIELDS, ROWS_CONTROL, bound_view, invalid_message, is_zh, render_rows_changed

bp = Blueprint("cases", __name__)
# The new-application form's one-time token (see new_case); what secrets.token_urlsafe(24) gives.
REQUEST_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


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
        with db().unit_of_work(write=request.method == "POST" or "household_id" in request.args) as uow:
            s = uow.session
            villages = villages_for(s, principal.units_for("village"), principal.units_for("township"))
            if not villages:
                raise NotFound("no villages for this user")
            village_id = request.form.get("village_id", type=int) if request.method == "POST" else villages[0][0]
            if village_id not in {v[0] for v in villages}:
                village_id = None
            place = place_of_village(s, village_id or villages[0][0])
            process_id = process_for(assistance_type, place.county_code, place.township_code, clock().today(), s)
            version = get_version(s, latest_version_id(s, process_id))
            schema = version.forms.get(version.tasks.get("@start", {}).get("form_key"))
            ctx = {"types": types, "assistance_type": assistance_type, "villages": villages, "schema": schema,
                   "route_name": version.name, "values": request.form if request.method == "POST" else {},
                   "errors": {}, "today": clock().today().isoformat(),
                   "request_token": token or secrets.token_urlsafe(24)}
            if request.method == "GET":
                household_id = int_arg(request.args, "household_id", None, 1)
                if household_id is not None:  # a known household: start from the registry's record
                    ctx["values"] = application_defaults(s, principal, household_id, schema, clock().now(),
                                                         clock().today(), request.remote_addr)
                    uow.commit()
                return render_template("cases/new_case.html", **ctx)
            if ROWS_CONTROL in request.form:  # leaving the unit of work without commit() writes nothing
                return render_rows_changed("cases/new_case.html", ctx, schema)
            if village_id is None:
                ctx["errors"] = {"village_id": _("Choose a village or community in your area.")}
                return render_template("cases/new_case.html", **ctx), 422
            data = coerce_html_form(schema or {}, request.form, FORM_CONTROL_FIELDS)
            earlier = case_for_request_token(s, token) if token else None
            if earlier is not None:  # the same form sent again (a double click, a reload): one case
                flash(_("Application %(number)s was already lodged.", number=earlier.number), "info")
                return redirect(url_for("cases.case", case_id=earlier.id), 303)
            try:
                started = start_application(s, principal, clock(), assistance_type, village_id, data, token)
            except FormInvalid as exc:  # leaving the unit of work without commit() rolls it back
                ctx["errors"] = errors_for_html_form(schema or {}, request.form, exc.errors_in(is_zh()))
                flash(exc.message_in(is_zh(), _("The form has errors; please correct them.")), "error")
                return render_template("cases/new_case.html", **ctx), 422
            except Duplicate as exc:  # an open application or a benefit of the type: nothing lodged
                ctx["duplicate"] = exc
                flash(exc.message_in(is_zh(), _("Refused: this household or person already has an open "
                                                "application of this type or receives the benefit (case "
                                                "%(number)s).", number=exc.case_number)), "error")
                return render_template("cases/new_case.html", **ctx), 409
            uow.commit()
    except IntegrityError:
        # PostgreSQL: a concurrent submission of the same form won the unique token; show that case.
        with db().unit_of_work() as uow:
            earlier = case_for_request_token(uow.session, token) if token else None
        if earlier is None:
            raise
        return redirect(url_for("cases.case", case_id=earlier.id), 303)
    flash(_("Application %(number)s lodged.", number=started.number), "success")
    return redirect(url_for("cases.case", case_id=started.id))


def _request_token() -> str | None:
    token = request.form.get("request_token") if request.method == "POST" else None
    if token and not REQUEST_TOKEN.fullmatch(token):
        raise InputRefused("malformed request_token", "表单已损坏，请刷新页面后重新填写")
    return token or None


@bp.route("/cases/<int:case_id>")
def case(case_id: int):
    """The case page: events in order, open steps, and the diagram with progress."""
    with db().unit_of_work() as uow:
        return _case_page(uow.session, case_id)


def _case_page(s, case_id: int, status: int = 200):
    principal = current_principal()
    view = case_view(s, principal, case_id)
    event_kind = request.args.get("event_kind") or None
    if event_kind is not None and event_kind not in EVENT_KINDS:
        raise InputRefused("event_kind must be an event kind", "事件类别应为列表中的一项")
    actor = int_arg(request.args, "actor", None, 1)
    return render_template("cases/case.html", view=view, states_json=json.dumps(view.element_states),
                           entries=filter_timeline(view.timeline, event_kind, actor),
                           choices=timeline_choices(view.timeline), event_kind=event_kind, actor=actor,
                           attachments=attachment_panel(s, principal, case_id=case_id),
                           supervision=case_supervision(s, principal, case_id),
                           withdrawable=withdrawable(s, principal, case_id), reason_max=REASON_MAX), status


@bp.route("/cases/<int:case_id>/documents/<int:document_id>")
def document(case_id: int, document_id: int):
    """A printable document (文书) of the case."""
    with db().unit_of_work() as uow:
        s = uow.session
        doc = document_for(s, current_principal(), case_id, document_id)
    return render_template("cases/document.html", doc=doc, case_id=case_id)


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
        flash(invalid_message(exc), "error")
        with db().unit_of_work() as uow:
            return _case_page(uow.session, case_id, 422)
    flash(_("Time limit extended to %(day)s.", day=new_due.isoformat()), "success")
    return redirect(url_for("cases.case", case_id=case_id))


_CASE_OPERATIONS = {"suspend": (suspend_case, lambda: _("Case suspended; its time limits stand still.")),
                    "resume": (resume_case,
                               lambda: _("Case resumed; due dates moved on by the days it was suspended.")),
                    "terminate": (terminate_case, lambda: _("Case terminated; the notice was issued."))}


def case_operation(case_id: int, operation: str):
    """挂起, 恢复 or 终止 a case with a reason (who may: docs/architecture.md, the clerk's operations)."""
    use_case, done = _CASE_OPERATIONS[operation]
    try:
        with db().unit_of_work(write=True) as uow:
            use_case(uow.session, current_principal(), clock(), case_id, request.form.get("reason", ""))
            uow.commit()
    except FormInvalid as exc:
        flash(invalid_message(exc), "error")
        with db().unit_of_work() as uow:
            return _case_page(uow.session, case_id, 422)
    flash(done(), "success")
    return redirect(url_for("cases.case", case_id=case_id), 303)


for _operation in _CASE_OPERATIONS:  # cases.suspend, cases.resume, cases.terminate
    bp.add_url_rule(f"/cases/<int:case_id>/{_operation}", _operation, bound_view(case_operation, operation=_operation),
                    methods=["POST"])


@bp.route("/cases/<int:case_id>/urge", methods=["POST"])
def urge(case_id: int):
    """催办 an open step of the case (county staff or a county supervisor): its unit is notified."""
    try:
        with db().unit_of_work(write=True) as uow:
            urge_task(uow.session, current_principal(), clock(), request.form.get("task_id", "")[:64],
                      request.form.get("message", ""), case_id=case_id)
            uow.commit()
    except FormInvalid as exc:
        flash(invalid_message(exc), "error")
        with db().unit_of_work() as uow:
            return _case_page(uow.session, case_id, 422)
    flash(_("Urged: the step's unit has been notified."), "success")
    return redirect(url_for("cases.case", case_id=case_id), 303)
