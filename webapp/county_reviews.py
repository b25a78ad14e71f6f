"""Supervision of delegated decisions: the county's monthly 抽查 with each review's verdict, the complaints'
home visits and the 备案 list of the month; and the 投诉/举报 a township or county user registers on a case."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import register_complaint, supervision_month
from engine.errors import FormInvalid

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import month_arg
from .pages import invalid_message, type_names

bp = Blueprint("county_reviews", __name__)


@bp.route("/supervision/reviews")
@requires_role("county", "county_supervisor")
def reviews():
    """A month's 抽查 of each supervised county (the approvals decided that month), its complaints' visits and
    its 备案 list; by default last month, the one the scheduler drew at the start of this one."""
    today = clock().today()
    default = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    month = month_arg(request.args, "month", default)
    with db().unit_of_work() as uow:
        counties = supervision_month(uow.session, current_principal(), month)
    types = type_names()
    return render_template("supervision/reviews.html", counties=counties, month=month, types=types)


@bp.route("/cases/<int:case_id>/complaint", methods=["POST"])
@requires_role("township", "county")
def complaint(case_id: int):
    """Register a 投诉/举报 on a case in its 公示 or 审核确认 phase: the county's home visit starts."""
    try:
        with db().unit_of_work(write=True) as uow:
            register_complaint(uow.session, current_principal(), clock(), case_id, request.form.get("kind", ""),
                               request.form.get("complaint", ""))
            uow.commit()
    except FormInvalid as exc:
        flash(invalid_message(exc), "error")
        from .cases import _case_page
        with db().unit_of_work() as uow:
            return _case_page(uow.session, case_id, 422)
    flash(_("Registered: the county's home visit has started; the township's decision waits for its result."),
          "success")
    return redirect(url_for("cases.case", case_id=case_id), 303)
