"""The admin's console in Chromium against a live server and the real database: the admin adds a township
and a village in it, and creates a user with the township role there; that user logs in (a second browser)
and sees the township's inbox; the admin deactivates them and their open session ends — their next page
load is the log-in page with a message. Then a county loaded from a file (dry run, report, load) and a
year's holiday notice uploaded (refused line by line, then loaded)."""
from __future__ import annotations

import os
import random
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from engine.store.models import Base, RoleAssignment, Unit
from tests.conftest import KEPT_TABLES
from tests.browser.chromium import shared_browser
from tests.browser.test_application_in_browser import CHROMIUM, log_in, serve
from engine.workdays import CALENDAR_DIR_ENV
from tests.factories import start
from tests.integration.test_provisional_calendar import TEST_NOTICE_2027
from tests.webapp.test_admin_places import fresh_codes, places_file  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("JIUZHU_SCREENSHOTS")  # a directory to keep the screenshots in (docs/screenshots)
PASSWORD = "township-clerk-2026"


@contextmanager
def two_browsers(app, tmp_path):
    """(base URL, the admin's page, the clerk's page): two browser contexts, two cookie jars."""
    with serve(app) as base:
        contexts = [shared_browser().new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
                    for _ in range(2)]
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.set_default_timeout(10_000)
        try:
            yield base, *pages
        except Exception:
            for i, page in enumerate(pages):
                try:
                    page.screenshot(path=str(tmp_path / f"failure-{i}.png"), full_page=True)
                except Exception:  # the screenshot is a convenience only
                    pass
            raise
        finally:
            for context in contexts:
                context.close()


def shoot(page, tmp_path: Path, name: str) -> None:
    """The page at 1366 and at 390 px wide, kept in $JIUZHU_SCREENSHOTS when set."""
    for width, suffix in ((1366, ""), (390, "-390")):
        page.set_viewport_size({"width": width, "height": 900})
        path = tmp_path / f"admin-{name}{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(SHOTS) / path.name)
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture
def township_code(db):
    """A township code under 响水县 that no unit has; what the test adds under it is deleted afterwards."""
    with db.unit_of_work() as uow:
        used = set(uow.session.execute(select(Unit.code)).scalars())
    code = next(c for c in (f"320921{random.randrange(900, 1000)}" for _ in range(500)) if c not in used)
    yield code
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        for table in reversed(Base.metadata.sorted_tables):  # the case lodged there first (as `db` does after)
            if table.name not in KEPT_TABLES:
                s.execute(delete(table))
        ids = s.execute(select(Unit.id).where(Unit.code.startswith(code))).scalars().all()
        s.execute(delete(RoleAssignment).where(RoleAssignment.unit_id.in_(ids)))
        s.execute(delete(Unit).where(Unit.id.in_(ids), Unit.level == "village"))
        s.execute(delete(Unit).where(Unit.id.in_(ids)))
        uow.commit()


def submit(page, selector: str):
    with page.expect_navigation():
        page.click(selector)


def test_an_admin_adds_a_township_and_its_clerk_then_deactivates_them(db, clock, who, unit_id, tmp_path,
                                                                       township_code):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})
    username = f"clerk_{uuid.uuid4().hex[:8]}"
    village_code = township_code + "201"

    with two_browsers(app, tmp_path) as (base, admin, clerk):
        # --- the admin adds the township under 响水县, then a village in it ----------------------------
        log_in(admin, base, "admin")
        with admin.expect_navigation():
            admin.get_by_role("link", name="区划管理").click()
        shoot(admin, tmp_path, "places")
        with admin.expect_navigation():  # the top lists the provinces; 响水县 is under 江苏省
            admin.get_by_role("link", name="江苏省").click()
        with admin.expect_navigation():
            admin.get_by_role("link", name="响水县").click()
        admin.fill("form.add-place input[name=code]", township_code)
        admin.fill("form.add-place input[name=name]", "试点镇")
        submit(admin, "form.add-place button[type=submit]")
        assert "已添加 试点镇" in admin.locator(".flash").inner_text()
        shoot(admin, tmp_path, "place-county")
        with admin.expect_navigation():
            admin.get_by_role("link", name="试点镇").click()
        # A wrong code first, past the browser's own check: the server refuses it and adds nothing.
        admin.evaluate("document.querySelector('form.add-place').noValidate = true")
        admin.fill("form.add-place input[name=code]", "320921")
        admin.fill("form.add-place input[name=name]", "试点村")
        submit(admin, "form.add-place button[type=submit]")
        assert "应为 12 位数字" in admin.locator("[data-field=code]").inner_text()
        admin.fill("form.add-place input[name=code]", village_code)
        submit(admin, "form.add-place button[type=submit]")
        assert admin.locator(f"table.places tr[data-code='{village_code}']").inner_text().startswith("试点村")
        shoot(admin, tmp_path, "place-township")

        # --- a user with the township role there -----------------------------------------------------
        with admin.expect_navigation():
            admin.get_by_role("link", name="在此新建用户").click()
        assert admin.input_value("input[name=unit]") == township_code
        admin.fill("input[name=username]", username)
        admin.fill("input[name=display_name]", "试点镇 新干事")
        admin.select_option("select[name=role]", "township")
        admin.fill("input[name=password]", PASSWORD)
        submit(admin, "form.new-user button[type=submit]")
        assert admin.locator("table.roles tr[data-role=township]").inner_text().count("试点镇") == 1
        user_page = admin.url

        # --- an application in the new village reaches the township's inbox ---------------------------
        walk = start(db, clock, who, unit_id, village=village_code, username=username)
        clerk.goto(f"{base}/login")
        clerk.fill("input[name=username]", username)
        clerk.fill("input[name=password]", PASSWORD)
        submit(clerk, "main button[type=submit]")
        clerk.goto(f"{base}/inbox")
        row = clerk.locator("table.inbox tbody tr", has_text=walk.number)
        assert "试点村" in row.inner_text() and "受理" in row.inner_text()
        assert "试点镇 新干事" in clerk.locator("header .who").inner_text()

        # --- the admin deactivates them: the open session ends at once --------------------------------
        admin.goto(user_page)
        submit(admin, "button.deactivate")
        assert "结束其 1 个登录会话" in admin.locator(".flash").inner_text()
        shoot(admin, tmp_path, "user")
        clerk.goto(f"{base}/inbox")
        assert "/login" in clerk.url
        assert "登录已过期" in clerk.locator(".flash").inner_text()
        clerk.fill("input[name=username]", username)
        clerk.fill("input[name=password]", PASSWORD)
        submit(clerk, "main button[type=submit]")
        assert "/login" in clerk.url  # and they cannot log in again

        # --- the list shows them deactivated ----------------------------------------------------------
        admin.goto(f"{base}/admin/users?unit={township_code}")
        assert "已停用" in admin.locator(f"tr[data-username={username}]").inner_text()
        shoot(admin, tmp_path, "users")
        admin.goto(f"{base}/admin/users/new?unit={township_code}")
        shoot(admin, tmp_path, "user-new")


def test_an_admin_loads_a_county_from_a_file_and_a_year_of_holidays(db, clock, tmp_path, fresh_codes, monkeypatch):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    from webapp import create_app
    monkeypatch.setenv(CALENDAR_DIR_ENV, str(tmp_path / "notices"))
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})
    county = fresh_codes()
    (tmp_path / "county.toml").write_bytes(places_file(county))
    (tmp_path / "cn-2027.toml").write_text(TEST_NOTICE_2027, encoding="utf-8")
    (tmp_path / "bad-2027.toml").write_text(TEST_NOTICE_2027.replace('"2027-03-06"', '"2027-03-05"'), encoding="utf-8")

    with two_browsers(app, tmp_path) as (base, admin, _other):
        log_in(admin, base, "admin")
        admin.goto(f"{base}/admin/places/upload")
        admin.set_input_files("input[name=file]", str(tmp_path / "county.toml"))
        submit(admin, "form.upload-form button[type=submit]")
        assert admin.locator(".load-report .created").inner_text() == "4"
        shoot(admin, tmp_path, "places-upload")
        submit(admin, "form.confirm-load button[type=submit]")
        assert "新增 4 个" in admin.locator(".flash").inner_text()
        assert "上传县" in admin.locator("table.places").inner_text()

        with admin.expect_navigation():
            admin.get_by_role("link", name="节假日安排").first.click()
        assert admin.locator("tr[data-year='2027']").inner_text().count("暂定") == 1
        admin.set_input_files("input[name=file]", str(tmp_path / "bad-2027.toml"))
        submit(admin, "form.upload-form button[type=submit]")
        assert "不是星期六或星期日" in admin.locator(".problems").inner_text()
        shoot(admin, tmp_path, "calendar-refused")
        admin.set_input_files("input[name=file]", str(tmp_path / "cn-2027.toml"))
        submit(admin, "form.upload-form button[type=submit]")
        assert "已载入 2027 年节假日安排" in admin.locator(".flash").inner_text()
        assert "正式" in admin.locator("tr[data-year='2027']").inner_text()
        shoot(admin, tmp_path, "calendar")

        admin.goto(f"{base}/admin/rules")
        assert "现行" in admin.locator("section[data-county='320921']").inner_text()
        shoot(admin, tmp_path, "rules")
