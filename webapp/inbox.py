"""The work of a person's role and place: the inbox, a task and its operations (认领, 转办, 退回, 撤回), the review
panel's meeting."""
from __future__ import annotations

from datetime import timedelta
from engine import (COUNT_CAP, INBOX_WITHIN_MAX, attachment_panel, inbox_without, parse_inbox_filters, saved_filters, FLAG_NOTE_MAX, PAGE_SIZE, case_file, case_form, case_view, decide_flag, hold_panel_meeting,
                    inbox_rows, notifications_for, panel_agenda, panel_meetings, refresh_case_flags, task_for, task_schema)
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from engine import (MAX_BATCH, REASON_MAX, claim_task, colleagues, complete_task, earlier_entries,
                    hand_over, held_by, holders, inbox_counts, next_task_for, reassign_task, release_task, send_back,
                    mark_notifications_read, notification_centre, notification_kinds, sent_back_note, task_operations, withdraw,
                    withdrawable)
from engine import (add_cosigner, delegate_task, recall_delegation, remove_cosigner, request_correction,
                    return_delegation, returned_delegation, sign_off)
from engine.errors import FormInvalid
from engine import coerce_html_form, errors_for_html_form
from engine import get_version

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import InputRefused, int_arg, page_arg
from .notification_texts import KIND_NAMES


from .pages import (FORM_CONTROL_FIELDS, ROWS_CONTROL, bound_view, delete_list_filter, invalid_message, is_zh, note_unread,
                    render_rows_changed, save_list_filter)

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


INBOX_FILTER_KEYS = ("held", "type", "step", "village", "due", "within", "due_from", "due_to")


@bp.route("/inbox")
def inbox():
    """My open tasks, most urgent (or oldest) first, with the filters and each option's count, and the saved
    filters (mine and those shared in my unit) with their live counts. A wrong filter is a 422 naming it."""
    page = page_arg()
    int_arg(request.args, "village", None, 1)  # numbers as every list checks them (400), the rest 422
    int_arg(request.args, "within", None, 1, INBOX_WITHIN_MAX)
    filters = parse_inbox_filters(request.args)
    today = clock().today()
    principal = current_principal()
    with db().unit_of_work() as uow:
        s = uow.session
        rows = inbox_rows(s, principal, today, filters, page)
        counts = inbox_counts(s, principal, today, filters)
        total = counts["total"]  # the facets' grouped statement counts the filtered inbox too
        notes = notifications_for(s, principal, limit=5, besides="new_task")  # the list below shows new tasks
        saved = saved_filters(s, principal, today, "inbox")
        note_unread(s)
    return render_template("inbox/inbox.html", rows=rows, total=total, page=page, page_size=PAGE_SIZE,
                           count_cap=COUNT_CAP, today=today, notes=notes, filters=filters, query=filters.to_query(),
                           without=inbox_without, choose=lambda dim, key: {**inbox_without(filters, dim).to_query(),
                                                                           dim: str(key)},
                           from_case=int_arg(request.args, "from_case", None, 1),
                           counts=counts, saved=saved,
                           week_end=today + timedelta(days=6 - today.weekday()))


@bp.route("/inbox/filters", methods=["POST"])
def save_inbox_filter():
    """Save the inbox's filters (the form's hidden fields) under a name, for oneself or the whole unit."""
    return save_list_filter("inbox", INBOX_FILTER_KEYS, parse_inbox_filters, inbox, "inbox.inbox")


@bp.route("/inbox/filters/<int:filter_id>/delete", methods=["POST"])
def delete_inbox_filter(filter_id: int):
    """Delete one of one's own saved inbox filters."""
    return delete_list_filter(filter_id, "inbox.inbox")


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
                     address=request.remote_addr, case_row=view.case, events=view.events)
    note = sent_back_note(s, task.case_id, task_id, view.events) if task.status == "open" else None
    if note is not None and form_values is None:  # open again: start from what was entered last time
        form_values = earlier_entries(s, principal, task.case_id, task.task_name, schema)
    note_unread(s)
    delegation = returned_delegation(s, task.case_id, task_id, view.events) if task.status == "open" else None
    if delegation is not None and form_values is None:  # 委派 returned: what the delegate entered
        form_values = delegation["data"]
    return {"task": task, "view": view, "schema": schema, "values": form_values or {}, "errors": errors or {},
            "today": clock().today().isoformat(), "file": file, "flag_note_max": FLAG_NOTE_MAX,
            "attachments": attachment_panel(s, principal, case_id=task.case_id),
            "ops": task_operations(s, principal, task_id, clock().today(), view.workflow), "sent_back": note,
            "delegation": delegation, "reason_max": REASON_MAX,
            "from_case": int_arg(request.args, "from_case", None, 1),
            "can_withdraw": task.status == "completed" and getattr(withdrawable(s, principal, task.case_id), "id",
                                                                   None) == task_id}


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
            return _form_refused(task_id, exc)
        flash(_("Step completed."), "success")
        return redirect(_next_after(case_id))
    with db().unit_of_work(write=True) as uow:  # writes only the record of a full-ID-number view
        ctx = _task_context(uow.session, task_id, record_reveal=True)
        uow.commit()
    return render_template("inbox/task.html", **ctx)


def _form_refused(task_id: str, exc: FormInvalid):
    """The task page again with the submitted form and its errors (422)."""
    with db().unit_of_work() as uow:
        ctx = _task_context(uow.session, task_id, request.form)
    ctx["errors"] = errors_for_html_form(ctx["schema"] or {}, request.form, exc.errors_in(is_zh()))
    if "_flags" in exc.errors:  # the benefit cannot register while a flag awaits the decision
        flash(exc.errors_in(is_zh())["_flags"], "error")
    flash(exc.message_in(is_zh(), _("The form has errors; please correct them.")), "error")
    return render_template("inbox/task.html", **ctx), 422


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
        flash(invalid_message(exc) if is_zh() else _("Choose a decision and give a reason."), "error")
        with db().unit_of_work() as uow:
            ctx = _task_context(uow.session, task_id)
        return render_template("inbox/task.html", **ctx), 422
    flash(_("Decision recorded."), "success")
    return redirect(url_for("inbox.task", task_id=task_id) + "#flags", 303)


def _next_after(case_id: int) -> str:
    """Where a clerk goes after completing a step: their next task (with a link back to the case), else the inbox."""
    with db().unit_of_work() as uow:
        next_id = next_task_for(uow.session, current_principal(), case_id)
    if next_id is None:
        return url_for("inbox.inbox", from_case=case_id)
    return url_for("inbox.task", task_id=next_id, from_case=case_id)


# The operations a task page offers: (use case, the form fields it takes, where to go after it).
_OPERATIONS = {
    "claim": (claim_task, (), "task"), "release": (release_task, (), "task"),
    "reassign": (reassign_task, ("to_user_id", "reason"), "inbox"),
    "send-back": (send_back, ("target_task_id", "reason"), "inbox"),
    "withdraw": (withdraw, (), "task"),
    "delegate": (delegate_task, ("to_user_id", "reason"), "inbox"),
    "recall-delegation": (recall_delegation, (), "task"),
    "add-cosigner": (add_cosigner, ("user_id", "reason"), "task"),
    "remove-cosigner": (remove_cosigner, ("user_id",), "task"),
    "sign-off": (sign_off, ("opinion",), "inbox"),
    "request-correction": (request_correction, ("missing_materials", "reason"), "inbox"),
}
_USER_FIELDS = ("to_user_id", "user_id")
_DONE = {"claim": lambda: _("Task claimed."), "release": lambda: _("Task released to the shared queue."),
         "reassign": lambda: _("Task reassigned."), "send-back": lambda: _("Case sent back."),
         "withdraw": lambda: _("Completion withdrawn; the step is open again."),
         "delegate": lambda: _("Task delegated."), "recall-delegation": lambda: _("Delegation recalled."),
         "add-cosigner": lambda: _("Co-signer added."), "remove-cosigner": lambda: _("Co-signer removed."),
         "sign-off": lambda: _("Signed off."),
         "request-correction": lambda: _("One-time notice issued; the case waits for the applicant's correction.")}


def task_operation(task_id: str, operation: str):
    """An operation on a task: 认领, 释放, 转办, 退回, 撤回 (of one's own completion). Refusals are the
    app's 403/404/409 pages; a missing reason re-shows the task page (422)."""
    use_case, fields, then = _OPERATIONS[operation]
    args = [int_arg(request.form, f, None, 1) if f in _USER_FIELDS else request.form.get(f, "") for f in fields]
    try:
        with db().unit_of_work(write=True) as uow:
            case_id = use_case(uow.session, current_principal(), clock(), task_id, *args)
            uow.commit()
    except FormInvalid as exc:
        flash(invalid_message(exc), "error")
        with db().unit_of_work() as uow:
            ctx = _task_context(uow.session, task_id)
        return render_template("inbox/task.html", **ctx), 422
    flash(_DONE[operation](), "success")
    if then == "task":
        return redirect(url_for("inbox.task", task_id=task_id), 303)
    return redirect(url_for("inbox.inbox", from_case=case_id), 303)


for _operation in _OPERATIONS:  # one rule (and endpoint, inbox.task_send_back …) per operation
    bp.add_url_rule(f"/tasks/<task_id>/{_operation}", f"task_{_operation.replace('-', '_')}",
                    bound_view(task_operation, operation=_operation), methods=["POST"])


@bp.route("/tasks/<task_id>/return-delegation", methods=["POST"])
def task_return_delegation(task_id: str):
    """交回: the delegate returns the task's form filled in to the delegator (validated as a submission)."""
    try:
        with db().unit_of_work(write=True) as uow:
            case_id = return_delegation(uow.session, current_principal(), clock(), task_id, request.form,
                                        coerce=_coerce_form)
            uow.commit()
    except FormInvalid as exc:
        return _form_refused(task_id, exc)
    flash(_("Returned to the delegator."), "success")
    return redirect(url_for("inbox.inbox", from_case=case_id), 303)


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
            errors = exc.errors_in(is_zh())
            flash(invalid_message(exc), "error")
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


@bp.route("/handover", methods=["GET", "POST"])
def handover():
    """批量转办: the tasks a colleague holds (a departing clerk), listed first (the dry run), then handed to
    another colleague in one go, the list shown being exactly what is handed over, with a result per task."""
    principal = current_principal()
    source = request.form if request.method == "POST" else request.args
    from_user = int_arg(source, "from_user", None, 1)
    results = None
    errors: dict[str, str] = {}
    with db().unit_of_work(write=request.method == "POST") as uow:
        s = uow.session
        if request.method == "POST" and from_user is not None:
            try:
                results = hand_over(s, principal, clock(), from_user, int_arg(request.form, "to_user_id", 0, 0),
                                    request.form.get("reason", ""), request.form.getlist("task_id")[:MAX_BATCH])
                uow.commit()
            except FormInvalid as exc:
                errors = exc.errors_in(is_zh())
                flash(invalid_message(exc), "error")
        people = holders(s, principal)
        selection = held_by(s, principal, from_user) if from_user is not None and results is None else []
        targets = [] if from_user is None else _colleagues_for(s, principal, from_user)
    return render_template("inbox/handover.html", people=people, from_user=from_user, selection=selection,
                           targets=targets, results=results, reason_max=REASON_MAX,
                           values=request.form), (422 if errors else 200)


def _colleagues_for(s, principal, from_user: int) -> list:
    """Whom the held tasks may go to: the colleagues of the first of them (the same role and unit)."""
    first = held_by(s, principal, from_user)[:1]
    return [c for c in colleagues(s, principal, first[0].task_id) if c.id != from_user] if first else []


NOTIFICATION_KINDS = tuple(KIND_NAMES)


@bp.route("/notifications")
def notifications():
    """The notification centre: new tasks, reminders, overdue tasks, tasks reassigned or sent back, urgings,
    lodged objections, newest first, the unread marked, with a count per kind; opening it unfiltered marks
    them read (a kind's view marks nothing: the other kinds' news stays news)."""
    kind = _notification_kind(request.args)
    with db().unit_of_work(write=True) as uow:
        by_kind = notification_kinds(uow.session, current_principal())
        notes = notification_centre(uow.session, current_principal(), clock().now() if kind is None else None,
                                    kind=kind)
        uow.commit()
    return render_template("inbox/notifications.html", notes=notes, kind=kind, by_kind=by_kind)


def _notification_kind(source) -> str | None:
    kind = source.get("kind") or None
    if kind is not None and kind not in NOTIFICATION_KINDS:
        raise InputRefused("kind must be a notification kind", "通知类别应为列表中的一项")
    return kind


@bp.route("/notifications/read", methods=["POST"])
def notifications_read():
    """Mark every notification read (the centre's button; the header's count goes to zero), then the centre
    (of the kind it showed)."""
    kind = _notification_kind(request.form)
    with db().unit_of_work(write=True) as uow:
        mark_notifications_read(uow.session, current_principal(), clock().now())
        uow.commit()
    flash(_("All notifications marked read."), "success")
    return redirect(url_for("inbox.notifications", kind=kind), 303)
