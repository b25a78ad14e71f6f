"""The household's dossier (一户一档): one page with everything the registry knows, and its archive."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import (SELF_CARE_REPORTERS, age_on, household_archive, household_file, household_registrations, record_death,
                    report_self_care_change)
from engine.errors import FormInvalid
from .attachments import blobs
from .auth import current_principal
from .db import clock, db
from .pages import is_zh

bp = Blueprint("households", __name__)


@bp.route("/households/<int:household_id>")
def dossier(household_id: int):
    """Members and their history, every application and benefit, documents, attachments, a timeline."""
    return _dossier_page(household_id)


def _dossier_page(household_id: int):
    with db().unit_of_work() as uow:
        file = household_file(uow.session, current_principal(), household_id)
        window_items = household_registrations(uow.session, current_principal(), household_id, clock().today())
    return render_template("households/dossier.html", file=file, today=clock().today(), age_on=age_on,
                           window_items=window_items)


@bp.route("/households/<int:household_id>/archive.zip")
def archive(household_id: int):
    """The dossier as a ZIP for the files (档案): an index, the documents as PDF, the attachments."""
    with db().unit_of_work(write=True) as uow:  # the export is recorded in the security audit trail
        name, content = household_archive(uow.session, current_principal(), household_id, clock().now(),
                                          blobs().get, request.remote_addr)
        uow.commit()
    return Response(content, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


@bp.route("/households/<int:household_id>/deaths", methods=["POST"])
def report_death(household_id: int):
    """The township records a member's death; the review it starts (低保: within 3 months) is linked back."""
    try:
        person_id = int(request.form.get("person_id", ""))
        died_on = date.fromisoformat(request.form.get("died_on", ""))
        new_head = request.form.get("new_head_id", "").strip()
        new_head_id = int(new_head) if new_head else None   # blank: the documented rule names the new head
    except ValueError:
        flash(_("Choose the member and enter the date of death (YYYY-MM-DD)."), "error")
        return _dossier_page(household_id), 400
    try:
        with db().unit_of_work(write=True) as uow:
            done = record_death(uow.session, current_principal(), clock(), household_id, person_id, died_on,
                                new_head_id)
            uow.commit()
    except FormInvalid as refused:   # the new head picked is not a living (adult) member: nothing recorded
        for message in refused.errors_in(is_zh()).values():
            flash(message, "error")
        return _dossier_page(household_id), 422
    if not done.recorded:
        flash(_("This death was already recorded; nothing new was started."), "info")
    elif done.started or done.hastened:
        flash(_("Death recorded. Review %(cases)s must be completed by %(due)s.",
                cases="、".join(done.started + done.hastened), due=done.due_on), "success")
    elif not done.stopped:
        flash(_("Death recorded. The household holds no benefit that a death puts under review."), "success")
    if done.stopped:
        flash(_("The person's own benefits (cases %(cases)s) stop from the month after the death.",
                cases="、".join(done.stopped)), "success")
    if done.terminated:
        flash(_("The death ends cases %(cases)s of the person: terminated, their open tasks withdrawn.",
                cases="、".join(done.terminated)), "success")
    if done.referrals_ended:
        flash(_("The death ends the window's referrals %(numbers)s for the person.",
                numbers="、".join(done.referrals_ended)), "success")
    if done.new_head:
        flash(_("%(name)s is the household's new head.", name=done.new_head), "success")
    if done.holders_changed:
        flash(_("The household's benefits (cases %(cases)s) are now paid to %(name)s.",
                cases="、".join(done.holders_changed), name=done.holder), "success")
    return redirect(url_for("households.dossier", household_id=household_id))


@bp.route("/households/<int:household_id>/benefits/<int:recipient_id>/self-care-change", methods=["POST"])
def report_self_care(household_id: int, recipient_id: int):
    """A reported change in a 特困 person's self-care ability: the re-assessment (10 working days) starts."""
    reported_by, report = request.form.get("reported_by", ""), (request.form.get("change_report") or "").strip()
    if reported_by not in SELF_CARE_REPORTERS or not 4 <= len(report) <= 2000:
        flash(_("Say who reported the change and describe it (4 to 2000 characters)."), "error")
        return _dossier_page(household_id), 400
    with db().unit_of_work(write=True) as uow:
        started = report_self_care_change(uow.session, current_principal(), clock(), recipient_id, reported_by,
                                          report, household_id)
        uow.commit()
    flash(_("Re-assessment %(case)s started: due within 10 working days.", case=started.number), "success")
    return redirect(url_for("cases.case", case_id=started.id))
