"""The monthly report to the county/district (recipients and amounts per township) and the monthly
payment roll (发放名册), from the register of recipients — of one benefit type or of all (``all``), monthly
benefits and one-off payments alike; CSV and XLSX with formula-looking text made inert.
Full ID numbers are for county staff of each row's county, and every such export is recorded."""
from __future__ import annotations

import csv
import io
import tempfile
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from typing import IO, Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.catalogue.rules import benefit_of, benefit_types, catalog
from engine.people.accounts import Principal
from engine.errors import Forbidden, NotFound
from engine.catalogue.forms import mask_account, mask_id_number
from engine.store.models import Recipient, Unit
from engine.people.reveals import allowed_counties, record_reveal, refuse_unless_allowed
from engine.people.scope import supervised_counties

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
        raise NotFound(f"no register of {assistance_type!r}", "没有这一救助类别的报表")
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


def _counties(principal: Principal, county_id: int | None = None) -> tuple[int, ...]:
    counties = supervised_counties(principal)
    if not counties:
        raise Forbidden("reports are for county staff and supervisors")
    if county_id is None:
        return counties
    if county_id not in counties:
        raise Forbidden("not a county of this user")
    return (county_id,)


def _totals(label: list, rows: list[list]) -> list:
    """A total line: ``label`` then the sums of the last three columns (count, persons, amount)."""
    return [*label, sum(r[-3] for r in rows), sum(r[-2] for r in rows), round(sum(r[-1] for r in rows), 2)]


def monthly_report(session: Session, principal: Principal, month: date, assistance_type: str,
                   county_id: int | None = None) -> Report:
    """Benefits (households, or persons for a personal benefit), persons covered and amounts paid in a
    month, per township, of one type (or ``all``: per county, township and type, with each county's total
    of each type), of one county or all the user's. A one-off payment counts in the month it was paid."""
    types = _types(assistance_type)
    county, township = aliased(Unit), aliased(Unit)
    lines = session.execute(
        select(county.code, township.code, county.name, township.name, RECIPIENT.c.assistance_type, func.count(),
               func.sum(RECIPIENT.c.household_size), func.sum(RECIPIENT.c.monthly_amount))
        .join(county, county.id == RECIPIENT.c.county_id).join(township, township.id == RECIPIENT.c.township_id)
        .where(RECIPIENT.c.county_id.in_(_counties(principal, county_id)),
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
        body += [_totals([county_name, "全县（区）合计", _type_name(kind)], [r for r in own if r[2] == kind])
                 for kind in types if any(r[2] == kind for r in own)]
    return Report(_title(month, ALL_TYPES, "保障对象月报"),
                  ["县（区）", "乡镇（街道）", "救助类别", "户（人）数", "人数", "发放金额（元）"],
                  [*body, _totals(["合计", "", ""], rows)])


# Who keeps the account a benefit is paid into; staff keeping it (代管) need the 代管协议 filed with the county.
KEEPERS = {"self": "本人", "family": "家庭成员", "village_staff": "村（居）委会代管", "township_staff": "乡镇（街道）代管"}


def _payment_roll(session: Session, counties: tuple[int, ...], month: date, assistance_type: str,
                  revealed: frozenset[int], stream: bool) -> Report:
    """The roll of ``counties``; a row's ID number in full only when its own county is in ``revealed``.
    A recognition without payment (低收入, amount 0) is on the monthly report, not on the roll. With ``stream``
    its rows are read from the database in batches as they are written out (once, while ``session`` is
    open: a roll of a province never lies whole in memory); else a list."""
    township, village = aliased(Unit), aliased(Unit)
    types = _types(assistance_type)
    statement = (
        select(RECIPIENT.c.county_id, township.name, village.name, RECIPIENT.c.applicant_name,
               RECIPIENT.c.applicant_id_number, RECIPIENT.c.household_size, RECIPIENT.c.monthly_amount,
               RECIPIENT.c.assistance_type, RECIPIENT.c.payment, RECIPIENT.c.payment_from,
               RECIPIENT.c.payment_account, RECIPIENT.c.account_keeper)
        .join(township, township.id == RECIPIENT.c.township_id).join(village, village.id == RECIPIENT.c.village_id)
        .where(*_on_roll(counties, month, types))
        .order_by(RECIPIENT.c.county_id, township.code, village.code,
                  case({kind: i for i, kind in enumerate(types)}, value=RECIPIENT.c.assistance_type), RECIPIENT.c.id))
    names = {kind: _type_name(kind) for kind in types}

    def lines() -> Iterator[list]:
        for (county_id, township_name, village_name, name, id_number, size, amount, kind, payment, paid_from,
             account, keeper) in session.connection().execution_options(yield_per=ROLL_BATCH).execute(statement):
            shown = county_id in revealed
            yield [township_name, village_name, name, id_number if shown else mask_id_number(id_number), size,
                   round(float(amount), 2), names[kind], f"一次性（{paid_from:%Y-%m-%d}）" if payment == "once" else "按月",
                   (account or "") if shown else mask_account(account), KEEPERS.get(keeper or "", "")]

    return Report(_title(month, assistance_type, "发放名册"),
                  ["乡镇（街道）", "村（社区）", "户主（本人）", "公民身份号码", "保障人数", "发放金额（元）",
                   "救助类别", "发放方式", "发放账户（社会保障卡）", "账户保管"], lines() if stream else list(lines()))


ROLL_BATCH = 5000  # rows of the payment roll fetched at a time


def _on_roll(counties: tuple[int, ...], month: date, types: tuple[str, ...]) -> list:
    """The benefits on a month's roll of ``counties``."""
    return [RECIPIENT.c.county_id.in_(counties), RECIPIENT.c.assistance_type.in_(types),
            RECIPIENT.c.monthly_amount > 0, _paid_in(month)]


def payment_roll(session: Session, principal: Principal, month: date, assistance_type: str,
                 county_id: int | None = None, stream: bool = False) -> Report:
    """One line per benefit paid in the month (monthly ones, and one-off payments of that month), ID
    numbers masked (of one county, or all the user's; one type or ``all``); ``stream``: see _payment_roll."""
    return _payment_roll(session, _counties(principal, county_id), month, assistance_type, frozenset(), stream)


def payment_roll_with_id_numbers(session: Session, principal: Principal, now: datetime, month: date,
                                 assistance_type: str, county_id: int | None = None, export_format: str = "csv",
                                 address: str | None = None, stream: bool = False) -> Report:
    """The bank's copy of the payment roll, with full ID numbers and accounts: only for county (民政局) staff of the county
    of every row, and recorded per county in the ID-reveal audit (the caller commits with the export)."""
    counties = _counties(principal, county_id)
    refuse_unless_allowed(principal, counties)
    report = _payment_roll(session, counties, month, assistance_type, allowed_counties(principal), stream)
    per_county = Counter(dict(session.execute(
        select(RECIPIENT.c.county_id, func.count()).where(*_on_roll(counties, month, _types(assistance_type)))
        .group_by(RECIPIENT.c.county_id)).all()))
    for county in counties:
        record_reveal(session, principal, now, county, "payment_roll", f"{report.title}（{export_format}）",
                      per_county[county], address)
    return report


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
    """An XLSX workbook with the report on one sheet, written to ``target`` by openpyxl's write-only mode
    (rows go to a temporary file as they come, so memory stays flat however long the report). Every text
    cell is a string cell: text is cleaned before it is made inert, so none starts with "=" (which
    openpyxl would write as a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("报表")
    for line in _lines(report, _without_illegal):
        sheet.append(line)
    workbook.save(target)


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
