"""Wall-clock breakdown of one web completion and one inbox page (low overhead, no cProfile).

Wraps named functions of the running app in timers (in this process only; no file is
changed) and reports, per operation, the median inclusive time of each. Used by
`python -m bench.run` when BENCH_PROFILE=1, or on its own: `python -m bench.breakdown`.
"""
from __future__ import annotations

import functools
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

perf = time.perf_counter


class Probes:
    """Timers around attributes; each probe adds its inclusive time to the current operation."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.ops: list[dict[str, float]] = []
        self.order: list[tuple[str, int]] = []
        self._undo: list = []

    def wrap(self, owner, attr: str, label: str, depth: int = 0) -> None:
        original = getattr(owner, attr) if not isinstance(owner, dict) else owner[attr]
        probes = self

        @functools.wraps(original)
        def timed(*args, **kwargs):
            t = perf()
            try:
                return original(*args, **kwargs)
            finally:
                probes.current[label] += perf() - t
                probes.calls[label] += 1

        if isinstance(owner, dict):
            owner[attr] = timed
            self._undo.append(lambda: owner.__setitem__(attr, original))
        else:
            had_own = attr in getattr(owner, "__dict__", {})
            setattr(owner, attr, timed)
            self._undo.append(lambda: setattr(owner, attr, original) if had_own else delattr(owner, attr))
        self.order.append((label, depth))

    def start(self) -> None:
        self.current = defaultdict(float)

    def stop(self, total: float) -> None:
        self.current["TOTAL"] = total
        self.ops.append(dict(self.current))

    def undo(self) -> None:
        for fn in reversed(self._undo):
            fn()
        self._undo.clear()

    def report(self, say, prefix: str) -> None:
        n = len(self.ops)
        say(f"{prefix} median inclusive ms per operation over {n} operations (calls/op):")
        labels = [("TOTAL", 0)] + self.order
        for label, depth in labels:
            values = [op.get(label, 0.0) for op in self.ops]
            calls = self.calls.get(label, n) / n if label != "TOTAL" else 1
            say(f"{prefix}   {'  ' * depth}{label:<{58 - 2 * depth}} {statistics.median(values) * 1000:7.3f} ms"
                f"  (mean {statistics.fmean(values) * 1000:6.3f}, calls/op {calls:.1f})")


class CursorTimes:
    """Driver time per statement (before/after_cursor_execute), i.e. the database's share."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event
        self.engine, self.event = engine, event
        self.per_op: list[dict[str, float]] = []
        self.current: dict[str, float] = defaultdict(float)
        self._t = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._t = perf()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.current[" ".join(statement.split())[:70]] += perf() - self._t

    def end_op(self) -> None:
        self.per_op.append(dict(self.current))
        self.current = defaultdict(float)

    def remove(self) -> None:
        self.event.remove(self.engine, "before_cursor_execute", self._before)
        self.event.remove(self.engine, "after_cursor_execute", self._after)

    def report(self, say, prefix: str) -> None:
        keys = list(dict.fromkeys(k for op in self.per_op for k in op))
        totals = [sum(op.values()) for op in self.per_op]
        say(f"{prefix} driver (cursor.execute) time per operation: median {statistics.median(totals) * 1000:.3f} ms; "
            f"by statement (median ms):")
        for key in keys:
            values = [op.get(key, 0.0) for op in self.per_op]
            say(f"{prefix}   {statistics.median(values) * 1000:7.3f} ms  {key}")


def completion_breakdown(database, app, user, task_ids, raw, say, prefix="[breakdown]") -> None:
    """Median per-function times of web completions, and of the raw baseline's three steps."""
    import flask_babel
    from sqlalchemy.orm import Session

    import engine.cases.lifecycle as cases
    import engine.cases.writer as writer
    import webapp.inbox as views
    from engine.catalogue.forms import FormValidator
    from engine.runtime.workflow import Workflow
    from webapp.security import csrf

    p = Probes()
    p.wrap(app, "wsgi_app", "Flask wsgi_app (test client overhead excluded)")
    p.wrap(app.session_interface, "open_session", "session cookie open (itsdangerous)", 1)
    p.wrap(csrf, "protect", "CSRF check (Flask-WTF)", 1)
    p.wrap(app.view_functions, "inbox.task", "view inbox.task", 1)
    p.wrap(views, "coerce_html_form", "coerce_html_form", 2)
    p.wrap(views, "complete_task", "cases.complete_task", 2)
    p.wrap(cases, "get_version", "cases.get_version (cached)", 3)
    p.wrap(cases, "locked", "writer.locked (get_bind, dialect check)", 3)
    p.wrap(FormValidator, "validate", "FormValidator.validate (jsonschema)", 3)
    p.wrap(Workflow, "restore", "Workflow.restore (json.loads + registry.restore)", 3)
    p.wrap(Workflow, "complete", "Workflow.complete (set_data, run, engine steps)", 3)
    p.wrap(cases, "write_event", "writer.write_event (audit insert)", 3)
    p.wrap(cases, "sync_tasks", "writer.sync_tasks (inbox rows)", 3)
    p.wrap(writer, "task_due", "writer.task_due (working-day deadline)", 4)
    p.wrap(cases, "write_state", "writer.write_state (state update)", 3)
    p.wrap(writer, "state_values", "writer.state_values", 4)
    p.wrap(Workflow, "dump", "Workflow.dump (registry.convert + json.dumps)", 5)
    p.wrap(Workflow, "ready_user_tasks", "Workflow.ready_user_tasks (all calls)", 3)
    p.wrap(Workflow, "next_timer_due", "Workflow.next_timer_due", 3)
    p.wrap(Session, "commit", "Session.commit", 3)
    p.wrap(views, "_", "flask_babel gettext (flash message)", 2)
    p.wrap(flask_babel, "get_locale", "flask_babel.get_locale (Locale.parse)", 3)
    p.wrap(views, "flash", "flash()", 2)
    p.wrap(views, "redirect", "redirect()", 2)
    p.wrap(views, "url_for", "url_for()", 2)
    p.wrap(Session, "execute", "Session.execute, all SQL (compile+run), cross-cutting", 0)
    p.wrap(Session, "connection", "Session.connection (checkout + BEGIN [IMMEDIATE])", 0)
    p.wrap(Session, "close", "Session.close", 0)
    p.wrap(Session, "rollback", "Session.rollback (unit_of_work exit)", 0)
    p.wrap(app.session_interface, "save_session", "session cookie save (itsdangerous)", 1)
    cursor = CursorTimes(database.engine)
    try:
        for task_id in task_ids:
            user.reset_session()
            p.start()
            t = perf()
            response = user.complete(task_id)
            p.stop(perf() - t)
            assert response.status_code == 302, response.status_code
            cursor.end_op()
    finally:
        p.undo()
        cursor.remove()
    p.report(say, prefix)
    cursor.report(say, prefix)

    # The raw baseline's three steps.
    r = defaultdict(list)
    for _ in range(len(task_ids)):
        t0 = perf()
        wf = raw.serializer.deserialize_json(raw.state)
        wf.script_engine = raw.script_engine
        t1 = perf()
        task = wf.get_task_from_id(raw.task_id)
        task.set_data(**raw.task_data)
        task.run()
        wf.refresh_timers()
        wf.do_engine_steps()
        t2 = perf()
        raw.serializer.serialize_json(wf)
        t3 = perf()
        r["deserialize_json (with spec)"].append(t1 - t0)
        r["run + refresh_timers + do_engine_steps"].append(t2 - t1)
        r["serialize_json (with spec)"].append(t3 - t2)
        r["TOTAL"].append(t3 - t0)
    say(f"{prefix} raw SpiffWorkflow steps, median ms over {len(task_ids)} operations:")
    for label in ("TOTAL", "deserialize_json (with spec)", "run + refresh_timers + do_engine_steps",
                  "serialize_json (with spec)"):
        say(f"{prefix}   {label:<58} {statistics.median(r[label]) * 1000:7.3f} ms")


def inbox_breakdown(database, app, user, samples: int, say, prefix="[inbox breakdown]") -> None:
    """Median per-function times of GET /inbox."""
    import flask_babel
    from sqlalchemy.orm import Session

    import engine.oversight.inbox as queries
    import webapp.pages as pages
    import webapp.inbox as views
    from engine.workdays import WorkingCalendar

    p = Probes()
    p.wrap(app, "wsgi_app", "Flask wsgi_app (test client overhead excluded)")
    p.wrap(app.session_interface, "open_session", "session cookie open", 1)
    p.wrap(app.view_functions, "inbox.inbox", "view inbox.inbox", 1)
    p.wrap(queries, "inbox", "oversight.inbox.inbox (2 SQL queries)", 2)
    p.wrap(views, "render_template", "render_template inbox.html", 2)
    p.wrap(pages, "remaining_workdays", "remaining_workdays (per row)", 3)
    p.wrap(WorkingCalendar, "load", "WorkingCalendar.load", 4)
    p.wrap(WorkingCalendar, "workdays_between", "WorkingCalendar.workdays_between", 4)
    p.wrap(app.jinja_env.globals, "url_for", "url_for in the template", 3)
    p.wrap(app.jinja_env.globals, "gettext", "gettext/_ in the template (newstyle)", 3)
    p.wrap(app.jinja_env.filters, "mask_id", "filter mask_id", 3)
    p.wrap(app.jinja_env.filters, "local_dt", "filter local_dt", 3)
    p.wrap(flask_babel, "get_locale", "flask_babel.get_locale (Locale.parse)", 3)
    p.wrap(flask_babel.Domain, "get_translations", "flask_babel Domain.get_translations", 3)
    p.wrap(views, "current_principal", "current_principal", 3)
    p.wrap(Session, "execute", "Session.execute, all SQL, cross-cutting", 0)
    p.wrap(app.session_interface, "save_session", "session cookie save", 1)
    try:
        for _ in range(samples):
            p.start()
            t = perf()
            response = user.client.get("/inbox")
            p.stop(perf() - t)
            assert response.status_code == 200
    finally:
        p.undo()
    p.report(say, prefix)


def main() -> None:
    from bench import run as B
    with tempfile.TemporaryDirectory(prefix="jiuzhu_breakdown_") as tmp:
        database = B.build_store(f"sqlite:///{Path(tmp) / 'j.sqlite3'}")
        clock = B.FrozenClock(B.START)
        ids = B.prepare_cases(database, clock, 320)
        app = B.make_app(database, clock)
        user = B.WebUser(app, "township_xs")
        raw = B.RawSpiff(database, clock)
        for task_id in ids[:20]:
            user.reset_session()
            user.complete(task_id)
            raw.complete_once()
        completion_breakdown(database, app, user, ids[20:], raw, B.say, "[sqlite breakdown]")
        database.dispose()


if __name__ == "__main__":
    main()
