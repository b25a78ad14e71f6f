"""The operator's endpoints and request bookkeeping: ``/healthz`` (no personal data, no log-in),
``/metrics`` in Prometheus's format (a bearer token from JIUZHU_METRICS_TOKEN, or an admin's session),
a request id on every request and response, and one access-log line per request."""
from __future__ import annotations

import hmac
import logging
import os
import re
import time
import uuid

from flask import Blueprint, Flask, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from engine import REQUEST_ID, health, queue_sizes
from engine.errors import Forbidden

from .auth import principal_of_cookie
from .db import clock, db

bp = Blueprint("operator", __name__)
log = logging.getLogger("jiuzhu.access")
# A caller's (or the proxy's) request id is kept only when it is short and plain: it goes into every log line.
REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,64}")
TOKEN_ENV = "JIUZHU_METRICS_TOKEN"
# A task completed: the task form's POST redirects to the case; the API's answers 200 (a refusal is 4xx).
COMPLETIONS = {("inbox.task", "POST", 302), ("api.complete", "POST", 200)}


class StoreCollector:
    """Figures read from the store at each scrape: queues, job runs, timer lag."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        """Yield the gauges (nothing when the store is unreachable: /healthz says so)."""
        with self.app.app_context():
            try:
                with db().unit_of_work() as uow:
                    now = clock().now()
                    status, queues = health(uow.session, now), queue_sizes(uow.session, now)
            except Exception:  # noqa: BLE001 - a scrape must not fail because the store is down
                log.exception("metrics: the store could not be read")
                return
        for name, value in queues.items():
            yield GaugeMetricFamily(f"jiuzhu_{name}", f"{name.replace('_', ' ')} now", value=value)
        yield GaugeMetricFamily("jiuzhu_timer_lag_seconds", "how long the oldest due timer has waited",
                                value=status["timer_lag_seconds"])
        age = GaugeMetricFamily("jiuzhu_job_age_seconds", "seconds since the scheduler job last finished",
                                labels=["job"])
        duration = GaugeMetricFamily("jiuzhu_job_duration_seconds", "how long the job's last run took",
                                     labels=["job"])
        for job, run in status["scheduler"].items():
            if run:
                age.add_metric([job], run["age_seconds"])
                duration.add_metric([job], run["duration_ms"] / 1000)
        yield age
        yield duration


def init_app(app: Flask) -> None:
    """Set up this app's metrics registry, request ids and the access log."""
    registry = CollectorRegistry()
    requests = Counter("jiuzhu_http_requests", "HTTP requests by route and status", ["route", "method", "status"],
                       registry=registry)
    completions = Counter("jiuzhu_task_completions", "tasks completed through this worker (form or API)",
                          registry=registry)
    latency = Histogram("jiuzhu_http_request_seconds", "time to answer, by route", ["route"], registry=registry)
    registry.register(StoreCollector(app))
    app.extensions["jiuzhu_metrics"] = registry

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID_SHAPE.fullmatch(given) else uuid.uuid4().hex
        g.request_token = REQUEST_ID.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"  # the rule, never the raw path
        elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
        requests.labels(route, request.method, str(response.status_code)).inc()
        latency.labels(route).observe(elapsed)
        if (request.endpoint, request.method, response.status_code) in COMPLETIONS:
            completions.inc()
        response.headers["X-Request-ID"] = g.get("request_id", "")
        log.info("%s %s %s %.1fms", request.method, route, response.status_code, elapsed * 1000)
        return response

    @app.teardown_request
    def _forget(_exc) -> None:
        token = g.pop("request_token", None)
        if token is not None:
            REQUEST_ID.reset(token)


@bp.route("/healthz")
def healthz():
    """Process up, store reachable, the scheduler's jobs' last runs and the timer lag (JSON, no log-in)."""
    try:
        with db().unit_of_work() as uow:
            status = health(uow.session, clock().now())
    except Exception:  # noqa: BLE001 - the point of the endpoint is to say so
        log.exception("healthz: the store could not be reached")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", **status}


@bp.route("/metrics")
def metrics():
    """Prometheus metrics, for a scraper with the token or an administrator's session."""
    token = current_app.config.get("METRICS_TOKEN") or os.environ.get(TOKEN_ENV)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not (token and given and hmac.compare_digest(given, token)):
        principal = principal_of_cookie()
        if not (principal and principal.has_role("admin")):
            raise Forbidden("metrics need the token or an administrator")
    return generate_latest(current_app.extensions["jiuzhu_metrics"]), 200, {"Content-Type": CONTENT_TYPE_LATEST}
