"""A one-sheet XLSX workbook written as a stream: the sheet's XML is made a row at a time (one string per
row, inline strings, no shared-string table) straight into the ZIP entry, so memory stays flat however long
the sheet. Used for the reports and the payment roll (发放名册), where openpyxl's write-only mode wrote ~12,000
rows/s and XlsxWriter's ``constant_memory`` mode ~10,000 on this machine (bench/README.md, issue 14): both make
several Python calls and objects per cell. Cells: ``str`` → a text cell (never read as a formula or a number:
ID numbers keep their digits), ``int``/``float``/``Decimal`` → a number, ``bool`` → a boolean,
``date``/``datetime`` → a date, ``None`` → no cell; the caller makes text inert and strips the control
characters XML cannot hold (reports._lines)."""
from __future__ import annotations

import math
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Iterable
from xml.sax.saxutils import escape

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
</Relationships>"""
# Style 0: general; 1: a date (yyyy-mm-dd); 2: a date and time.
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/></numFmts>\
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""
_SHEET_HEAD = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"""
_SHEET_TAIL = "</sheetData></worksheet>"
_EPOCH = datetime(1899, 12, 30)
_CR = {"\r": "&#13;"}  # a bare CR would be read back as LF (XML normalises line ends)
MAX_ROWS = 1_048_576  # a sheet's limit in Excel
ROWS_PER_WRITE = 2000


def _column(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        name = chr(65 + rest) + name
    return name


_COLUMNS = [_column(i) for i in range(16384)]


def _cell(ref: str, value) -> str:
    """One cell's XML (``ref`` like "B7"); "" for None."""
    kind = value.__class__
    if kind is str:
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value, _CR)}</t></is></c>'
    if kind is int or kind is float:
        if kind is float and not math.isfinite(value):
            return _cell(ref, str(value))
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if value is None:
        return ""
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="2"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - _EPOCH.date()).days}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return _cell(ref, float(value))
    return _cell(ref, str(value))


def write_sheet(lines: Iterable[list], target: IO[bytes], sheet_name: str = "Sheet1",
                compresslevel: int = 1) -> None:
    """A workbook of one sheet named ``sheet_name`` holding ``lines`` (one list of cells a row), to ``target``
    (deflated at ``compresslevel``: 1 is several times faster than the default and costs ~15 % in size)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet_name, {'"': "&quot;"})))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.encode())
            pending: list[str] = []
            columns = _COLUMNS
            for n, line in enumerate(lines, start=1):
                if n > MAX_ROWS:
                    raise ValueError(f"more than {MAX_ROWS:,} rows: too many for one sheet")
                cells = "".join([_cell(f"{columns[i]}{n}", value) for i, value in enumerate(line)])
                pending.append(f'<row r="{n}">{cells}</row>')
                if len(pending) == ROWS_PER_WRITE:
                    sheet.write("".join(pending).encode())
                    pending.clear()
            sheet.write(("".join(pending) + _SHEET_TAIL).encode())
