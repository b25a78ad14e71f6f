"""One payment roll (发放名册) streamed to a file, in a process of its own so that its peak memory is its own:
`python -m bench.roll <database url> <csv|xlsx> <county|province> <output path>` prints one JSON line
(rows, bytes, seconds, peak RSS in MB — VmHWM of /proc/self/status —, RSS before the roll).

The roll is the engine's (``engine.oversight.reports.payment_roll`` with ``stream=True``, of every benefit
type, the month of bench.households.START) written by the same chunk writers as GET /reports/payment-roll
(``csv_chunks`` / ``xlsx_chunks``: the sheet streamed by engine/oversight/xlsx_sheet.py); ``county``: the
roll of 响水县 alone (the baseline of the memory figure), ``province``: of every county, by a principal
supervising them all.
Run by bench/province.py.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("JIUZHU_SECRET_KEY", "bench-secret")

from sqlalchemy import text  # noqa: E402

from bench.households import COUNTY_CODE, START  # noqa: E402
from engine.oversight.reports import csv_chunks, payment_roll, xlsx_chunks  # noqa: E402
from engine.people.accounts import Principal  # noqa: E402
from engine.store.database import Database  # noqa: E402


def _memory_mb(field: str) -> float:
    """VmHWM (peak resident set) or VmRSS of this process, in MB (getrusage's ru_maxrss is no use here: it
    keeps the parent's peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def main(url: str, export_format: str, scope: str, path: str) -> int:
    database = Database(url)
    with database.unit_of_work() as uow:
        s = uow.session
        where = "" if scope == "province" else f"AND code = '{COUNTY_CODE}'"
        counties = s.execute(text(f"SELECT id FROM unit WHERE level = 'county' {where} ORDER BY id")).scalars().all()
    principal = Principal(0, "bench", "bench", tuple(("county_supervisor", c) for c in counties))
    before = _memory_mb("VmRSS")
    t0 = time.perf_counter()
    size = 0
    with database.unit_of_work() as uow, open(path, "wb") as out:
        report = payment_roll(uow.session, principal, START.date().replace(day=1), "all", stream=True)
        counted = _Counted(report.rows)
        report.rows = counted
        for chunk in (xlsx_chunks(report) if export_format == "xlsx" else csv_chunks(report)):
            out.write(chunk)
            size += len(chunk)
    seconds = time.perf_counter() - t0
    database.dispose()
    print(json.dumps({"rows": counted.n, "bytes": size, "seconds": seconds, "peak_rss_mb": _memory_mb("VmHWM"),
                      "rss_before_mb": before}))
    return 0


class _Counted:
    """The rows, counted as they pass."""

    def __init__(self, rows) -> None:
        self.rows, self.n = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.n += 1
            yield row


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
