"""The monthly report to the county/district (recipients and amounts per township) and the monthly
payment roll (发放名册), from the register of recipients; CSV and XLSX with formula-looking text made inert.
Full ID numbers are for county staff of each row's county, and every such export is recorded."""
from __future__ import annotations

import csv
import io
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.people.accounts import Principal
from engine.errors import Forbidden
from engine.catalogue.forms import mask_id_number
from engine.store.models import Recipient, Unit
from engine.people.reveals import allowed_counties, record_reveal, refuse_unless_allowed
from engine.people.scope import supervised_counties

RECIPIENT = Recipient.__table__
TYPE_NAMES = {"minimum_living": "最低生活保障", "extreme_poverty": "特困人员救助供养",
              "disability_subsidy": "残疾人两项补贴", "old_age_allowance": "尊老金", "low_income": "低收入家庭"}


def _paid_in(month_start: date):
    month_end = month_start.replace(day=monthrange(month_start.year, month_start.month)[1])
    return and_(RECIPIENT.c.payment_from <= month_end,
                or_(RECIPIENT.c.stopped_from.is_(None), RECIPIENT.c.stopped_from > month_start))


@dataclass
class Report:
    """A table with a title, ready for CSV or XLSX."""

    title: str
    header: list[str]
    rows: list[list]


def _counties(principal: Principal, county_id: int | None = None) -> tuple[int, ...]:
    counties = supervised_counties(principal)
    if not counties:
        raise Forbidden("reports are for county staff and supervisors")
    if county_id is None:
        return counties
    if county_id not in counties:
        raise Forbidden("not a county of this user")
    return (county_id,)


def monthly_report(session: Session, principal: Principal, month: date, assistance_type: str,
                   county_id: int | None = None) -> Report:
    """Households, persons and amounts paid in a month, per township (of one county, or all the user's)."""
    township = aliased(Unit)
    rows = session.execute(
        select(township.name, func.count(), func.sum(RECIPIENT.c.household_size), func.sum(RECIPIENT.c.monthly_amount))
        .join(township, township.id == RECIPIENT.c.township_id)
        .where(RECIPIENT.c.county_id.in_(_counties(principal, county_id)),
               RECIPIENT.c.assistance_type == assistance_type, _paid_in(month))
        .group_by(township.name, township.code).order_by(township.code)
    ).all()
    body = [[name, households, persons or 0, round(float(amount or 0), 2)] for name, households, persons, amount in rows]
    body.append(["合计", sum(r[1] for r in body), sum(r[2] for r in body), round(sum(r[3] for r in body), 2)])
    return Report(f"{month:%Y年%m月}{TYPE_NAMES.get(assistance_type, assistance_type)}保障对象月报",
                  ["乡镇（街道）", "户数", "人数", "发放金额（元）"], body)


def _payment_roll(session: Session, counties: tuple[int, ...], month: date, assistance_type: str,
                  revealed: frozenset[int]) -> tuple[Report, Counter]:
    """The roll of ``counties``; a row's ID number in full only when its own county is in ``revealed``."""
    township, village = aliased(Unit), aliased(Unit)
    rows = session.execute(
        select(RECIPIENT.c.county_id, township.name, village.name, RECIPIENT.c.applicant_name,
               RECIPIENT.c.applicant_id_number, RECIPIENT.c.household_size, RECIPIENT.c.monthly_amount)
        .join(township, township.id == RECIPIENT.c.township_id).join(village, village.id == RECIPIENT.c.village_id)
        .where(RECIPIENT.c.county_id.in_(counties), RECIPIENT.c.assistance_type == assistance_type, _paid_in(month))
        .order_by(township.code, village.code, RECIPIENT.c.id)
    ).all()
    body = [[t, v, name, id_number if county in revealed else mask_id_number(id_number), size, round(float(amount), 2)]
            for county, t, v, name, id_number, size, amount in rows]
    report = Report(f"{month:%Y年%m月}{TYPE_NAMES.get(assistance_type, assistance_type)}发放名册",
                    ["乡镇（街道）", "村（社区）", "户主", "公民身份号码", "保障人数", "月保障金额（元）"], body)
    return report, Counter(row.county_id for row in rows)


def payment_roll(session: Session, principal: Principal, month: date, assistance_type: str,
                 county_id: int | None = None) -> Report:
    """One line per household paid in the month, ID numbers masked (of one county, or all the user's)."""
    return _payment_roll(session, _counties(principal, county_id), month, assistance_type, frozenset())[0]


def payment_roll_with_id_numbers(session: Session, principal: Principal, now: datetime, month: date,
                                 assistance_type: str, county_id: int | None = None, export_format: str = "csv",
                                 address: str | None = None) -> Report:
    """The bank's copy of the payment roll, with full ID numbers: only for county (民政局) staff of the county
    of every row, and recorded per county in the ID-reveal audit (the caller commits with the export)."""
    counties = _counties(principal, county_id)
    refuse_unless_allowed(principal, counties)
    report, per_county = _payment_roll(session, counties, month, assistance_type, allowed_counties(principal))
    for county in counties:
        record_reveal(session, principal, now, county, "payment_roll", f"{report.title}（{export_format}）",
                      per_county[county], address)
    return report


# A text cell beginning with one of these is read as a formula (or DDE) by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell a spreadsheet would run as a formula, made inert with a leading apostrophe; numbers
    and other text unchanged (numbers come from our own columns and cannot carry a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _lines(report: Report) -> list[list]:
    return [[neutralise(cell) for cell in row] for row in ([report.title], report.header, *report.rows)]


def to_csv(report: Report) -> bytes:
    """UTF-8 CSV with a BOM, so spreadsheet programs read the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(_lines(report))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: Report) -> bytes:
    """An XLSX workbook with the report on one sheet; every text cell is a string cell, never a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报表"
    for r, line in enumerate(_lines(report), start=1):
        for c, value in enumerate(line, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                # Control characters are not allowed in XLSX; the string type is set after the value,
                # because openpyxl makes a formula of any text that starts with "=".
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"
            else:
                cell.value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
