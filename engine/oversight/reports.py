"""The monthly report to the county/district (recipients and amounts per township) and the monthly
payment roll (发放名册), from the register of recipients — of one benefit type or of all (``all``), monthly
benefits and one-off payments alike, of the user's counties or, for township staff, of their own township;
CSV, XLSX and the bank's 代发 file (bank_file.py), with formula-looking text made inert.
Full ID numbers and accounts (the bank's copy) are for county staff of each row's county, and for township
staff of the benefits their township decides under delegation (docs/rules.md, readings); every such export is
recorded."""
from __future__ import annotations

import csv
import io
import tempfile
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from typing import IO, Iterable, Iterator

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.catalogue.rules import NATIONAL, benefit_of, benefit_types, catalog, model_in_force, variant_for
from engine.people.accounts import Principal
from engine.errors import Forbidden, NotFound
from engine.catalogue.forms import mask_account, mask_id_number
from engine.store.models import Recipient, Unit
from engine.people.reveals import allowed_counties, record_reveal, refuse_unless_allowed
from engine.people.scope import supervised_counties, township_reach
from engine.oversight.xlsx_sheet import write_sheet

RECIPIENT = Recipient.__table__
ALL_TYPES = "all"  # the report or roll of every benefit type, a line per type


def _paid_in(month_start: date):
    """Benefits paid in the month: a monthly one from its first month until it stops, a one-off payment
    in the month it was paid."""
    month_end = month_start.replace(day=monthrange(month_start.year, month_start.month)[1])
    monthly = and_(RECIPIENT.c.payment != "once", RECIPIENT.c.payment_from <= month_end,
                   or_(RECIPIENT.c.stopped_from.is_(None), RECIPIENT.c.stopped_from > month_start))
    once = and_(RECIPIENT.c.payment == "once", RECIPIENT.c.payment_from.between(month_start, month_end))
    return or_(monthly, once)


def _types(assistance_type: str) -> tuple[str, ...]:
    """The benefit types a report covers (every type granting a benefit for ``all``); an unknown one is refused."""
    granting = tuple(t["type"] for t in benefit_types())
    if assistance_type == ALL_TYPES:
        return granting
    if assistance_type not in granting:
        raise NotFound(f"no register of {assistance_type!r}", "没有这一救助类别的报表",
                       message_en="There is no report of this assistance type")
    return (assistance_type,)


def _type_name(assistance_type: str) -> str:
    return catalog()[assistance_type]["name_zh"]


def _title(month: date, assistance_type: str, what: str) -> str:
    name = "社会救助" if assistance_type == ALL_TYPES else _type_name(assistance_type)
    return f"{month:%Y年%m月}{name}{what}"


@dataclass
class Report:
    """A table with a title, ready for CSV or XLSX."""

    title: str
    header: list[str]
    rows: Iterable[list]  # a list, or a stream read once (the payment roll)
    month: date | None = None  # the month a payment roll pays
    totals: tuple[int, float] | None = None  # the bank's copy: its number of payments and their sum


@dataclass(frozen=True)
class Place:
    """Where a report reaches: ``clause`` confines the register's rows (role × place, in SQL), ``counties``
    are the counties they lie in; ``townships`` is set for a township's own report (township staff)."""

    clause: object
    counties: tuple[int, ...]
    townships: tuple[int, ...] = ()


def report_place(session: Session, principal: Principal, county_id: int | None = None,
                 township_id: int | None = None) -> Place:
    """The rows a user's report covers: county staff and supervisors, their counties (or one, or one township
    of theirs); township staff, their own township (or one of theirs) and never another."""
    counties = supervised_counties(principal)
    if counties:
        if county_id is not None:
            if county_id not in counties:
                raise Forbidden("not a county of this user", "不是本县（区）", message_en="Not your county (district)")
            counties = (county_id,)
        clause = RECIPIENT.c.county_id.in_(counties)
        if township_id is None:
            return Place(clause, counties)
        # A township of another county is refused as another county is (not answered with an empty roll).
        if session.execute(select(Unit.parent_id).where(Unit.id == township_id, Unit.level == "township")
                           ).scalar_one_or_none() not in counties:
            raise Forbidden("not a township of this user's counties", "不是本县（区）的乡镇（街道）",
                            message_en="Not a township (street) of your county (district)")
        return Place(and_(clause, RECIPIENT.c.township_id == township_id), counties)
    reach = township_reach(session, principal)
    if not reach.counties:
        raise Forbidden("reports are for county staff, supervisors and township staff")
    townships = dict(reach.by_level)["township"]
    if county_id is not None or (township_id is not None and township_id not in townships):
        raise Forbidden("a township's report is of its own township", "只能查看本乡镇（街道）的报表和发放名册",
                        message_en="You can see only your own township's (street's) reports and payment rolls")
    clause = reach.clause(RECIPIENT)
    if township_id is not None:
        townships = (township_id,)
        clause = and_(clause, RECIPIENT.c.township_id == township_id)
    return Place(clause, reach.counties, townships)


def _totals(label: list, rows: list[list]) -> list:
    """A total line: ``label`` then the sums of the last three columns (count, persons, amount)."""
    return [*label, sum(r[-3] for r in rows), sum(r[-2] for r in rows), round(sum(r[-1] for r in rows), 2)]


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_MONTHLY_REPORT_COUNTY = aliased(Unit)
_MONTHLY_REPORT_TOWNSHIP = aliased(Unit)


def monthly_report(session: Session, principal: Principal, month: date, assistance_type: str,
                   county_id: int | None = None, township_id: int | None = None) -> Report:
    """Benefits (households, or persons for a personal benefit), persons covered and amounts paid in a
    month, per township, of one type (or ``all``: per county, township and type, with each county's total
    of each type), of one county or all the user's (a township user's: their township's, see report_place).
    A one-off payment counts in the month it was paid."""
    types = _types(assistance_type)
    place = report_place(session, principal, county_id, township_id)
    county, township = _MONTHLY_REPORT_COUNTY, _MONTHLY_REPORT_TOWNSHIP
    lines = session.execute(
        select(county.code, township.code, county.name, township.name, RECIPIENT.c.assistance_type, func.count(),
               func.sum(RECIPIENT.c.household_size), func.sum(RECIPIENT.c.monthly_amount))
        .join(county, county.id == RECIPIENT.c.county_id).join(township, township.id == RECIPIENT.c.township_id)
        .where(place.clause,
               RECIPIENT.c.assistance_type.in_(types), _paid_in(month))
        .group_by(county.code, township.code, county.name, township.name, RECIPIENT.c.assistance_type)
    ).all()
    rows = [[c, t, kind, n, persons or 0, round(float(amount or 0), 2)] for *_codes, c, t, kind, n, persons, amount
            in sorted(lines, key=lambda line: (line[0], line[1], types.index(line[4])))]
    if assistance_type != ALL_TYPES:
        body = [[t, n, persons, amount] for _c, t, _kind, n, persons, amount in rows]
        count = "户数" if benefit_of(assistance_type)["subject"] == "household" else "对象人数"
        return Report(_title(month, assistance_type, "保障对象月报"), ["乡镇（街道）", count, "人数", "发放金额（元）"],
                      [*body, _totals(["合计"], body)])
    body = []
    for county_name in dict.fromkeys(r[0] for r in rows):
        own = [r for r in rows if r[0] == county_name]
        body += [[c, t, _type_name(kind), n, persons, amount] for c, t, kind, n, persons, amount in own]
        if len(place.townships) == 1:  # a township's own report: its lines are its totals of each type
            continue
        body += [_totals([county_name, "本乡镇（街道）合计" if place.townships else "全县（区）合计", _type_name(kind)],
                         [r for r in own if r[2] == kind]) for kind in types if any(r[2] == kind for r in own)]
    return Report(_title(month, ALL_TYPES, "保障对象月报"),
                  ["县（区）", "乡镇（街道）", "救助类别", "户（人）数", "人数", "发放金额（元）"],
                  [*body, _totals(["合计", "", ""], rows)])


# Who keeps the account a benefit is paid into; staff keeping it (代管) need the 代管协议 filed with the county.
KEEPERS = {"self": "本人", "family": "家庭成员", "village_staff": "村（居）委会代管", "township_staff": "乡镇（街道）代管"}


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_PAYMENT_ROLL_TOWNSHIP = aliased(Unit)
_PAYMENT_ROLL_VILLAGE = aliased(Unit)


def _payment_roll(session: Session, place, month: date, assistance_type: str, types: tuple[str, ...],
                  revealed: frozenset[int], stream: bool) -> Report:
    """The roll of the rows ``place`` (a clause) confines, of ``types``; a row's ID number and account in full
    only when its own county is in ``revealed``. A recognition without payment (低收入, amount 0) is on the
    monthly report, not on the roll. With ``stream`` its rows are read from the database in batches as they
    are written out (once, while ``session`` is open: a roll of a province never lies whole in memory); else
    a list."""
    township, village = _PAYMENT_ROLL_TOWNSHIP, _PAYMENT_ROLL_VILLAGE
    statement = (
        select(RECIPIENT.c.county_id, township.name, village.name, RECIPIENT.c.applicant_name,
               RECIPIENT.c.applicant_id_number, RECIPIENT.c.household_size, RECIPIENT.c.monthly_amount,
               RECIPIENT.c.assistance_type, RECIPIENT.c.payment, RECIPIENT.c.payment_from,
               RECIPIENT.c.payment_account, RECIPIENT.c.account_keeper, RECIPIENT.c.collector_name,
               RECIPIENT.c.collector_id_number)
        .join(township, township.id == RECIPIENT.c.township_id).join(village, village.id == RECIPIENT.c.village_id)
        .where(*_on_roll(place, month, types))
        .order_by(RECIPIENT.c.county_id, township.code, village.code,
                  case({kind: i for i, kind in enumerate(types)}, value=RECIPIENT.c.assistance_type), RECIPIENT.c.id))
    names = {kind: _type_name(kind) for kind in types}

    def lines() -> Iterator[list]:
        for (county_id, township_name, village_name, name, id_number, size, amount, kind, payment, paid_from,
             account, keeper, collector, collector_id) in session.connection().execute(
                 statement.execution_options(yield_per=ROLL_BATCH)):
            shown = county_id in revealed
            yield [township_name, village_name, name, id_number if shown else mask_id_number(id_number), size,
                   round(float(amount), 2), names[kind], f"一次性（{paid_from:%Y-%m-%d}）" if payment == "once" else "按月",
                   (account or "") if shown else mask_account(account), KEEPERS.get(keeper or "", ""),
                   collected_by(collector, collector_id)]

    return Report(_title(month, assistance_type, "发放名册"), list(ROLL_HEADER), lines() if stream else list(lines()),
                  month)


ROLL_HEADER = ("乡镇（街道）", "村（社区）", "户主（本人）", "公民身份号码", "保障人数", "发放金额（元）", "救助类别",
               "发放方式", "发放账户（社会保障卡）", "账户保管", "代领人")


def collected_by(name: str | None, id_number: str | None) -> str:
    """The roll's 代领人 cell: who collects the payment on the recipient's behalf, their ID number masked on every
    copy (the bank's too: the bank pays the account; the township checks the collector's card at the counter)."""
    return f"{name}（{mask_id_number(id_number)}）" if name else ""
ROLL_BATCH = 5000  # rows of the payment roll fetched at a time


def _on_roll(place, month: date, types: tuple[str, ...]) -> list:
    """The benefits on a month's roll of the rows ``place`` confines."""
    return [place, RECIPIENT.c.assistance_type.in_(types), RECIPIENT.c.monthly_amount > 0, _paid_in(month)]


def payment_roll(session: Session, principal: Principal, month: date, assistance_type: str,
                 county_id: int | None = None, stream: bool = False, township_id: int | None = None) -> Report:
    """One line per benefit paid in the month (monthly ones, and one-off payments of that month), ID
    numbers and accounts masked, of the user's places (report_place: a county or all the user's, a township's
    own for township staff; one type or ``all``); ``stream``: see _payment_roll."""
    place = report_place(session, principal, county_id, township_id)
    return _payment_roll(session, place.clause, month, assistance_type, _types(assistance_type), frozenset(), stream)


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_TOWNSHIP_PAID_TYPES_COUNTY = aliased(Unit)


def township_paid_types(session: Session, townships: tuple[int, ...], month: date,
                        types: tuple[str, ...]) -> dict[int, tuple[str, ...]]:
    """Township id → the types of ``types`` it pays itself in the month: benefits paid monthly whose route in
    the township, under the delegation model in force on the month's first day, is not the national one
    (the township decides them: 审核确认 delegated). One-off payments (临时救助) are paid on the approver's
    decision, by the township or the county according to the amount, and stay on the county's bank copy."""
    county = _TOWNSHIP_PAID_TYPES_COUNTY
    found = {}
    for township_id, code, county_code in session.execute(
            select(Unit.id, Unit.code, county.code).join(county, county.id == Unit.parent_id)
            .where(Unit.id.in_(townships))).all():
        model = model_in_force(county_code, code, month, session)
        found[township_id] = tuple(k for k in types if (benefit_of(k) or {}).get("payment") == "monthly"
                                   and variant_for(k, model) != NATIONAL)
    return found


def payment_roll_with_id_numbers(session: Session, principal: Principal, now: datetime, month: date,
                                 assistance_type: str, county_id: int | None = None, export_format: str = "csv",
                                 address: str | None = None, stream: bool = False,
                                 township_id: int | None = None) -> Report:
    """The bank's copy of the payment roll, with full ID numbers and accounts and its totals: for county (民政局)
    staff of the county of every row; for township staff, of their township's benefits it decides under
    delegation (township_paid_types; refused when there are none). Recorded per county in the ID-reveal audit
    (the caller commits with the export)."""
    place = report_place(session, principal, county_id, township_id)
    types = _types(assistance_type)
    clause = place.clause
    if place.townships:
        paid = {t: kinds for t, kinds in township_paid_types(session, place.townships, month, types).items() if kinds}
        if not paid:
            raise Forbidden("the township decides none of these benefits; the county's bank copy pays them",
                            "本乡镇（街道）不审核确认这一救助类别，银行用名册由县（区）民政局出具",
                            message_en="Your township (street) does not confirm this assistance type: the county "
                                       "(district) bureau issues its bank roll")
        clause = and_(clause, or_(*(and_(RECIPIENT.c.township_id == t, RECIPIENT.c.assistance_type.in_(kinds))
                                    for t, kinds in sorted(paid.items()))))
        revealed = frozenset(place.counties)
    else:
        refuse_unless_allowed(principal, place.counties)
        revealed = allowed_counties(principal)
    report = _payment_roll(session, clause, month, assistance_type, types, revealed, stream)
    per_county = {county: (n, float(amount or 0)) for county, n, amount in session.execute(
        select(RECIPIENT.c.county_id, func.count(), func.sum(RECIPIENT.c.monthly_amount))
        .where(*_on_roll(clause, month, types)).group_by(RECIPIENT.c.county_id)).all()}
    for county in place.counties:
        record_reveal(session, principal, now, county, "payment_roll", f"{report.title}（{export_format}）",
                      per_county.get(county, (0, 0.0))[0], address)
    report.totals = (sum(n for n, _a in per_county.values()), round(sum(a for _n, a in per_county.values()), 2))
    return report


ROLL_PREVIEW = 50  # lines of the roll the township's page shows (the file has them all)


def township_roll(session: Session, principal: Principal, month: date, assistance_type: str,
                  township_id: int | None = None) -> dict:
    """The township's payment-roll page: its townships (id, name), the month's report of them, the roll's
    first ROLL_PREVIEW lines (masked) and the types of which the township may take the bank's copy."""
    place = report_place(session, principal, None, township_id)
    if not place.townships:
        raise Forbidden("the township's roll page is for township staff", "本页面供乡镇（街道）经办人员使用",
                        message_en="This page is for township (street) staff")
    report = monthly_report(session, principal, month, assistance_type, township_id=township_id)
    paid = township_paid_types(session, place.townships, month, _types(assistance_type))
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(place.townships))).all())
    roll = payment_roll(session, principal, month, assistance_type, stream=True, township_id=township_id)
    preview = [line for _n, line in zip(range(ROLL_PREVIEW), roll.rows)]
    return {"townships": [(t, names[t]) for t in place.townships], "report": report, "title": roll.title,
            "header": roll.header, "preview": preview, "preview_size": ROLL_PREVIEW,
            "bank_types": sorted({_type_name(k) for kinds in paid.values() for k in kinds})}


# A text cell beginning with one of these is read as a formula (or DDE) by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_CHARS = frozenset(FORMULA_TRIGGERS)


def neutralise(value):
    """A text cell a spreadsheet would run as a formula, made inert with a leading apostrophe; numbers
    and other text unchanged (numbers come from our own columns and cannot carry a formula)."""
    if isinstance(value, str) and value[:1] in _TRIGGER_CHARS:
        return "'" + value
    return value


def _lines(report: Report, clean=None) -> Iterator[list]:
    """The title, the header and the rows, one line at a time (``rows`` may be a stream), each text
    ``clean``ed and then made inert (neutralise, inlined: this runs for every cell of a million-row roll)."""
    for row in chain(([report.title], report.header), report.rows):
        line = list(row)
        for i, cell in enumerate(line):
            if cell.__class__ is str:
                if clean is not None:
                    cell = line[i] = clean(cell)
                if cell[:1] in _TRIGGER_CHARS:
                    line[i] = "'" + cell
        yield line


def csv_chunks(report: Report, lines_per_chunk: int = 2000) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so spreadsheet programs read the Chinese correctly), in chunks of
    ``lines_per_chunk`` lines: a streamed report never lies whole in memory."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for n, line in enumerate(_lines(report), start=1):
        writer.writerow(line)
        if n % lines_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def to_csv(report: Report) -> bytes:
    """The whole CSV (see csv_chunks)."""
    return b"".join(csv_chunks(report))


def _without_illegal(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters are not allowed in XLSX


def write_xlsx(report: Report, target: IO[bytes]) -> None:
    """An XLSX workbook with the report on one sheet, written to ``target`` as a stream (xlsx_sheet: a row at
    a time into the ZIP, so memory stays flat however long the report). Text is cleaned of the control
    characters XML cannot hold, made inert (_lines, the rule of the CSV) and written as a text cell, never
    read as a formula or a number (ID numbers keep their digits); numbers stay numbers."""
    write_sheet(_lines(report, _without_illegal), target, "报表")


def to_xlsx(report: Report) -> bytes:
    """The whole XLSX workbook (see write_xlsx)."""
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    return buffer.getvalue()


def xlsx_chunks(report: Report, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """The XLSX workbook written to a temporary file, then read back in chunks (a ZIP is finished only
    at its end, so nothing can be sent before the last row)."""
    with tempfile.TemporaryFile() as spool:
        write_xlsx(report, spool)
        spool.seek(0)
        while chunk := spool.read(chunk_size):
            yield chunk
