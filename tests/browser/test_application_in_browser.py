"""A village clerk lodges an application and the township accepts it, in a real browser.

Drives Debian's Chromium through Playwright against the real app served by
werkzeug on a free local port (SQLite store only). Assertions are on data that
comes from the process and forms (step titles from the BPMN, field titles from
the JSON forms), not on UI chrome whose translations may still change.
"""
from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, shared_browser  # noqa: F401 (the tests import them from here)
from tests.factories import DEMO_PASSWORD
from engine.catalogue.forms import id_number_checksum_ok, mask_id_number

pytestmark = pytest.mark.browser

VENDOR_VIEWER = os.path.join(os.path.dirname(__file__), "..", "..", "webapp", "static", "vendor", "bpmn-js",
                             "bpmn-navigated-viewer.production.min.js")

APPLICANT_ID = "320921197001011236"
SPOUSE_ID = "320921197203041222"
TOWNSHIP_NAME = "响水镇 张干事"
FIRST_STEP = "受理审查"            # userTask "acceptance" in processes/minimum_living/xiangshui.bpmn
SECOND_STEP = "家庭经济状况信息核对"  # userTask "economic_check"


def skip_unless_browser(db) -> None:
    """Skip a browser test on PostgreSQL (it runs on the SQLite store only) or without Chromium."""
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")


@contextmanager
def serve(app):
    """Serve the Flask app on 127.0.0.1 with a free port in a background thread."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def browser_page(app, tmp_path, **page_options):
    """(base URL, page) of Chromium on the app served locally, in a browser context of its own (its own cookies,
    storage and cache); a failure leaves tmp_path/failure.png."""
    with serve(app) as base:
        context = shared_browser().new_context(**page_options)
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield base, page
        except Exception:
            try:
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            except Exception:  # the screenshot is a convenience only
                pass
            raise
        finally:
            context.close()


def log_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/login" not in page.url, f"log-in as {username} failed"


def log_out(page):
    with page.expect_navigation():
        page.click("header form[action$='/logout'] button[type=submit]")
    assert page.url.endswith("/login")


def fill_application(page, *, applicant_name):
    page.fill("input[name=applicant_name]", applicant_name)
    page.fill("input[name=applicant_id_number]", APPLICANT_ID)
    page.fill("input[name=address]", "响水县响水镇双园村3组12号")
    page.fill("input[name=phone]", "0515-86881234")
    page.select_option("select[name=channel]", "village_proxy")
    page.fill("input[name=members-0-name]", "李建国")
    page.fill("input[name=members-0-id_number]", APPLICANT_ID)
    page.select_option("select[name=members-0-relation]", "self")
    page.fill("input[name=members-0-monthly_income]", "300")
    page.select_option("select[name=members-0-authorisation]", "self")
    page.fill("input[name=members-1-name]", "王秀英")
    page.fill("input[name=members-1-id_number]", SPOUSE_ID)
    page.select_option("select[name=members-1-relation]", "spouse")
    page.fill("input[name=members-1-monthly_income]", "0")
    page.select_option("select[name=members-1-authorisation]", "self")
    page.fill("textarea[name=assets]", "无存款，自有住房一处（砖瓦房），无车辆")
    page.check("input[name=near_relative][value=false]")
    page.check("input[name=authorises_check]")


def submit(page):
    """Click the form's submit button; return the response of the page it leads to."""
    with page.expect_navigation() as nav:
        page.click("button[name=submit]")
    return nav.value


def test_village_lodges_and_township_accepts_in_browser(db, clock, tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    if not os.path.exists(VENDOR_VIEWER):
        pytest.skip("bpmn-js is not in webapp/static/vendor: run `make assets`")
    assert id_number_checksum_ok(APPLICANT_ID) and id_number_checksum_ok(SPOUSE_ID)
    masked = mask_id_number(APPLICANT_ID)
    assert masked == APPLICANT_ID[:6] + "*" * 8 + APPLICANT_ID[-4:]

    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})

    with browser_page(app, tmp_path) as (base, page):
        console = []  # browser-side errors, shown if the diagram does not render
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        # --- the village clerk lodges the application -------------------------------
        log_in(page, base, "village_sy")
        page.goto(f"{base}/cases/new")
        assert page.input_value("select[name=village_id]"), "the clerk's village should be preselected"

        fill_application(page, applicant_name="")
        response = submit(page)
        assert response.status == 422
        error = page.locator(".field-error[data-field=applicant_name]")
        assert "申请人姓名" in error.inner_text()
        # What was typed is kept, so only the missing name needs filling in.
        assert page.input_value("input[name=members-1-id_number]") == SPOUSE_ID
        assert page.is_checked("input[name=authorises_check]")

        page.fill("input[name=applicant_name]", "李建国")
        response = submit(page)
        assert response.status == 200
        assert re.search(r"/cases/\d+$", page.url), page.url
        number = page.inner_text(".case-number").strip()
        assert number
        assert FIRST_STEP in page.inner_text(".status")
        log_out(page)

        # --- the township sees it in the inbox and accepts it ------------------------
        log_in(page, base, "township_xs")
        page.goto(f"{base}/inbox")
        row = page.locator("table.inbox tbody tr", has_text=number)
        assert row.count() == 1
        assert row.locator("td.id-number").inner_text().strip() == masked
        html = page.content()
        assert masked in html
        assert APPLICANT_ID not in html and SPOUSE_ID not in html

        with page.expect_navigation():
            row.get_by_role("link", name=FIRST_STEP).click()
        assert re.search(r"/tasks/[^/]+$", page.url), page.url
        assert page.inner_text("h1").strip() == FIRST_STEP
        assert page.input_value("input[name=accepted_on]") == clock.today().isoformat()
        page.select_option("select[name=acceptance_decision]", "accepted")
        response = submit(page)
        assert response.status == 200
        assert "/inbox" in page.url, "after a step the clerk goes on to the inbox (nothing else to do)"
        with page.expect_navigation():
            page.click(".from-case a")  # the link back to the case just done
        assert re.search(r"/cases/\d+$", page.url), page.url
        assert page.inner_text(".case-number").strip() == number

        accepted = page.locator("ol.history li", has_text=FIRST_STEP)
        assert accepted.count() == 1
        assert accepted.locator(".actor").inner_text().strip() == TOWNSHIP_NAME
        assert SECOND_STEP in page.inner_text(".status")

        # --- the diagram is drawn by bpmn-js with the finished step marked ----------
        try:
            page.wait_for_selector('#diagram[data-rendered="true"]')
        except Exception:
            shown = page.inner_text("#diagram")[:300]
            raise AssertionError(f"diagram not rendered: {shown!r}; browser console: {console}") from None
        assert page.locator("#diagram svg .step-done").count() >= 1
        assert page.locator("#diagram svg .step-active").count() >= 1
