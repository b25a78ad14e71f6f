"""The one-window intake (一门受理、协同办理): registration at the window, a registration's page and its
documents, the department liaisons' referral inbox, the ledger (登记表) and the county overview."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from flask_babel import gettext as _

from engine import (WINDOW_ITEM_SEPARATOR, approved_projects, change_html_rows, coerce_html_form, window_item_forms,
                    REFERRAL_ANSWERS, record_charity_feedback, refer_to_charity, WINDOW_OUTCOMES, WINDOW_STATUS_ZH, Applicant, RequestedItem, answer_referral,
                    ledger_report, place_of_village, to_csv, to_xlsx, referral_for, referrals_inbox, register, registration_view,
                    villages_for, window_ledger, window_overview, window_rules)
from engine.errors import Conflict, FormInvalid, NotFound

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import InputRefused, date_arg, int_arg
from . import window_labels
from .pages import ROWS_CONTROL, invalid_message, is_zh

bp = Blueprint("window", __name__)
bp.app_context_processor(window_labels.helpers)  # the window's labels, on the dossier's items too
WINDOW_ROLES = ("township", "village")
LEDGER_ROLES = ("township", "village", "county", "county_supervisor")
LIAISON_ROLES = tuple(role for d in window_rules().departments.values() if (role := d.get("role")))


def _item_schemas(s, village_id: int) -> dict[str, dict]:
    """Each 民政 item's own part of its route's application form, its fields named "<item>__<field>" so that
    several items' parts share one HTML form."""
    return {code: {"type": "object", "required": [f"{code}{WINDOW_ITEM_SEPARATOR}{k}" for k in schema["required"]],
                   "properties": {f"{code}{WINDOW_ITEM_SEPARATOR}{k}": v for k, v in schema["properties"].items()}}
            for code, schema in window_item_forms(s, village_id, clock().today()).items()}


def _form_page(s, principal, values, errors: dict, status: int = 200):
    villages = villages_for(s, principal.units_for("village"), principal.units_for("township"))
    if not villages:
        raise NotFound("no villages for this user")
    place = place_of_village(s, villages[0][0])
    items = window_rules().items_for(place.county_code, clock().today())
    schemas = _item_schemas(s, villages[0][0])
    item_errors = {code: {k: v for k, v in errors.items() if k.startswith(code + WINDOW_ITEM_SEPARATOR)}
                   for code in schemas}
    return render_template("window/register.html", villages=villages, items=items, values=values or MultiDict(),
                           errors=errors, outcomes=WINDOW_OUTCOMES, item_schemas=schemas, item_errors=item_errors,
                           today=clock().today().isoformat(),
                           chosen=values.getlist("items") if values else []), status


def _item_data(schema: dict, code: str, form) -> dict:
    """The item's own part as the clerk filled it (unprefixed, typed); empty when every field was left blank."""
    prefix = code + WINDOW_ITEM_SEPARATOR
    raw = {k: v for k, v in form.items() if k.startswith(prefix)}
    if not any(v.strip() for k, v in raw.items() if not k.endswith("__present")):
        return {}
    return {k[len(prefix):]: v for k, v in coerce_html_form(schema, raw).items()}


@bp.route("/window/new", methods=["GET", "POST"])
@requires_role(*WINDOW_ROLES)
def new_registration():
    """受理登记: the applicant, household, difficulty met and the items asked for, with the window's outcome."""
    principal = current_principal()
    with db().unit_of_work(write=request.method == "POST") as uow:
        s = uow.session
        if request.method == "GET":
            return _form_page(s, principal, {}, {})
        form = request.form
        village_id = int_arg(form, "village_id", None, 1)
        codes = form.getlist("items")
        if len(codes) > 40:
            raise InputRefused("too many items", "事项过多")
        if form.get(ROWS_CONTROL):  # a list's row button without JavaScript: the form again, a row more or less
            combined = {"properties": {k: v for schema in _item_schemas(s, village_id or 0).values()
                                       for k, v in schema["properties"].items()}}
            try:
                changed = change_html_rows(combined, form, form[ROWS_CONTROL])
            except FormInvalid as exc:
                return _form_page(s, principal, form, exc.errors_in(is_zh()), 422)
            return _form_page(s, principal, MultiDict([*changed.items(), *(("items", c) for c in codes)]), {})
        schemas = _item_schemas(s, village_id) if village_id else {}
        requested = [RequestedItem(code, form.get(f"outcome-{code}", "accept"), form.get(f"note-{code}", ""),
                                   _item_data(schemas[code], code, form) if code in schemas else {})
                     for code in codes]
        applicant = Applicant(form.get("applicant_name", ""), form.get("applicant_id_number", ""),
                              form.get("address", ""), form.get("phone", ""), _income(form.get("monthly_income")),
                              form.get("authorises_check") == "on")
        if village_id is None:
            return _form_page(s, principal, form, {"village_id": _("Choose a village or community in your area.")},
                              422)
        try:
            registration_id = register(s, principal, clock(), village_id, applicant, form.get("difficulty", ""),
                                       requested)
        except FormInvalid as exc:
            flash(_("The form has errors; please correct them."), "error")
            return _form_page(s, principal, form, exc.errors_in(is_zh()), 422)
        uow.commit()
    flash(_("Request registered."), "success")
    return redirect(url_for("window.registration", registration_id=registration_id), 303)


def _income(raw: str | None) -> float | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputRefused("monthly_income must be a number", "月收入应为数字") from None
    if not 0 <= value <= 10_000_000:
        raise InputRefused("monthly_income out of range", "月收入超出范围")
    return value


@bp.route("/window/registrations/<int:registration_id>")
@requires_role(*LEDGER_ROLES)
def registration(registration_id: int):
    """One registration: its items, their cases, referrals, answers and feedback (首问负责人's follow-up)."""
    with db().unit_of_work() as uow:
        view = registration_view(uow.session, current_principal(), registration_id, clock().today())
    return render_template("window/registration.html", view=view, today=clock().today())


@bp.route("/window/registrations/<int:registration_id>/charity", methods=["POST"])
@requires_role(*WINDOW_ROLES)
def charity_referral(registration_id: int):
    """转介 the applicant to a charity's or social organisation's project of the county's list."""
    return _charity_write(registration_id, lambda s: refer_to_charity(
        s, current_principal(), clock(), registration_id, request.form.get("project", ""),
        request.form.get("note", "")), _("Referred to the organisation."))


@bp.route("/window/registrations/<int:registration_id>/charity/<int:charity_referral_id>", methods=["POST"])
@requires_role(*WINDOW_ROLES)
def charity_feedback(registration_id: int, charity_referral_id: int):
    """Record the organisation's feedback on a 转介."""
    return _charity_write(registration_id, lambda s: record_charity_feedback(
        s, current_principal(), clock(), charity_referral_id, request.form.get("feedback", "")),
        _("Feedback recorded."))


def _charity_write(registration_id: int, write, done: str):
    try:
        with db().unit_of_work(write=True) as uow:
            write(uow.session)
            uow.commit()
    except FormInvalid as exc:
        flash(invalid_message(exc), "error")
        with db().unit_of_work() as uow:
            view = registration_view(uow.session, current_principal(), registration_id, clock().today())
        return render_template("window/registration.html", view=view, today=clock().today()), 422
    flash(done, "success")
    return redirect(url_for("window.registration", registration_id=registration_id), 303)


@bp.route("/window/registrations/<int:registration_id>/receipt")
@requires_role(*LEDGER_ROLES)
def receipt(registration_id: int):
    """The printable 社会救助申请受理单."""
    with db().unit_of_work() as uow:
        view = registration_view(uow.session, current_principal(), registration_id, clock().today())
    registration = view["registration"]
    return render_template("window/document.html", body=registration.receipt, title=_("Acceptance slip"),
                           number=registration.number,
                           back=url_for("window.registration", registration_id=registration_id))


@bp.route("/window/referrals/<int:item_id>/transfer")
@requires_role(*LEDGER_ROLES, *LIAISON_ROLES)
def transfer(item_id: int):
    """The printable 社会救助申请转办单 of a referral (its liaison or the window)."""
    with db().unit_of_work() as uow:
        row = referral_for(uow.session, current_principal(), item_id)
    # The liaison goes back to the referral's answer form, the window to its registration.
    liaison = any(current_principal().has_role(role) for role in LIAISON_ROLES)
    back = (url_for("window.referral", item_id=item_id) if liaison
            else url_for("window.registration", registration_id=row.registration_id))
    return render_template("window/document.html", body=row.transfer, title=_("Transfer slip"),
                           number=row.transfer_number, back=back)


@bp.route("/window/referrals")
@requires_role(*LIAISON_ROLES)
def referrals():
    """The liaison's inbox: the referrals of their department and county, the most urgent first."""
    show_all = int_arg(request.args, "all", 0, 0, 1) == 1
    with db().unit_of_work() as uow:
        rows = referrals_inbox(uow.session, current_principal(), open_only=not show_all)
    return render_template("window/referrals.html", rows=rows, today=clock().today(), show_all=show_all)


@bp.route("/window/referrals/<int:item_id>", methods=["GET", "POST"])
@requires_role(*LIAISON_ROLES)
def referral(item_id: int):
    """A referral and the liaison's answer: not eligible, eligible (initial handling), finished (result)."""
    principal = current_principal()
    errors: dict = {}
    if request.method == "POST":
        answer = request.form.get("answer", "")
        if answer and answer not in REFERRAL_ANSWERS:
            raise InputRefused("unknown answer", "未知的答复类型")
        try:
            with db().unit_of_work(write=True) as uow:
                answer_referral(uow.session, principal, clock(), item_id, answer, request.form.get("note", ""))
                uow.commit()
            flash(_("Answer recorded and sent to the window."), "success")
            return redirect(url_for("window.referrals"), 303)
        except FormInvalid as exc:
            errors = exc.errors_in(is_zh())
        except Conflict:
            flash(_("This referral has already been answered."), "error")
            errors = {"answer": _("This referral has already been answered.")}
    with db().unit_of_work() as uow:
        row = referral_for(uow.session, principal, item_id)
    status = 422 if errors else 200
    return render_template("window/referral.html", row=row, errors=errors, values=request.form,
                           today=clock().today()), status


def _date_arg(name: str) -> date | None:
    return date_arg(request.args, name)


def ledger_filters() -> tuple:
    """The ledger's filters from the query string (department, status, since, until, mine), refused when
    unknown (page and API)."""
    department = request.args.get("department") or None
    status = request.args.get("status") or None
    if department and department not in window_rules().departments:
        raise InputRefused("unknown department", "未知的部门")
    if status and status not in WINDOW_STATUS_ZH:
        raise InputRefused("unknown status", "未知的办理状态")
    return department, status, _date_arg("since"), _date_arg("until"), int_arg(request.args, "mine", 0, 0, 1) == 1


def _ledger_rows():
    department, status, since, until, mine = ledger_filters()
    with db().unit_of_work() as uow:
        rows = window_ledger(uow.session, current_principal(), clock().today(), department, status, since, until,
                             mine)
    return rows, {"department": department, "status": status, "since": since, "until": until, "mine": mine}


@bp.route("/window/ledger")
@requires_role(*LEDGER_ROLES)
def ledger():
    """受理、转办、办理结果登记表: every registration's items, filterable."""
    rows, filters = _ledger_rows()
    return render_template("window/ledger.html", rows=rows, filters=filters, departments=window_rules().departments)


@bp.route("/window/ledger.csv")
@requires_role(*LEDGER_ROLES)
def ledger_csv():
    """The ledger as CSV (ID numbers masked)."""
    return _export("csv", to_csv, "text/csv")


@bp.route("/window/ledger.xlsx")
@requires_role(*LEDGER_ROLES)
def ledger_xlsx():
    """The ledger as XLSX (ID numbers masked)."""
    return _export("xlsx", to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _export(extension: str, write, mimetype: str) -> Response:
    rows, _filters = _ledger_rows()
    return Response(write(ledger_report(rows)), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="window-ledger.{extension}"',
        "Cache-Control": "private, no-store"})


@bp.route("/window/overview")
@requires_role("county", "county_supervisor")
def overview():
    """The county's overview: per township and department, registrations, referrals, on-time rate, overdue; and
    the projects the joint review approved for the year."""
    year = int_arg(request.args, "year", clock().today().year, 2000, clock().today().year + 1)
    with db().unit_of_work() as uow:
        data = window_overview(uow.session, current_principal(), clock().today())
        projects = approved_projects(uow.session, current_principal(), year)
    return render_template("window/overview.html", data=data, projects=projects)


from . import window_review  # noqa: E402,F401  (the joint review's pages, on this blueprint)
