"""The three-step route over HTTP through gunicorn: `python -m bench.over_http` (also run by `python -m bench.run`).

http_cases_per_s
    Instances of the 尊老金 (old-age allowance) national route completed per second, lodged by the village
    (community_rx, 仁兴社区, 四平市铁西区), reviewed by the township (street_rx, 乡镇审核) and approved by the
    county (district_tx, 县级审批) — the village → township → county route SpiffArena was measured on
    (/work/shared/reference/spiffarena-measured.md: 3.3 instances/s, ~270 ms of server CPU each). One
    gunicorn worker (``webapp.wsgi:app``, as deploy/jiuzhu-web.service runs it) on 127.0.0.1 and one sequential
    client holding three logged-in users, each on its own keep-alive connection. Per instance, as a browser
    does: GET the application form, POST it (302); then for each of the two tasks GET the inbox, take the
    case's task link, GET the task page, POST its form (302): 8 requests. Forms are read from the pages
    (lxml): every control the page sends, CSRF token and one-time token included, then the step's answers.
    Target ≥ 60 (SQLite).
http_cpu_ms_per_case
    The worker's CPU time (user + system, /proc/<pid>/stat) over the measured instances ÷ instances.
    Target ≤ 15 (SQLite).
http_bytes_per_case
    What the store grew by over the measured instances ÷ instances (SQLite: used pages after a WAL
    checkpoint; PostgreSQL's database size is printed beside). Target ≤ 5 KB (SQLite).

Both stores: SQLite (a file in a temp dir) and PostgreSQL (a database of its own, dropped after), each
migrated and loaded by ``prepare_store`` (the demo places and users). Every instance is checked to end
where it should: after each run every case the run lodged is completed with outcome ``end_approved`` and
no task open. Figures: the medians of BENCH_HTTP_RUNS runs (default 3) of BENCH_HTTP_CASES instances
(default 100) after BENCH_HTTP_WARMUP (10) unmeasured ones; the ratio to SpiffArena's figure is printed.
"""
from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

os.environ.setdefault("JIUZHU_SECRET_KEY", "bench-secret")

from lxml import html as lxml_html  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.run import DEFAULT_PG, START, PgServer  # noqa: E402
from engine.catalogue.forms import with_check_digit  # noqa: E402
from engine.installation import prepare_store  # noqa: E402
from engine.store.database import Database  # noqa: E402
from tests.factories import DEMO_PASSWORD  # noqa: E402

RUNS = max(1, int(os.environ.get("BENCH_HTTP_RUNS", 3)))
CASES = max(1, int(os.environ.get("BENCH_HTTP_CASES", 100)))
WARMUP = max(0, int(os.environ.get("BENCH_HTTP_WARMUP", 10)))
TARGETS = {"http_cases_per_s": 60.0, "http_cpu_ms_per_case": 15.0}
SPIFFARENA = {"http_cases_per_s": 3.33, "http_cpu_ms_per_case": 270.0}  # the reference note, same machine
USERS = {"village": "community_rx", "township": "street_rx", "county": "district_tx"}
TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})[^"]*"')
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Client:
    """One user on one keep-alive connection, with its cookies; redirects are not followed."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | list | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text_ = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers.get("Location", ""), text_

    def get(self, path: str) -> str:
        status, _location, page = self.request("GET", path)
        assert status == 200, (path, status, page[:500])
        return page

    def submit(self, path: str, page: str, answers: dict[str, object]) -> str:
        """POST the page's form that holds ``answers``' first field, as a browser would; the redirect target."""
        status, location, body = self.request("POST", path, form_of(page, answers))
        assert status in (302, 303), (path, status, body[:3000])
        return location

    def log_in(self, username: str) -> None:
        page = self.get("/login")
        status, _location, body = self.request("POST", "/login", form_of(page, {"username": username,
                                                                              "password": DEMO_PASSWORD}))
        assert status == 302, (status, body[:500])


def form_of(page: str, answers: dict[str, object]) -> list[tuple[str, str]]:
    """What a browser sends for the form holding ``answers``' fields: its controls' current values (hidden
    tokens, defaults), then the answers (a checkbox answered True sends its own value, a yes/no radio pair
    "true" or "false")."""
    doc = lxml_html.fromstring(page)
    first = next(iter(answers))
    [form] = [f for f in doc.forms if f.xpath(f'.//*[@name="{first}"]')][:1]
    values = dict(form.form_values())
    for name, answer in answers.items():
        controls = form.xpath(f'.//*[@name="{name}"]')
        assert controls, f"no field {name!r} in the form"
        if controls[0].get("type") == "checkbox":
            if answer:
                values[name] = controls[0].get("value") or "on"
            else:
                values.pop(name, None)
        elif isinstance(answer, bool):  # a yes/no pair of radio buttons
            values[name] = "true" if answer else "false"
        else:
            values[name] = str(answer)
    buttons = form.xpath('.//button[@type="submit" and @name]')
    if buttons:  # the first submit button, as pressing Enter would
        values.setdefault(buttons[0].get("name"), buttons[0].get("value") or "")
    return list(values.items())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15)


class Server:
    """gunicorn with one worker serving webapp.wsgi:app on a store."""

    def __init__(self, database_url: str) -> None:
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "JIUZHU_SECRET_KEY": "bench-secret"}
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
             "--timeout", "120", "webapp.wsgi:app"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.log.seek(0)
                    raise RuntimeError("gunicorn did not start: " + self.log.read().decode()[-3000:])
                time.sleep(0.2)
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        assert len(children) == 1, children
        self.worker = int(children[0])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def _stored_bytes(database: Database) -> int:
    """The bytes the store's rows take: SQLite's used pages (free pages left out, the WAL checkpointed into
    the file first), PostgreSQL's database size."""
    with database.engine.connect() as conn:
        if database.is_postgres:
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (conn.exec_driver_sql(f"PRAGMA {p}").scalar_one()
                             for p in ("page_count", "freelist_count", "page_size"))
        return (pages - free) * size


def _instance(users: dict[str, Client], i: int, today: str) -> None:
    """One instance of the route, start to end, as the three users do it."""
    born = date(1930, 1, 1) + timedelta(days=i)
    id_number = with_check_digit(f"220302{born:%Y%m%d}123")
    village, township, county = users["village"], users["township"], users["county"]
    page = village.get("/cases/new?assistance_type=old_age_allowance")
    case_url = village.submit("/cases/new", page, {
        "applicant_name": f"赵{i}", "applicant_id_number": id_number, "applied_on": today,
        "address": "四平市铁西区仁兴社区2组", "agent_name": "赵大成", "agent_relation": "儿子",
        "payment_account": "6228480012345678", "old_age_declaration_true": True})
    assert "/cases/" in case_url, case_url
    for user, answers in ((township, {"old_age_identity_verified": True, "old_age_alive_verified": True,
                                      "old_age_review_opinion": "eligible", "old_age_reviewed_on": today}),
                          (county, {"old_age_decision": "approved", "old_age_decided_on": today})):
        inbox = user.get("/inbox")
        links = TASK_LINK.findall(inbox)
        assert len(set(links)) == 1, links  # the one task of the one instance under way
        task_page = user.get(f"/tasks/{links[0]}")
        user.submit(f"/tasks/{links[0]}", task_page, answers)


def measure_store(label: str, database_url: str, say=print) -> dict[str, float]:
    """The figures on one store (already created and empty)."""
    database = Database(database_url)
    prepare_store(database, START)
    database.dispose()
    server = Server(database_url)
    try:
        users = {role: Client(server.port) for role in USERS}
        for role, client in users.items():
            client.log_in(USERS[role])
        today = date.today().isoformat()  # the server runs on the real clock
        serial = 0
        for _ in range(WARMUP):
            _instance(users, serial, today)
            serial += 1
        rates, cpu_ms = [], []
        database = Database(database_url)
        bytes0 = _stored_bytes(database)
        for run in range(RUNS):
            with database.unit_of_work() as uow:
                first_case = uow.session.execute(text('SELECT coalesce(max(id), 0) FROM "case"')).scalar_one()
            cpu0, t0 = _cpu_seconds(server.worker), time.perf_counter()
            for _ in range(CASES):
                _instance(users, serial, today)
                serial += 1
            elapsed, cpu = time.perf_counter() - t0, _cpu_seconds(server.worker) - cpu0
            with database.unit_of_work() as uow:
                s = uow.session
                ends = dict(s.execute(text('SELECT coalesce(outcome, status), count(*) FROM "case" WHERE id > :c '
                                           'GROUP BY 1'), {"c": first_case}).all())
                still_open = s.execute(text('SELECT count(*) FROM human_task t JOIN "case" c ON c.id = t.case_id '
                                            "WHERE c.id > :c AND t.status = 'open'"), {"c": first_case}).scalar_one()
            assert ends == {"end_approved": CASES} and still_open == 0, (ends, still_open)
            rates.append(CASES / elapsed)
            cpu_ms.append(cpu * 1000 / CASES)
            say(f"[http {label}] run {run + 1}/{RUNS}: {CASES} instances in {elapsed:.2f} s = {CASES / elapsed:.1f}/s "
                f"({elapsed * 1000 / CASES / 8:.1f} ms per request, 8 requests each); worker CPU "
                f"{cpu * 1000 / CASES:.1f} ms per instance; all {CASES} ended at end_approved, no task open; load "
                f"average {os.getloadavg()[0]:.2f}")
        per_case = (_stored_bytes(database) - bytes0) / (RUNS * CASES)
        say(f"[http {label}] stored bytes per completed case: {per_case:,.0f} (the database's growth over the "
            f"{RUNS * CASES} measured instances{'' if database.is_postgres else ', WAL checkpointed'})")
        database.dispose()
    finally:
        server.stop()
    figures = {"http_cases_per_s": statistics.median(rates), "http_cpu_ms_per_case": statistics.median(cpu_ms),
               "http_bytes_per_case": per_case}
    say(f"[http {label}] median {figures['http_cases_per_s']:.1f} instances/s "
        f"({figures['http_cases_per_s'] / SPIFFARENA['http_cases_per_s']:.1f}× SpiffArena's 3.33), worker CPU "
        f"{figures['http_cpu_ms_per_case']:.1f} ms per instance (SpiffArena ~270: "
        f"{SPIFFARENA['http_cpu_ms_per_case'] / figures['http_cpu_ms_per_case']:.1f}× less)")
    return figures


def measure_http(say=print, postgres: bool = True) -> dict[str, dict[str, float]]:
    """The figures on SQLite, then on PostgreSQL (unless ``postgres`` is False)."""
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        out["sqlite"] = measure_store("sqlite", f"sqlite:///{folder}/http.sqlite3", say)
    if postgres:
        server = PgServer(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG, f"jiuzhu_http_{os.getpid()}")
        server.create()
        try:
            out["postgresql"] = measure_store("postgresql", server.url, say)
        finally:
            server.drop()
    return out


def main() -> int:
    figures = measure_http(postgres=os.environ.get("BENCH_POSTGRES") != "0")
    for store, values in figures.items():
        for name, value in values.items():
            if name not in TARGETS:
                continue
            say_target = f" (target {'≥' if name.endswith('per_s') else '≤'} {TARGETS[name]:g} on SQLite)"
            print(f"[http] {store} {name} {value:.2f}{say_target}", flush=True)
    for name in TARGETS:
        print(f"{name}={figures['sqlite'][name]:.2f}", flush=True)
    print(f"http_bytes_per_case={figures['sqlite']['http_bytes_per_case']:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
