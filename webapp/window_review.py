"""The joint review (会审) pages, on the window's blueprint: a department's projects and their submission, the
联席会议办公室's initial review, the meeting screen (every member unit's opinion and the decision per project, one
signed record) and the report to the government."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import (hold_joint_review, joint_review_agenda, joint_review_meeting, joint_review_meetings,
                    joint_review_members,
                    joint_review_projects, project_submitters, review_project, submit_project)
from engine.errors import Conflict, FormInvalid

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import InputRefused, int_arg
from .window import LIAISON_ROLES, bp
from .pages import invalid_message, is_zh
from .window_labels import department_name

OFFICE = "county"


def _year() -> int:
    this_year = clock().today().year
    return int_arg(request.values, "year", this_year, this_year - 10, this_year + 1)


@bp.route("/window/projects", methods=["GET", "POST"])
@requires_role(*LIAISON_ROLES, OFFICE)
def projects():
    """A department's planned projects with budgets: the list, and a new one (or a returned one) submitted."""
    principal = current_principal()
    errors: dict = {}
    status = 200
    editing = int_arg(request.values, "project_id", None, 1)
    if request.method == "POST":
        fields = {k: request.form.get(k, "") for k in ("department", "year", "name", "description", "budget",
                                                       "beneficiaries")}
        try:
            with db().unit_of_work(write=True) as uow:
                submit_project(uow.session, principal, clock(), fields, editing)
                uow.commit()
        except FormInvalid as exc:
            errors, status = exc.errors_in(is_zh()), 422
            flash(_("The form has errors; please correct them."), "error")
        except Conflict:
            errors, status = {"_form": _("This project has been reviewed already and can no longer be changed.")}, 409
            flash(errors["_form"], "error")
        else:
            flash(_("Project submitted to the joint-review office."), "success")
            return redirect(url_for("window.projects"), 303)
    with db().unit_of_work() as uow:
        s = uow.session
        rows = joint_review_projects(s, principal)
        places = project_submitters(principal)
    values = request.form if request.method == "POST" else next(
        ({k: str(v if v is not None else "") for k, v in r.items()} for r in rows if r["id"] == editing), {})
    return render_template("window/projects.html", rows=rows, errors=errors, values=values, editing=editing,
                           departments=[(d, department_name(d)) for d in sorted({d for d, _c in places})],
                           year=clock().today().year), status


@bp.route("/window/joint-review")
@requires_role(OFFICE, "county_supervisor")
def joint_review():
    """The office's list: the county's projects of a year by status, the initial review, the meetings."""
    return _joint_review_page(_year())


def _joint_review_page(year: int, status: int = 200):
    with db().unit_of_work() as uow:
        s = uow.session
        rows = joint_review_projects(s, current_principal(), year)
        past = joint_review_meetings(s, current_principal())
    return render_template("window/joint_review.html", rows=rows, meetings=past, year=year,
                           office=current_principal().has_role(OFFICE)), status


@bp.route("/window/joint-review/projects/<int:project_id>", methods=["POST"])
@requires_role(OFFICE)
def initial_review(project_id: int):
    """初审: pass a project to the joint review or return it to its department with what to change."""
    decision = request.form.get("decision", "")
    if decision not in ("pass", "return"):
        raise InputRefused("unknown decision", "未知的初审意见")
    try:
        with db().unit_of_work(write=True) as uow:
            review_project(uow.session, current_principal(), clock(), project_id, decision,
                           request.form.get("note", ""))
            uow.commit()
    except FormInvalid as exc:  # nothing written: the list again with what is missing
        flash(invalid_message(exc), "error")
        return _joint_review_page(_year(), 422)
    except Conflict:
        flash(_("This project has been reviewed already."), "error")
        return _joint_review_page(_year(), 409)
    flash(_("Initial review recorded."), "success")
    return redirect(url_for("window.joint_review"), 303)


@bp.route("/window/joint-review/meeting", methods=["GET", "POST"])
@requires_role(OFFICE)
def joint_review_meeting_page():
    """The meeting screen: the members present, and for each project on the agenda every present member's
    opinion and the decision; recorded and signed once, with the report to the government."""
    principal = current_principal()
    year = _year()
    errors: dict[str, str] = {}
    with db().unit_of_work() as uow:
        members = joint_review_members(uow.session, principal)
    if request.method == "POST":
        present = request.form.getlist("present")
        try:
            with db().unit_of_work(write=True) as uow:
                decisions = {}
                for project in joint_review_agenda(uow.session, principal, year):
                    pid = project["id"]
                    if request.form.get(f"include-{pid}"):
                        rest = request.form.get(f"opinion_rest-{pid}", "")  # the units left blank: one choice
                        decisions[pid] = {
                            "opinions": {m.code: request.form.get(f"opinion-{pid}-{m.code}") or rest for m in members},
                            "decision": request.form.get(f"decision-{pid}", ""),
                            "approved_budget": request.form.get(f"approved_budget-{pid}", ""),
                            "note": request.form.get(f"note-{pid}", "")}
                meeting_id = hold_joint_review(uow.session, principal, clock(), year,
                                               request.form.get("attendees", ""), present, decisions)
                uow.commit()
        except FormInvalid as exc:  # leaving the unit of work rolled the whole meeting back
            errors = exc.errors_in(is_zh())
            flash(invalid_message(exc), "error")
        except Conflict:
            errors = {"_form": _("A project on the agenda was decided meanwhile; the agenda is shown again.")}
            flash(errors["_form"], "error")
        else:
            flash(_("Joint review recorded and signed."), "success")
            return redirect(url_for("window.joint_review_report", meeting_id=meeting_id), 303)
    with db().unit_of_work() as uow:
        agenda = joint_review_agenda(uow.session, principal, year)
    values = request.form if request.method == "POST" else None
    return render_template("window/joint_review_meeting.html", agenda=agenda, members=members, year=year,
                           errors=errors, values=values), (422 if errors else 200)


@bp.route("/window/joint-review/meetings/<int:meeting_id>/report")
@requires_role(OFFICE, "county_supervisor")
def joint_review_report(meeting_id: int):
    """The printable report to the government (专题汇报) of one joint review."""
    with db().unit_of_work() as uow:
        meeting = joint_review_meeting(uow.session, current_principal(), meeting_id)
    return render_template("window/document.html", body=meeting.report, title=_("Report to the government"),
                           number=meeting.report_number, back=url_for("window.joint_review", year=meeting.year))
