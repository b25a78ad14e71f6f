"""The operator's endpoints: /healthz, /metrics, request ids; JSON logs without full ID numbers."""
from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

from sqlalchemy import update

from engine import REQUEST_ID, configure_logging, record_run
from engine.store.models import Case
from tests.factories import fresh_id_number, start


def test_healthz_answers_without_log_in_with_the_schedulers_runs_and_lag(db, clock, who, unit_id, app):
    client = app.test_client()
    first = client.get("/healthz")
    assert first.status_code == 200 and first.json["status"] == "ok" and first.json["database"] == "ok"
    assert first.json["scheduler"]["timers"] is None and first.json["timer_lag_seconds"] == 0
    record_run(db, clock, "timers", 42)
    walk = start(db, clock, who, unit_id)
    with db.unit_of_work(write=True) as uow:  # a timer due 90 s ago that no sweep has fired
        uow.session.execute(update(Case).where(Case.id == walk.case_id)
                            .values(next_due_at=clock.now() - timedelta(seconds=90)))
        uow.commit()
    clock.advance(seconds=30)
    body = client.get("/healthz").json
    assert body["scheduler"]["timers"]["duration_ms"] == 42 and body["scheduler"]["timers"]["age_seconds"] == 30
    assert body["timer_lag_seconds"] == 120  # due 90 s before the 30 s the clock moved
    assert walk.number not in json.dumps(body) and "王小明" not in json.dumps(body)


def test_metrics_need_the_token_or_an_admin(db, clock, who, unit_id, app, login):
    app.config["METRICS_TOKEN"] = "s3cret-token"
    client = app.test_client()
    client.get("/healthz")
    walk = start(db, clock, who, unit_id)
    clerk = login("township_xs")
    done = clerk.post_form(f"/tasks/{walk.open_tasks()[0].id}", {"acceptance_decision": "accepted",
                                                                 "accepted_on": "2026-09-15"})
    assert done.status_code == 302
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert login("supervisor").get("/metrics").status_code == 403
    scraped = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert scraped.status_code == 200 and scraped.mimetype == "text/plain"
    text = scraped.text
    assert 'jiuzhu_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert "jiuzhu_task_completions_total 1.0" in text
    assert "jiuzhu_open_tasks " in text and "jiuzhu_timer_lag_seconds " in text and "jiuzhu_open_incidents " in text
    assert login("admin").get("/metrics").status_code == 200


def test_every_response_carries_a_request_id(app):
    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "proxy-abc.123"}).headers["X-Request-ID"] == "proxy-abc.123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\u00e9" * 20}).headers["X-Request-ID"]
    assert len(replaced) == 32 and replaced.isalnum()


def test_json_logs_carry_the_request_id_and_mask_id_numbers(monkeypatch):
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("spiff").level)
    try:
        configure_logging("json")
        stream = io.StringIO()
        root.handlers[0].setStream(stream)
        id_number = fresh_id_number()
        token = REQUEST_ID.set("req-1")
        logging.getLogger("jiuzhu.test").info("looked up %s", id_number)
        REQUEST_ID.reset(token)
        logging.getLogger("spiff.task").info("task state changed")
        line = json.loads(stream.getvalue().splitlines()[0])
        assert line["request_id"] == "req-1" and line["logger"] == "jiuzhu.test" and line["level"] == "INFO"
        assert id_number not in line["message"] and id_number[-4:] in line["message"]
        assert len(stream.getvalue().splitlines()) == 1  # SpiffWorkflow's INFO line is off
    finally:
        root.handlers[:], level, spiff = saved
        root.setLevel(level)
        logging.getLogger("spiff").setLevel(spiff)
