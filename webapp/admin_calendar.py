"""The admin's pages of dated data: the holiday calendar — which years are official (a State Council notice,
shipped or loaded) and which provisional (暂定), a year's notice uploaded as a data file, checked line by
line, installed, every open due date recomputed — and the county rules (read only)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import calendar_status, calendar_years, load_notice
from engine.errors import DataFileInvalid

from .admin import bp, uploaded_text
from .auth import current_principal, requires_role
from .db import clock, db


def _calendar_page(status: int = 200, **extra):
    today = clock().today()
    with db().unit_of_work() as uow:
        missing, provisional = calendar_status(uow.session, today)
    return render_template("admin/calendar.html", years=calendar_years(today), missing=missing,
                           provisional=provisional, **extra), status


@bp.route("/calendar", methods=["GET", "POST"])
@requires_role("admin")
def calendar():
    """The years and their notices; POST a notice file (the format of engine/calendar_data/cn-YYYY.toml)."""
    if request.method == "GET":
        return _calendar_page()
    text, file_name = uploaded_text("file")
    if not text.strip():
        flash(_("Choose a notice file (TOML, UTF-8)."), "error")
        return _calendar_page(400)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.toml"
        path.write_text(text, encoding="utf-8")
        try:
            with db().unit_of_work(write=True) as uow:
                year, result = load_notice(uow.session, current_principal(), clock(), path, file_name)
                uow.commit()
        except DataFileInvalid as exc:
            return _calendar_page(422, problems=exc.problems)
    flash(_("Loaded the %(year)s notice: due dates of %(tasks)s tasks and %(cases)s cases recomputed; "
            "%(left)s still provisional.", year=year, tasks=result.tasks, cases=result.cases,
            left=result.still_provisional), "success")
    return redirect(url_for("admin.calendar"))

