"""The county supervisor's views: every case of the county, reports and payment rolls, who saw full ID numbers;
and the township's own payment roll (its page and its files, the bank's 代发 file among them)."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from flask import Blueprint, abort, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _, lazy_gettext as _l

from engine import (EVENT_KINDS, operation_log, parse_log_filters, ALL_REPORT_TYPES, COUNT_CAP, EXPORT_MAX, PAGE_SIZE, benefit_types, case_list_report,
                    monthly_report, overdue_by_township, parse_filters, payment_roll, payment_roll_with_id_numbers,
                    review_progress, saved_filters, supervised_counties, supervision_items,
                    supervisor_cases, to_csv, to_xlsx, csv_chunks, xlsx_chunks, bank_chunks, township_roll)

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import choice_arg, int_arg, month_arg, page_arg
from .pages import delete_list_filter, is_zh, save_list_filter, type_name



bp = Blueprint("supervision", __name__)
REPORT_FORMATS = {"csv": ("text/csv", "csv"),  # Flask adds the one "; charset=utf-8"
                  "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
                  "bank": ("text/csv; charset=GBK", "csv")}  # the bank's 代发 file (engine/oversight/bank_file.py)
CHUNKS = {"csv": csv_chunks, "xlsx": xlsx_chunks, "bank": bank_chunks}


def list_filters(source):
    """The case list's filters from a query or form: numbers as every list checks them (HTTP 400), the rest
    by engine.parse_filters (HTTP 422 with the field's message)."""
    int_arg(source, "township", None, 1)
    return parse_filters(source)


@bp.route("/supervisor")
@requires_role("county_supervisor", "county")
def supervisor():
    """Every case of the county, with filters and counts."""
    filters = list_filters(request.args)
    page = page_arg()
    today = clock().today()
    with db().unit_of_work() as uow:
        s = uow.session
        result = supervisor_cases(s, current_principal(), today, filters, page)
        items = supervision_items(s, current_principal(), today, page_arg("items_page"))
        by_township = overdue_by_township(s, current_principal(), today)
        reviews = review_progress(s, supervised_counties(current_principal()), today)
        saved = saved_filters(s, current_principal(), today)
    return render_template("supervision/supervisor.html", filters=filters, page=page, page_size=PAGE_SIZE,
                           saved=saved, query=filters.to_query(), count_cap=COUNT_CAP, export_max=EXPORT_MAX,
                           items=items, by_township=by_township, reviews=reviews, today=today,
                           report_types=benefit_types(), all_report_types=ALL_REPORT_TYPES,
                           week_end=today + timedelta(days=6 - today.weekday()), **result)


@bp.route("/reports/<kind>")
@requires_role("county", "county_supervisor", "township")
def report(kind: str):
    """The monthly report or payment roll (发放名册) of a month, as CSV or XLSX, of one benefit type
    (``type``, default 低保) or of all (``type=all``), of one county with ``county=<unit id>``, of one
    township with ``township=<unit id>`` (township staff: their own only). The roll with full ID numbers and
    accounts (``full=1``), and the bank's 代发 file (``format=bank``, always whole), are the bank's copy: for
    county staff of that county and townships paying under delegation, recorded in the ID-reveal audit."""
    month = month_arg(request.args, "month", clock().today().replace(day=1))
    if kind not in ("monthly", "payment-roll"):
        abort(404)
    export_format = choice_arg(request.args, "format", ("csv", "xlsx", "bank") if kind == "payment-roll" else
                               ("csv", "xlsx"), "csv")
    assistance_type = request.args.get("type", "minimum_living")
    county_id = int_arg(request.args, "county")
    township_id = int_arg(request.args, "township")
    full = kind == "payment-roll" and (request.args.get("full") == "1" or export_format == "bank")

    def build(uow):
        s = uow.session
        if kind == "monthly":
            return monthly_report(s, current_principal(), month, assistance_type, county_id, township_id)
        if full:
            table = payment_roll_with_id_numbers(s, current_principal(), clock().now(), month, assistance_type,
                                                 county_id, export_format, request.remote_addr, stream=True,
                                                 township_id=township_id)
            uow.commit()  # the reveal is recorded before a single number leaves
            return table
        return payment_roll(s, current_principal(), month, assistance_type, county_id, stream=True,
                            township_id=township_id)
    return _streamed(build, export_format, write=full)


@bp.route("/payment-roll")
@requires_role("township")
def township_roll_page():
    """The township's own payment roll (发放名册) of a month: its totals, the first lines (masked) and its files
    (CSV, XLSX; the bank's copy and 代发 file of the benefits the township decides)."""
    month = month_arg(request.args, "month", clock().today().replace(day=1))
    assistance_type = request.args.get("type", ALL_REPORT_TYPES)
    township_id = int_arg(request.args, "township")
    with db().unit_of_work() as uow:
        page = township_roll(uow.session, current_principal(), month, assistance_type, township_id)
    if not is_zh():
        page = _roll_in_english(page, month, assistance_type)
    return render_template("supervision/township_roll.html", month=month, assistance_type=assistance_type,
                           township_id=township_id, report_types=benefit_types(),
                           all_report_types=ALL_REPORT_TYPES, **page)


# The words of the county's reports (written in Chinese: they are the county's files) that the roll page shows
# in English in the English UI: column names, totals, how and to whom a benefit is paid.
REPORT_WORDS = {
    "县（区）": _l("County (district)"), "乡镇（街道）": _l("Township (street)"), "村（社区）": _l("Village (community)"),
    "救助类别": _l("Assistance type"), "户（人）数": _l("Households (persons)"), "人数": _l("Persons"),
    "发放金额（元）": _l("Amount paid (yuan)"), "户主（本人）": _l("Head of household (recipient)"),
    "公民身份号码": _l("ID number"), "保障人数": _l("Persons covered"), "发放方式": _l("Paid"),
    "发放账户（社会保障卡）": _l("Account (social security card)"), "账户保管": _l("Account kept by"),
    "代领人": _l("Collected by"), "合计": _l("Total"), "本乡镇（街道）合计": _l("Township total"),
    "全县（区）合计": _l("County total"), "按月": _l("monthly"), "本人": _l("the recipient"),
    "家庭成员": _l("a family member"), "村（居）委会代管": _l("the village committee"),
    "乡镇（街道）代管": _l("the township (street)")}
ONCE = re.compile(r"一次性（(\d{4}-\d{2}-\d{2})）")


def _roll_in_english(page: dict, month, assistance_type: str) -> dict:
    """The township roll page's title, column names and labels in English (names and places stay as they are)."""
    def word(cell):
        if not isinstance(cell, str):
            return cell
        once = ONCE.fullmatch(cell)
        if once:
            return _("once (%(day)s)", day=once[1])
        return str(REPORT_WORDS[cell]) if cell in REPORT_WORDS else type_name(cell)

    kind = _("Social assistance") if assistance_type == ALL_REPORT_TYPES else type_name(assistance_type)
    report = page["report"]  # its rows are a list (the totals), not a stream
    return {**page, "title": _("%(kind)s payment roll, %(month)s", kind=kind, month=month.strftime("%Y-%m")),
            "header": [word(h) for h in page["header"]], "preview": [[word(c) for c in r] for r in page["preview"]],
            "report": replace(report, header=[word(h) for h in report.header],
                              rows=[[word(c) for c in r] for r in report.rows]),
            "bank_types": [type_name(t) for t in page["bank_types"]]}


def _streamed(build, export_format: str, write: bool = False):
    """A report as a CSV, XLSX or bank file attachment streamed from a unit of work that stays open until the
    last chunk is sent (a payment roll of a million rows never lies whole in memory); ``build(uow)`` makes the
    report (refusals raise before anything is sent)."""
    def body():
        with db().unit_of_work(write=write) as uow:
            table = build(uow)
            yield table.title + ("（银行代发）" if export_format == "bank" else "")
            yield from CHUNKS[export_format](table)
    chunks = body()
    title = next(chunks)
    return _attachment(stream_with_context(chunks), title, export_format)


def download_report(table, export_format: str):
    """A report as a CSV or XLSX attachment."""
    return _attachment(to_xlsx(table) if export_format == "xlsx" else to_csv(table), table.title, export_format)


def _attachment(body, title: str, export_format: str):
    """``body`` (bytes or chunks) as a download named ``title``, never cached."""
    from urllib.parse import quote
    mime, ext = REPORT_FORMATS[export_format]
    response = current_app.response_class(body, **({"content_type": mime} if "charset" in mime else {"mimetype": mime}))
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(title)}.{ext}"
    # Personal data: no copy in browser or proxy caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/supervisor/export")
@requires_role("county_supervisor", "county")
def export_cases():
    """The filtered case list as CSV or XLSX (ID numbers masked; at most EXPORT_MAX rows)."""
    export_format = choice_arg(request.args, "format", ("csv", "xlsx"), "csv")
    filters = list_filters(request.args)
    with db().unit_of_work() as uow:
        table = case_list_report(uow.session, current_principal(), clock().today(), filters)
    return download_report(table, export_format)


@bp.route("/supervisor/filters", methods=["POST"], endpoint="save_list_filter")
@requires_role("county_supervisor", "county")
def save_list_filter_view():
    """Save the list's filters (sent as the form's hidden fields) under a name, for oneself or the county."""
    return save_list_filter("cases", ("township", "status", "step", "overdue", "from", "to"), list_filters,
                            supervisor, "supervision.supervisor")


@bp.route("/supervisor/filters/<int:filter_id>/delete", methods=["POST"], endpoint="delete_list_filter")
@requires_role("county_supervisor", "county")
def delete_list_filter_view(filter_id: int):
    """Delete one of one's own saved filters."""
    return delete_list_filter(filter_id, "supervision.supervisor")


@bp.route("/supervisor/id-reveals")
@requires_role("county_supervisor")
def id_reveals():
    """Who has seen full ID numbers in the supervisor's county, newest first."""
    from engine import REVEALS_PAGE_SIZE, reveals_for_supervisor
    page = page_arg()
    with db().unit_of_work() as uow:
        s = uow.session
        rows = reveals_for_supervisor(s, current_principal(), page)
    return render_template("supervision/id_reveals.html", rows=rows, page=page, page_size=REVEALS_PAGE_SIZE)


@bp.route("/operation-log")
@requires_role("county_supervisor", "county")
def operation_log_page():
    """The county's operation log (操作日志): every audit event of its cases, newest first, by person (a name's
    beginning), kind and date range, a page at a time; the county is in the statement."""
    filters = parse_log_filters(request.args)
    page = page_arg()
    with db().unit_of_work() as uow:
        log = operation_log(uow.session, current_principal(), filters, page)
    return render_template("supervision/operation_log.html", filters=filters, query=filters.to_query(),
                           kinds=EVENT_KINDS, **log)
