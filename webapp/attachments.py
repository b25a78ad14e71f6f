"""Scans of application materials (申请材料): the list and checklist of a case or household, the upload
form, and the one view that serves a scan's bytes (to those whose place covers it, nobody else)."""
from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from engine import (MAX_ATTACHMENT_BYTES, BlobStore, attachment_panel, case_view, fetch_attachment, household_file,
                    store_attachment, task_for)
from engine.errors import FormInvalid, NotFound

from .auth import current_principal
from .db import clock, db
from .limits import larger_body
from .pages import is_zh

bp = Blueprint("attachments", __name__)
UPLOAD_LIMIT = MAX_ATTACHMENT_BYTES + 64 * 1024  # one scan and the few fields around it
DIRECTORY_ENV = "JIUZHU_ATTACHMENTS_DIR"
# Whatever a browser makes of the bytes, it runs nothing of them and keeps no copy.
SERVED_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                  "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"}


def init_app(app: Flask) -> None:
    """The store of scans: ``ATTACHMENTS_DIR`` (or $JIUZHU_ATTACHMENTS_DIR, else instance/attachments),
    refused when it lies inside the static root, which is served to anyone."""
    root = Path(app.config.get("ATTACHMENTS_DIR") or os.environ.get(DIRECTORY_ENV)
                or os.path.join(app.instance_path, "attachments")).resolve()
    static = Path(app.static_folder).resolve()
    if root == static or static in root.parents:
        raise RuntimeError(f"attachments directory {root} is inside the static root {static}")
    app.extensions["jiuzhu.attachments"] = BlobStore(root)
    app.jinja_env.globals["max_attachment_mb"] = MAX_ATTACHMENT_BYTES // 1024 // 1024


def blobs() -> BlobStore:
    return current_app.extensions["jiuzhu.attachments"]


@bp.route("/cases/<int:case_id>/attachments", methods=["GET", "POST"])
@larger_body(UPLOAD_LIMIT)
def for_case(case_id: int):
    """A case's scans and checklist; POST files one (from the case page, or a step's page with task_id)."""
    return _upload({"case_id": case_id}) if request.method == "POST" else _page({"case_id": case_id})


@bp.route("/households/<int:household_id>/attachments", methods=["GET", "POST"])
@larger_body(UPLOAD_LIMIT)
def for_household(household_id: int):
    """A household's scans (every application's, and those of the household itself); POST files one for
    the household, shared by all its applications."""
    where = {"household_id": household_id}
    return _upload(where) if request.method == "POST" else _page(where)


def _page(where: dict, errors: dict | None = None, status: int = 200):
    principal = current_principal()
    with db().unit_of_work() as uow:
        panel = attachment_panel(uow.session, principal, **where)
        # The page's heading names whose scans they are: the case's number, else the household's.
        number = (case_view(uow.session, principal, panel.case_id).case.number if panel.case_id is not None
                  else household_file(uow.session, principal, panel.household_id).household.number)
    return render_template("attachments/page.html", panel=panel, errors=errors or {}, number=number,
                           task_id=request.form.get("task_id")), status


def _upload(where: dict):
    principal = current_principal()
    upload = request.files.get("file")
    task = None
    try:
        with db().unit_of_work(write=True) as uow:
            s = uow.session
            if request.form.get("task_id") and "case_id" in where:  # filed from a step's page, on that step
                task = task_for(s, principal, request.form["task_id"])
                if task.case_id != where["case_id"]:
                    raise NotFound("task of another case")
            attachment_id = store_attachment(
                s, principal, clock(), blobs(), **where, task_name=task.task_name if task else None,
                material=request.form.get("material", ""), filename=(upload.filename or "") if upload else "",
                content=upload.read() if upload else b"")
            uow.commit()
    except FormInvalid as exc:  # leaving the unit of work without commit() wrote nothing
        flash(exc.message_in(is_zh(), _("The scan was not filed; see the form below.")), "error")
        errors = exc.errors_in(is_zh())
        return _page(where, errors, 422)
    flash(_("Scan filed (no. %(id)s).", id=attachment_id), "success")
    if task is not None:
        return redirect(url_for("inbox.task", task_id=task.id), 303)
    if "case_id" in where:
        return redirect(url_for("cases.case", case_id=where["case_id"], _anchor="attachments"), 303)
    return redirect(url_for("attachments.for_household", **where), 303)


@bp.route("/attachments/<int:attachment_id>")
def download(attachment_id: int):
    """A scan's bytes, shown in the browser (``?download=1``: saved), to a user whose place covers it;
    404 for anyone else, as for an id that does not exist. Each view is recorded in the audit."""
    with db().unit_of_work(write=True) as uow:
        row, content = fetch_attachment(uow.session, current_principal(), clock().now(), blobs(), attachment_id,
                                        request.remote_addr)
        uow.commit()
    response = send_file(BytesIO(content), mimetype=row.media_type, download_name=row.filename,
                         as_attachment=request.args.get("download") == "1", conditional=False, etag=False)
    response.headers.update(SERVED_HEADERS)
    return response


@bp.errorhandler(413)
def too_large(_exc):
    """A body over the upload limit: the scan is too large (the body is refused before it is read)."""
    mb = MAX_ATTACHMENT_BYTES // 1024 // 1024
    message = (f"文件过大：每个扫描件不能超过 {mb} MB，请降低扫描分辨率或分页上传" if is_zh()
               else _("The file is too large: each scan may be at most %(mb)s MB.", mb=mb))
    return render_template("error.html", status=413, message=message), 413
