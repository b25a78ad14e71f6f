"""Where the eight requests of bench/over_http.py spend their time, in-process: `python -m bench.http_profile`.

The same instances as bench/over_http.py (the same users, forms read from the pages, CSRF and one-time
tokens included), sent through Flask's test client to an app built as webapp.wsgi builds it, so no
network and no gunicorn: what is left is the app. For each of the eight requests of an instance it prints
the SQL statements (counted by an SQLAlchemy ``before_cursor_execute`` listener) and the CPU time of this
process (median), then the totals per instance. BENCH_HTTP_PROFILE=1 adds a cProfile of the measured
instances (top functions by cumulative and by own time; BENCH_HTTP_PROFILE_ONLY="GET  /inbox" profiles only
the requests whose label holds that text), BENCH_HTTP_SQL=1 the statements of each kind of request. Knobs: BENCH_HTTP_CASES (40), BENCH_HTTP_WARMUP
(10), BENCH_HTTP_PROFILE_DUMP=<file> writes the cProfile's stats to a file, BENCH_POSTGRES=1 for PostgreSQL (a database of its own, dropped after) instead of SQLite.

BENCH_HTTP_INSTRUCTIONS=1 runs the same under valgrind's callgrind, instrumenting only the measured instances
(``callgrind_control -i on/off`` around them), and prints ``instructions_per_instance``: the CPU instructions
this process executed per instance (the database's included, SQLite being in-process). Unlike CPU time it
does not move with the machine's load, so two commits can be compared on a shared machine (a few minutes).
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date

os.environ.setdefault("JIUZHU_SECRET_KEY", "bench-secret")

from sqlalchemy import event  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from bench.over_http import USERS, Client, _instance  # noqa: E402
from bench.run import DEFAULT_PG, START, PgServer  # noqa: E402
from engine.installation import prepare_store  # noqa: E402
from engine.store.database import Database  # noqa: E402

CASES = max(1, int(os.environ.get("BENCH_HTTP_CASES", 40)))
WARMUP = max(0, int(os.environ.get("BENCH_HTTP_WARMUP", 10)))
TASK_PATH = re.compile(r"/tasks/[0-9a-f-]{36}")


class Tally:
    """Statements and CPU per labelled request, while ``on``."""

    def __init__(self) -> None:
        self.on = False
        self.statements = 0
        self.per_label: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.sql: dict[str, list[str]] = {}
        self.profiler = cProfile.Profile() if os.environ.get("BENCH_HTTP_PROFILE") == "1" else None
        self.only = os.environ.get("BENCH_HTTP_PROFILE_ONLY", "")  # profile only the requests so labelled

    def count(self, _conn, _cursor, statement, *_args) -> None:
        self.statements += 1
        if self.on and self.label not in self.sql:
            self.current_sql.append(statement.split("\n")[0][:140])

    def measure(self, label: str, call):
        self.label, self.current_sql = label, []
        before, cpu0 = self.statements, time.process_time()
        profiling = self.on and self.profiler is not None and self.only in label
        if profiling:
            self.profiler.enable()
        result = call()
        if profiling:
            self.profiler.disable()
        if self.on:
            self.per_label[label].append((self.statements - before, time.process_time() - cpu0))
            self.sql.setdefault(label, self.current_sql)
        return result


class InProcessClient(Client):
    """bench/over_http.py's Client over Flask's test client, each request measured by a Tally."""

    def __init__(self, app, role: str, tally: Tally) -> None:
        self.test_client, self.role, self.tally = app.test_client(), role, tally

    def request(self, method: str, path: str, form: dict | list | None = None) -> tuple[int, str, str]:
        label = f"{self.role:8} {method:4} {TASK_PATH.sub('/tasks/<id>', path.split('?')[0])}"
        response = self.tally.measure(label, lambda: self.test_client.open(path, method=method, data=MultiDict(form) if form else None))
        return response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True)


def profile_store(database_url: str) -> None:
    """Run the instances on one (empty, created) store and print the figures."""
    database = Database(database_url)
    prepare_store(database, START)
    database.dispose()
    os.environ["DATABASE_URL"] = database_url
    from webapp import create_app
    app = create_app()
    tally = Tally()
    event.listen(app.extensions["jiuzhu.db"].engine, "before_cursor_execute", tally.count)
    users = {role: InProcessClient(app, role, tally) for role in USERS}
    for role, client in users.items():
        client.log_in(USERS[role])
    today = date.today().isoformat()
    for i in range(WARMUP):
        _instance(users, i, today)
    tally.on = True
    counting = os.environ.get("BENCH_HTTP_CALLGRIND_OUT")
    if counting:
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    cpu0 = time.process_time()
    for i in range(WARMUP, WARMUP + CASES):
        _instance(users, i, today)
    cpu = time.process_time() - cpu0
    if counting:
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
    total_statements = 0
    print(f"{'request':40} {'SQL':>5} {'CPU ms (median)':>16}")
    for label, samples in tally.per_label.items():
        statements = statistics.median(n for n, _ in samples)
        total_statements += sum(n for n, _ in samples)
        print(f"{label:40} {statements:5g} {statistics.median(c for _, c in samples) * 1000:16.2f}")
    print(f"per instance: {total_statements / CASES:.1f} SQL statements, {cpu * 1000 / CASES:.1f} ms CPU "
          f"({CASES} instances, load average {os.getloadavg()[0]:.2f})")
    if os.environ.get("BENCH_HTTP_SQL") == "1":
        for label, statements in tally.sql.items():
            print(f"--- {label}")
            for line in statements:
                print("   ", line)
    if tally.profiler:
        if os.environ.get("BENCH_HTTP_PROFILE_DUMP"):  # a file for pstats / snakeviz
            tally.profiler.dump_stats(os.environ["BENCH_HTTP_PROFILE_DUMP"])
        for key in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(tally.profiler, stream=out).sort_stats(key).print_stats(os.environ.get("BENCH_HTTP_PROFILE_FILTER", ""), int(os.environ.get("BENCH_HTTP_PROFILE_LINES", 45)))
            print(out.getvalue())
    app.extensions["jiuzhu.db"].dispose()


def count_instructions() -> int:
    """Run this bench under callgrind (instrumented only while the instances are measured) and print the
    instructions per instance."""
    with tempfile.TemporaryDirectory() as folder:
        out = f"{folder}/callgrind.out"
        env = {**os.environ, "BENCH_HTTP_INSTRUCTIONS": "0", "BENCH_HTTP_CALLGRIND_OUT": out}
        subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                        sys.executable, "-m", "bench.http_profile"], env=env, check=True)
        with open(out) as dump:
            totals = [line for line in dump if line.startswith(("summary:", "totals:"))]
    instructions = int(totals[-1].split()[1])
    print(f"instructions_per_instance={instructions / CASES:.0f}  (callgrind, {CASES} instances after {WARMUP})")
    return 0


def main() -> int:
    if os.environ.get("BENCH_HTTP_INSTRUCTIONS") == "1":
        return count_instructions()
    if os.environ.get("BENCH_POSTGRES") == "1":
        server = PgServer(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG, f"jiuzhu_httpprof_{os.getpid()}")
        server.create()
        try:
            profile_store(server.url)
        finally:
            server.drop()
    else:
        with tempfile.TemporaryDirectory() as folder:
            profile_store(f"sqlite:///{folder}/profile.sqlite3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
