"""The admin's places pages: the tree of provinces → counties → townships/streets → villages/communities,
adding and renaming a unit, putting a county under its province, and loading a whole county from a places
file (a dry run and its report first)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import (CODE_DIGITS, NAME_MAX, add_place, load_places_file, move_county, place_path, places_under,
                    provinces_for, read_places, rename_place)
from engine.errors import DataFileInvalid, FormInvalid

from .admin import bp, uploaded_text
from .auth import current_principal, requires_role
from .db import clock, db
from .limits import int_arg
from .pages import is_zh

CHILD_LEVEL = {None: "county", "province": "county", "county": "township", "township": "village"}


def _tree_page(unit_id: int | None, errors: dict | None = None, values: dict | None = None, status: int = 200):
    with db().unit_of_work() as uow:
        s = uow.session
        path = place_path(s, unit_id) if unit_id is not None else []
        children = places_under(s, unit_id)
        unit = path[-1] if path else None
        provinces = [(p.id, p.code, p.name) for p in provinces_for(s, unit)] if unit and unit.level == "county" else []
    child_level = CHILD_LEVEL.get(unit.level if unit else None)
    return render_template("admin/places.html", unit=unit, path=path, children=children, child_level=child_level,
                           code_digits=CODE_DIGITS, name_max=NAME_MAX, errors=errors or {}, provinces=provinces,
                           values=values or {}), status


@bp.route("/places")
@requires_role("admin")
def places():
    """The provinces and the counties in none, each a link to the units below; a form to add either."""
    return _tree_page(None)


@bp.route("/places/<int:unit_id>")
@requires_role("admin")
def place(unit_id: int):
    """One unit: the units under it, a form to add one, and a form to rename it."""
    return _tree_page(unit_id)


@bp.route("/places/add", methods=["POST"])
@requires_role("admin")
def add_place_view():
    """Add a county (no parent), a township/street under a county or a village/community under a township."""
    parent_id = int_arg(request.form, "parent_id", None)
    code, name = request.form.get("code", ""), request.form.get("name", "")
    try:
        with db().unit_of_work(write=True) as uow:
            add_place(uow.session, current_principal(), clock().now(), parent_id, code, name)
            uow.commit()
    except FormInvalid as exc:
        return _tree_page(parent_id, exc.errors_in(is_zh()), {"code": code, "name": name}, 422)
    flash(_("Added %(name)s (%(code)s).", name=name.strip(), code=code.strip()), "success")
    return redirect(url_for("admin.place", unit_id=parent_id) if parent_id else url_for("admin.places"))


@bp.route("/places/<int:unit_id>/province", methods=["POST"])
@requires_role("admin")
def move_county_view(unit_id: int):
    """Put a county under its province (or under none): the province's supervisors then supervise it."""
    province_id = int_arg(request.form, "province_id", None)
    try:
        with db().unit_of_work(write=True) as uow:
            changed = move_county(uow.session, current_principal(), clock().now(), unit_id, province_id)
            uow.commit()
    except FormInvalid as exc:
        return _tree_page(unit_id, exc.errors_in(is_zh()), None, 422)
    flash(_("The county's province is changed.") if changed else _("The county's province is unchanged."),
          "success" if changed else "info")
    return redirect(url_for("admin.place", unit_id=unit_id))


@bp.route("/places/<int:unit_id>/rename", methods=["POST"])
@requires_role("admin")
def rename_place_view(unit_id: int):
    """Rename a unit (its code stays); every page shows the new name."""
    name = request.form.get("name", "")
    try:
        with db().unit_of_work(write=True) as uow:
            changed = rename_place(uow.session, current_principal(), clock().now(), unit_id, name)
            uow.commit()
    except FormInvalid as exc:
        return _tree_page(unit_id, {f"rename_{k}": v for k, v in exc.errors_in(is_zh()).items()}, {"rename": name}, 422)
    flash(_("Renamed to %(name)s.", name=name.strip()) if changed else _("The name is unchanged."),
          "success" if changed else "info")
    return redirect(url_for("admin.place", unit_id=unit_id))


@bp.route("/places/upload", methods=["GET", "POST"])
@requires_role("admin")
def upload_places():
    """Load a places file as ``jiuzhu load-places`` does: checked and tried (a dry run, nothing saved), its
    report shown, then loaded when the admin confirms."""
    if request.method == "GET":
        return render_template("admin/places_upload.html")
    confirm = request.form.get("action") == "load"
    if confirm:
        text, file_name = request.form.get("content", ""), request.form.get("file_name", "")[:100] or "places.toml"
    else:
        text, file_name = uploaded_text("file")
    if not text.strip():
        flash(_("Choose a places file (TOML, UTF-8)."), "error")
        return render_template("admin/places_upload.html"), 400
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "places.toml"
        path.write_text(text, encoding="utf-8")
        try:
            source = read_places(path, file_name)
            with db().unit_of_work(write=True) as uow:
                report = load_places_file(uow.session, current_principal(), clock().now(), source, file_name)
                if confirm:
                    uow.commit()  # else the dry run's changes are rolled back as the block ends
        except DataFileInvalid as exc:
            return render_template("admin/places_upload.html", problems=exc.problems, file_name=file_name), 422
    if confirm:
        flash(_("Loaded %(file)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
                file=file_name, created=len(report.created), updated=len(report.updated),
                unchanged=report.unchanged), "success")
        return redirect(url_for("admin.places"))
    return render_template("admin/places_upload.html", report=report, content=text, file_name=file_name)
