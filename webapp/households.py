"""The household's dossier (一户一档): one page with everything the registry knows, and its archive."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from engine import age_on, household_archive, household_file, household_registrations
from .attachments import blobs
from .auth import current_principal
from .db import clock, db

bp = Blueprint("households", __name__)


@bp.route("/households/<int:household_id>")
def dossier(household_id: int):
    """Members and their history, every application and benefit, documents, attachments, a timeline."""
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
