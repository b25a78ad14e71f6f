"""The streamed XLSX writer (engine.oversight.xlsx_sheet) behind every report's and the payment roll's XLSX:
the workbook opens (openpyxl, and LibreOffice when installed), cells keep their types, text that looks like a
number or a formula stays inert text, the same rule as the CSV's."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from engine.oversight.reports import ROLL_HEADER, Report, to_csv, to_xlsx

ROWS = [["响水镇", "城东社区", "=HYPERLINK(\"http://x\")", "032092119700101123", 3, 1961.64, "最低生活保障", "按月",
         "6217000000001234", "本人", ""],
        ["A&B <c>", "-2+3", "@SUM(A1)", "1.5E+3", 0, 650.0, "+1", "\r=1", "007", "\x01控制\x1f字符", ""],
        ["", None, "  空格  ", "320921197001011236", 10 ** 12, Decimal("12.50"), True, date(2026, 9, 1),
         datetime(2026, 9, 1, 8, 30), "]]>", "李四（320921********1236）"]]


def _report() -> Report:
    return Report("2026年09月社会救助发放名册", list(ROLL_HEADER), iter([list(r) for r in ROWS]))


def test_cells_keep_their_types_and_text_stays_inert_as_in_the_csv():
    sheet = load_workbook(io.BytesIO(to_xlsx(_report()))).active
    assert sheet.title == "报表"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("2026年09月社会救助发放名册",) + (None,) * 10
    assert values[1] == ROLL_HEADER
    assert values[2] == ("响水镇", "城东社区", "'=HYPERLINK(\"http://x\")", "032092119700101123", 3, 1961.64,
                         "最低生活保障", "按月", "6217000000001234", "本人", "")
    assert values[3] == ("A&B <c>", "'-2+3", "'@SUM(A1)", "1.5E+3", 0, 650.0, "'+1", "'\r=1", "007", "控制字符", "")
    assert values[4][2:] == ("  空格  ", "320921197001011236", 10 ** 12, 12.5, True, datetime(2026, 9, 1),
                             datetime(2026, 9, 1, 8, 30), "]]>", "李四（320921********1236）")
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    for cell in cells:
        if isinstance(cell.value, str):
            assert cell.data_type == "s" and not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert sheet["D3"].data_type == "s" and sheet["E3"].data_type == "n" and sheet["F3"].data_type == "n"
    assert sheet["H5"].is_date and sheet["H5"].number_format == "yyyy\\-mm\\-dd"
    # The CSV applies the same rule to the same cells (apostrophe before a formula trigger).
    lines = list(csv.reader(io.StringIO(to_csv(_report()).decode("utf-8-sig"))))
    assert [lines[3][i] for i in (1, 2, 6)] == [values[3][i] for i in (1, 2, 6)]


def test_the_workbook_is_a_stream_of_rows_a_spreadsheet_program_opens(tmp_path):
    data = to_xlsx(Report("名册", ["甲", "乙"], iter([[f"{i:06d}", i * 0.5] for i in range(5000)])))
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert book.testzip() is None
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml"} <= set(
            book.namelist())
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 5002 and rows[2] == ("000000", 0.0) and rows[-1] == ("004999", 2499.5)
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed: opened with openpyxl only")
    (tmp_path / "roll.xlsx").write_bytes(data)
    subprocess.run([office, "--headless", "--convert-to", "csv", "--outdir", str(tmp_path),
                    str(tmp_path / "roll.xlsx")], check=True, capture_output=True, timeout=120)
    converted = (tmp_path / "roll.csv").read_text(encoding="utf-8", errors="replace").splitlines()
    assert len(converted) == 5002 and converted[2].startswith("000000,")
