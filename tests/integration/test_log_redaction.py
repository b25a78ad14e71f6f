"""Full ID numbers never reach a log: database errors hide their parameters, and every log record of the web
app, the scheduler and the command line is redacted."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

from sqlalchemy import insert

from engine.store.models import Sequence

ID_18 = "320921197001011236"
ID_18_X = "11010519491231002X"
ID_15 = "320921700101123"


def _logged_text(caplog) -> str:
    return caplog.text + "".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


def test_a_database_error_with_an_id_number_as_a_parameter_leaves_none_in_the_log(app, db, login, caplog):
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        s.execute(insert(Sequence), {"key": f"reveal:{ID_18}", "value": 1})
        uow.commit()

    @app.get("/provoke-integrity-error")
    def provoke():
        # The same key again: a unique violation whose parameters (and, on PostgreSQL, whose DETAIL)
        # carry the ID number.
        with db.unit_of_work(write=True) as uow:
            s = uow.session
            s.execute(insert(Sequence), {"key": f"reveal:{ID_18}", "value": 2})
            uow.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # served as in production: logged, then a 500 page
    user = login("township_xs")
    caplog.set_level(logging.DEBUG)
    response = user.get("/provoke-integrity-error")
    assert response.status_code == 500
    text = _logged_text(caplog)
    assert "IntegrityError" in text  # the error was logged …
    assert ID_18 not in text          # … without the number


def test_every_logger_of_the_app_is_redacted_messages_arguments_and_tracebacks(app, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("jiuzhu.scheduler", "werkzeug", "sqlalchemy.engine", "gunicorn.error", "webapp"):
        log = logging.getLogger(name)
        log.warning(f"applicant {ID_18} lodged")
        log.info("member %s and %s", ID_18_X, ID_15)
        try:
            raise ValueError(f"duplicate applicant_id_number={ID_18}")
        except ValueError:
            log.exception("failed for %s", ID_18)
    logging.getLogger("jiuzhu").info("case 320921-2026-000042 paid 1840.00 at 1763790000123456")
    text = _logged_text(caplog)
    assert ID_18 not in text and ID_18_X not in text and ID_15 not in text
    assert "320921********1236" in text and "110105********002X" in text and "320921*****1123" in text
    assert "duplicate applicant_id_number=320921********1236" in text  # the traceback is kept, redacted
    assert "case 320921-2026-000042 paid 1840.00 at 1763790000123456" in text  # other numbers are left alone


def test_the_command_line_and_the_scheduler_redact_their_logs():
    # In a fresh interpreter (this one already has the web app's redaction): a command of the `jiuzhu`
    # group, as `jiuzhu scheduler` is, logs an ID number to stderr.
    program = (
        "import logging\n"
        "from webapp.cli import main\n"
        "@main.command()\n"
        "def leak():\n"
        f"    logging.getLogger('jiuzhu.scheduler').error('timer of case for %s failed', '{ID_18}')\n"
        "main()\n")
    result = subprocess.run([sys.executable, "-c", program, "leak"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert result.returncode == 0, result.stderr
    assert "timer of case for 320921********1236 failed" in result.stderr and ID_18 not in result.stderr
