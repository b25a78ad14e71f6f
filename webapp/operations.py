"""The clerk's operations that are not on one task: 代理 (naming a standing proxy for one's leave) and 批量
(an operation over a selection by query, dry run first)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import (BATCH_OPERATIONS, MAX_BATCH, REASON_MAX, BatchQuery, batch_steps, cancel_proxy, colleagues, covered_tasks,
                    holders, proxies, run_batch, select_tasks, set_proxy)
from engine.errors import FormInvalid

from .auth import current_principal
from .db import clock, db
from .limits import int_arg
from .pages import invalid_message, is_zh

bp = Blueprint("operations", __name__)


@bp.route("/proxy", methods=["GET", "POST"])
def proxy():
    """代理: name a colleague of the same role and unit to act on one's held tasks from a date to a date; see
    one's proxies both ways and the tasks one covers today."""
    principal, errors = current_principal(), {}
    if request.method == "POST":
        try:
            with db().unit_of_work(write=True) as uow:
                set_proxy(uow.session, principal, clock(), int_arg(request.form, "proxy_id", None, 1),
                          request.form.get("starts_on", ""), request.form.get("ends_on", ""),
                          request.form.get("reason", ""))
                uow.commit()
        except FormInvalid as exc:
            errors = _period_errors(exc.errors_in(is_zh()), request.form)
            flash(invalid_message(exc), "error")
        else:
            flash(_("Proxy named."), "success")
            return redirect(url_for("operations.proxy"), 303)
    with db().unit_of_work() as uow:
        today = clock().today()
        mine = proxies(uow.session, principal, today)
        covered = covered_tasks(uow.session, principal, today)
    return render_template("operations/proxy.html", proxies=mine, covered=covered, errors=errors,
                           values=request.form, today=today.isoformat(), reason_max=REASON_MAX), \
        (422 if errors else 200)


def _period_errors(errors: dict, form) -> dict:
    """Both dates given, the engine's message on ``ends_on`` is about the period (no earlier than the start and
    today, at most a year long): the start may be what is wrong, so it is shown beside both dates."""
    try:
        date.fromisoformat(form.get("starts_on", "")), date.fromisoformat(form.get("ends_on", ""))
    except ValueError:
        return errors
    return {"starts_on": errors["ends_on"], **errors} if "ends_on" in errors else errors


@bp.route("/proxy/<int:proxy_id>/cancel", methods=["POST"])
def proxy_cancel(proxy_id: int):
    """Cancel one's proxy."""
    with db().unit_of_work(write=True) as uow:
        cancel_proxy(uow.session, current_principal(), clock(), proxy_id)
        uow.commit()
    flash(_("Proxy cancelled."), "success")
    return redirect(url_for("operations.proxy"), 303)


@bp.route("/batch", methods=["GET", "POST"])
def batch():
    """批量: choose an operation and a query; the dry run lists what it selects, the run takes exactly that
    list back and shows a result per task."""
    principal = current_principal()
    source = request.form if request.method == "POST" else request.args
    operation = source.get("operation") if source.get("operation") in BATCH_OPERATIONS else "reassign"
    results, errors, selection = None, {}, []
    try:
        query = BatchQuery.parse(source)
    except FormInvalid as exc:
        query, errors = BatchQuery(), exc.errors_in(is_zh())
        flash(invalid_message(exc), "error")
    with db().unit_of_work(write=request.method == "POST") as uow:
        s = uow.session
        if request.method == "POST" and not errors:
            params = {"to_user_id": int_arg(request.form, "to_user_id", None, 1),
                      "reason": request.form.get("reason", ""), "message": request.form.get("message", "")}
            try:
                results = run_batch(s, principal, clock(), operation, query,
                                    request.form.getlist("task_id")[:MAX_BATCH], params)
                uow.commit()
            except FormInvalid as exc:
                errors = exc.errors_in(is_zh())
                flash(invalid_message(exc), "error")
        if results is None:
            selection = select_tasks(s, principal, operation, query)
        targets = colleagues(s, principal, selection[0].task_id) if selection and operation == "reassign" else []
        people, steps = holders(s, principal), batch_steps(s, principal, operation)
    return render_template("operations/batch.html", operation=operation, operations=BATCH_OPERATIONS, query=query,
                           steps=steps,
                           selection=selection, results=results, targets=targets, people=people,
                           values=request.form, reason_max=REASON_MAX), (422 if errors else 200)
