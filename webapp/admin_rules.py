"""The admin's county rules: every county's and township's model per assistance type and dated parameters,
from processes/counties.toml and from the entries admins added, with the entry in force on a chosen date
marked per place; a form that adds an entry from a date (the values and the source of each), and the
retirement of an added entry."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import (APPEAL_FIELDS, APPEAL_REQUIRED, COUNTY_RULES_SOURCE, MAX_RULE_NOTE_CHARS, add_appeal_entry, add_rule_entry, appeal_edit_form,
                    counties_without_rules, set_up_county, county_rules, model_name,
                    retire_rule_entry, rule_edit_form, rule_field_name, rule_value_fields)
from engine.errors import FormInvalid

from .admin import bp
from .auth import current_principal, requires_role
from .db import clock, db
from .limits import date_arg
from .pages import invalid_message, is_zh


def _rules_page(status: int = 200, errors: dict | None = None):
    on = date_arg(request.args, "on")
    with db().unit_of_work() as uow:
        rows = county_rules(uow.session, clock().today(), on)
        without = counties_without_rules(uow.session)
    return render_template("admin/rules.html", counties=rows, without_rules=without, source=COUNTY_RULES_SOURCE, on=on or clock().today(),
                           today=clock().today(), errors=errors or {}, label=_label, model_label=_model_label,
                           fields=list(rule_value_fields("rules"))), status


def _label(name: str) -> str:
    return rule_field_name(name, is_zh())


def _model_label(model: str) -> str:
    return model_name(model, is_zh())


@bp.route("/rules")
@requires_role("admin")
def county_rules_page():
    """Each county's and township's model per assistance type from each date, and the dated parameters, from
    processes/counties.toml (with its line) and from the admins' entries (with who, when and why), the
    entries in force on ``?on=`` (today) marked per place."""
    return _rules_page()


def _edit_page(form: dict, values=None, errors: dict | None = None, status: int = 200):
    return render_template("admin/rule_edit.html", form=form, values=values if values is not None else form["values"],
                           errors=errors or {}, today=clock().today(), max_note=MAX_RULE_NOTE_CHARS,
                           label=_label, model_label=_model_label), status


@bp.route("/rules/edit", methods=["GET", "POST"])
@requires_role("admin")
def rule_edit():
    """GET: the form for a new entry of a county or township (``county``, ``township``, ``kind`` models or
    rules, ``from``), filled with the entry in force there then. POST: add it (nothing changes when refused)."""
    source = request.form if request.method == "POST" else request.args
    county, township, kind = (source.get("county") or "").strip(), (source.get("township") or "").strip(), \
        source.get("kind") or "rules"
    on = date_arg(request.args, "from") if request.method == "GET" else None
    try:
        with db().unit_of_work() as uow:
            form = rule_edit_form(uow.session, clock().today(), county, township, kind, on)
    except FormInvalid as exc:
        flash(invalid_message(exc), "error")
        return _rules_page(422)
    if request.method == "GET":
        form["values"]["effective_from"] = (on or clock().today()).isoformat()
        return _edit_page(form)
    try:
        with db().unit_of_work(write=True) as uow:
            add_rule_entry(uow.session, current_principal(), clock().now(), clock().today(), request.form)
            uow.commit()
    except FormInvalid as exc:
        return _edit_page(form, request.form, exc.errors_in(is_zh()), 422)
    when = request.form.get("effective_from", "").strip()
    flash(_("The entry is saved: from %(date)s new cases take it; running cases keep the rules they started with.",
            date=when), "success")
    return redirect(url_for("admin.county_rules_page", on=when) + f"#county-{county}")


@bp.route("/rules/appeal", methods=["GET", "POST"])
@requires_role("admin")
def appeal_edit():
    """GET: the form of what a county's refusal notices name (复议机关, court, periods, complaints telephone),
    filled with what is in force today. POST: change it from a date (nothing changes when refused)."""
    county = ((request.form if request.method == "POST" else request.args).get("county") or "").strip()
    try:
        with db().unit_of_work() as uow:
            form = appeal_edit_form(uow.session, clock().today(), county)
    except FormInvalid as exc:
        flash(invalid_message(exc), "error")
        return _rules_page(422)
    if request.method == "POST":
        try:
            with db().unit_of_work(write=True) as uow:
                add_appeal_entry(uow.session, current_principal(), clock().now(), clock().today(), request.form)
                uow.commit()
        except FormInvalid as exc:
            return render_template("admin/appeal_edit.html", form=form, values=request.form, errors=exc.errors_in(is_zh()),
                                   today=clock().today(), max_note=MAX_RULE_NOTE_CHARS, label=_label), 422
        when = request.form.get("effective_from", "").strip()
        flash(_("Saved: refusal notices issued from %(date)s name it; notices issued before keep what they said.",
                date=when), "success")
        return redirect(url_for("admin.county_rules_page", on=when) + f"#county-{county}")
    values = {**form["values"], "effective_from": clock().today().isoformat(), "source": "", "assumption": ""}
    return render_template("admin/appeal_edit.html", form=form, values=values, errors={}, today=clock().today(),
                           max_note=MAX_RULE_NOTE_CHARS, label=_label)


@bp.route("/rules/setup", methods=["GET", "POST"])
@requires_role("admin")
def county_setup():
    """GET: the form that gives a county an admin added its first rules (what its refusals name, and a county
    whose model and parameters it takes over as assumptions). POST: set them up (nothing changes when
    refused)."""
    source = request.form if request.method == "POST" else request.args
    county = (source.get("county") or "").strip()
    with db().unit_of_work() as uow:
        choices = dict(counties_without_rules(uow.session))
        templates = [(c.code, c.unit_name or c.name) for c in county_rules(uow.session, clock().today())]
    if county not in choices:
        flash(_("This county has rules already, or is not in the places table."), "error")
        return _rules_page(422)
    page = {"code": county, "name": choices[county], "templates": templates}
    values, errors, status = dict(source), {}, 200
    if request.method == "POST":
        try:
            with db().unit_of_work(write=True) as uow:
                set_up_county(uow.session, current_principal(), clock().now(), clock().today(), request.form)
                uow.commit()
        except FormInvalid as exc:
            errors, status = exc.errors_in(is_zh()), 422
        else:
            flash(_("The county's rules are set up: from %(date)s its cases run under them; each value taken over "
                    "is marked as an assumption until an entry of its own replaces it.",
                    date=request.form.get("effective_from", "").strip()), "success")
            return redirect(url_for("admin.county_rules_page") + f"#county-{county}")
    values.setdefault("effective_from", clock().today().isoformat())
    return render_template("admin/county_setup.html", county=page, values=values, errors=errors,
                           today=clock().today(), max_note=MAX_RULE_NOTE_CHARS, label=_label,
                           fields=APPEAL_FIELDS, required=APPEAL_REQUIRED), status


@bp.route("/rules/<int:entry_id>/retire", methods=["POST"])
@requires_role("admin")
def rule_retire(entry_id: int):
    """Retire an admin's entry from a date: the entry before it is in force again from then."""
    try:
        with db().unit_of_work(write=True) as uow:
            retire_rule_entry(uow.session, current_principal(), clock().now(), clock().today(), entry_id,
                              request.form.get("retired_from"), request.form.get("note"))
            uow.commit()
    except FormInvalid as exc:
        flash(_("Not retired: %(why)s", why=invalid_message(exc)), "error")
        return _rules_page(422, {entry_id: exc.errors_in(is_zh())})
    flash(_("The entry is retired from %(date)s.", date=request.form.get("retired_from", "").strip()), "success")
    return redirect(url_for("admin.county_rules_page"))
