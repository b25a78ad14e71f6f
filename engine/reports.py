"""The monthly report to the county/district (recipients and amounts per township) and the monthly
payment roll (发放名册), from the register of recipients; CSV and XLSX."""
from __future__ import annotations

import csv
import io
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from .accounts import Principal
from .errors import Forbidden
from .forms import mask_id_number
from .models import Recipient, Unit
from .scope import supervised_counties

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


def _counties(principal: Principal) -> tuple[int, ...]:
    counties = supervised_counties(principal)
    if not counties:
        raise Forbidden("reports are for county staff and supervisors")
    return counties


def monthly_report(session: Session, principal: Principal, month: date, assistance_type: str) -> Report:
    """Households, persons and amounts paid in a month, per township."""
    township = aliased(Unit)
    rows = session.execute(
        select(township.name, func.count(), func.sum(RECIPIENT.c.household_size), func.sum(RECIPIENT.c.monthly_amount))
        .join(township, township.id == RECIPIENT.c.township_id)
        .where(RECIPIENT.c.county_id.in_(_counties(principal)), RECIPIENT.c.assistance_type == assistance_type,
               _paid_in(month))
        .group_by(township.name, township.code).order_by(township.code)
    ).all()
    body = [[name, households, persons or 0, round(float(amount or 0), 2)] for name, households, persons, amount in rows]
    body.append(["合计", sum(r[1] for r in body), sum(r[2] for r in body), round(sum(r[3] for r in body), 2)])
    return Report(f"{month:%Y年%m月}{TYPE_NAMES.get(assistance_type, assistance_type)}保障对象月报",
                  ["乡镇（街道）", "户数", "人数", "发放金额（元）"], body)


def payment_roll(session: Session, principal: Principal, month: date, assistance_type: str,
                 full_id_numbers: bool = False) -> Report:
    """One line per household paid in the month. Full ID numbers only for the bank's copy (county staff)."""
    township, village = aliased(Unit), aliased(Unit)
    if full_id_numbers and not principal.has_role("county"):
        raise Forbidden("full ID numbers are for county staff preparing payment")
    rows = session.execute(
        select(township.name, village.name, RECIPIENT.c.applicant_name, RECIPIENT.c.applicant_id_number,
               RECIPIENT.c.household_size, RECIPIENT.c.monthly_amount)
        .join(township, township.id == RECIPIENT.c.township_id).join(village, village.id == RECIPIENT.c.village_id)
        .where(RECIPIENT.c.county_id.in_(_counties(principal)), RECIPIENT.c.assistance_type == assistance_type,
               _paid_in(month))
        .order_by(township.code, village.code, RECIPIENT.c.id)
    ).all()
    body = [[t, v, name, id_number if full_id_numbers else mask_id_number(id_number), size, round(float(amount), 2)]
            for t, v, name, id_number, size, amount in rows]
    return Report(f"{month:%Y年%m月}{TYPE_NAMES.get(assistance_type, assistance_type)}发放名册",
                  ["乡镇（街道）", "村（社区）", "户主", "公民身份号码", "保障人数", "月保障金额（元）"], body)


def to_csv(report: Report) -> bytes:
    """UTF-8 CSV with a BOM, so spreadsheet programs read the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([report.title])
    writer.writerow(report.header)
    writer.writerows(report.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: Report) -> bytes:
    """An XLSX workbook with the report on one sheet."""
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报表"
    sheet.append([report.title])
    sheet.append(report.header)
    for row in report.rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
