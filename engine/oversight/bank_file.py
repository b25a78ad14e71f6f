"""The bank's file of a payment roll (代发文件): the common 代发 layout, since no bank's own format was found in
the sources (an assumption, docs/rules.md readings). A first line with the number of payments and their total,
then the column line and one line per payment — 序号, 账号/社保卡号, 户名, 金额, 身份证号, 摘要 — as CSV encoded
GBK with CRLF line ends, written as the roll's rows stream in (a province's roll never lies whole in memory)."""
from __future__ import annotations

import csv
import io
from typing import Iterator

from engine.oversight.reports import Report, neutralise

BANK_HEADER = ("序号", "账号/社保卡号", "户名", "金额", "身份证号", "摘要")
BANK_ENCODING = "gbk"
# The roll's columns the bank's line takes: the account, the name, the amount, the ID number, the type.
_ACCOUNT, _NAME, _AMOUNT, _ID_NUMBER, _TYPE = 8, 2, 5, 3, 6


def _encoded(text: str) -> bytes:
    # A character GBK lacks (a rare name character) becomes "?": the bank then returns that payment as failed
    # (户名不符) and the township pays it by hand, rather than the whole file being refused.
    return text.encode(BANK_ENCODING, errors="replace")


def bank_lines(report: Report) -> Iterator[list]:
    """The file's lines (the totals, the columns, the payments) of the bank's copy ``report`` (with its
    ``totals``), every text cell made inert (reports.neutralise) in case the file is opened in a spreadsheet."""
    if report.totals is None or report.month is None:
        raise ValueError("the bank's file is written from the bank's copy of a roll (with its totals)")
    count, total = report.totals
    yield ["总笔数", count, "总金额", f"{total:.2f}"]
    yield list(BANK_HEADER)
    month = f"{report.month:%Y年%m月}"
    for n, row in enumerate(report.rows, start=1):
        yield [n, neutralise(row[_ACCOUNT]), neutralise(row[_NAME]), f"{row[_AMOUNT]:.2f}",
               neutralise(row[_ID_NUMBER]), neutralise(f"{month}{row[_TYPE]}")]


def bank_chunks(report: Report, lines_per_chunk: int = 2000) -> Iterator[bytes]:
    """The bank's file in chunks of ``lines_per_chunk`` lines, GBK with CRLF (see bank_lines)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for n, line in enumerate(bank_lines(report), start=1):
        writer.writerow(line)
        if n % lines_per_chunk == 0:
            yield _encoded(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    yield _encoded(buffer.getvalue())
