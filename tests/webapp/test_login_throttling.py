"""Log-in is throttled per account and per address: a backoff, then a temporary lock (HTTP 429, in Chinese);
throttling and unlocks are audited, and an admin unlocks from a page or the command line."""
from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from tests.factories import DEMO_PASSWORD
from engine.store.models import SecurityEvent
from tests.conftest import CSRF_RE


def attempt(app, username: str, password: str, address: str):
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def events(db, kind: str) -> list:
    with db.unit_of_work() as uow:
        s = uow.session
        return s.execute(select(SecurityEvent).where(SecurityEvent.kind == kind).order_by(SecurityEvent.id)).scalars().all()


def test_an_account_backs_off_then_locks_even_against_the_right_password(app, db, clock, login, new_user):
    username = new_user(("township", "320921100"))
    # A different address each time: the account is throttled whatever address the guesses come from.
    assert attempt(app, username, "wrong-1", "10.1.0.1").status_code == 401
    assert attempt(app, username, "wrong-2", "10.1.0.2").status_code == 401
    third = attempt(app, username, "wrong-3", "10.1.0.3")
    assert third.status_code == 429 and "登录失败次数过多，请 1 秒后再试" in third.text
    assert third.headers["Retry-After"] == "1"
    assert attempt(app, username, DEMO_PASSWORD, "10.1.0.4").status_code == 429  # refused without a check
    for wait in (1, 2, 4):
        clock.advance(seconds=wait)
        refused = attempt(app, username, "wrong", "10.1.0.5")
        assert refused.status_code == 429
    assert "已临时锁定至" in refused.text and "联系系统管理员解锁" in refused.text
    clock.advance(minutes=10)
    assert attempt(app, username, DEMO_PASSWORD, "10.1.0.6").status_code == 429
    throttled, locked = events(db, "login_throttled"), events(db, "login_locked")
    assert [e.detail["failures"] for e in throttled] == [3, 4, 5]
    assert [(e.username, e.detail["scope"], e.detail["failures"]) for e in locked] == [(username, "account", 6)]

    admin = login("admin")
    page = admin.get("/admin/security").text
    assert username in page and "登录已锁定" in page
    assert admin.post_form("/admin/security", {"scope": "account", "key": username}).status_code == 302
    assert attempt(app, username, DEMO_PASSWORD, "10.1.0.7").status_code == 302
    [unlocked] = events(db, "login_unlocked")
    assert unlocked.username == username and unlocked.actor_id is not None
    assert "登录已解锁" in admin.get("/admin/security").text


def test_a_lock_ends_by_itself_and_a_quiet_spell_forgets_failures(app, db, clock, new_user):
    username = new_user(("township", "320921100"))
    for _ in range(2):
        assert attempt(app, username, "wrong", "10.2.0.1").status_code == 401
    clock.advance(minutes=16)
    for _ in range(2):
        assert attempt(app, username, "wrong", "10.2.0.1").status_code == 401
    assert events(db, "login_throttled") == []
    assert attempt(app, username, DEMO_PASSWORD, "10.2.0.1").status_code == 302
    assert attempt(app, username, "wrong", "10.2.0.1").status_code == 401  # success cleared the account's count


def test_an_address_is_throttled_across_account_names_and_unlocked_from_the_command_line(app, db, clock, db_url,
                                                                                         monkeypatch):
    for i in range(9):
        assert attempt(app, f"guess{i}", "wrong", "10.3.0.1").status_code == 401
    tenth = attempt(app, "guess9", "wrong", "10.3.0.1")
    assert tenth.status_code == 429 and "登录失败次数过多" in tenth.text
    assert attempt(app, "township_xs", DEMO_PASSWORD, "10.3.0.1").status_code == 429
    assert attempt(app, "township_xs", DEMO_PASSWORD, "10.3.0.2").status_code == 302  # another office
    for i in range(10, 30):
        clock.advance(seconds=61)
        response = attempt(app, f"guess{i}", "wrong", "10.3.0.1")
        assert response.status_code == 429
    assert "已临时锁定至" in response.text
    [locked] = events(db, "login_locked")
    assert (locked.address, locked.detail["scope"], locked.username) == ("10.3.0.1", "address", None)

    from webapp.cli import main
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["user", "unlock", "--address", "10.3.0.1"])
    assert result.exit_code == 0 and "unlocked 10.3.0.1" in result.output, result.output
    assert attempt(app, "township_xs", DEMO_PASSWORD, "10.3.0.1").status_code == 302
    [unlocked] = events(db, "login_unlocked")
    assert unlocked.address == "10.3.0.1" and unlocked.actor_id is None and unlocked.detail["via"] == "cli"


def test_only_admins_see_and_unlock(login):
    user = login("county_mz")
    assert user.get("/admin/security").status_code == 403
    assert user.post_form("/admin/security", {"scope": "account", "key": "x"}).status_code == 403


def test_an_unlock_request_without_a_key_is_refused(login):
    admin = login("admin")
    response = admin.post_form("/admin/security", {"scope": "everyone", "key": ""})
    assert response.status_code == 400 and "请选择要解锁的账户或地址" in response.text
    not_locked = admin.post_form("/admin/security", {"scope": "account", "key": "township_xs"})
    assert not_locked.status_code == 404


def test_behind_a_proxy_each_client_address_is_throttled_on_its_own(db, clock):
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "test-secret", "PROXY_HOPS": 1})

    def via_proxy(username, password, client_address):
        client = app.test_client()
        token = CSRF_RE.search(client.get("/login").text).group(1)
        return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "10.9.0.1"}, headers={"X-Forwarded-For": client_address})
    for i in range(10):
        response = via_proxy(f"guess{i}", "wrong", "192.168.7.7")
    assert response.status_code == 429
    assert via_proxy("township_xs", DEMO_PASSWORD, "192.168.7.8").status_code == 302
    [throttled] = events(db, "login_throttled")
    assert throttled.address == "192.168.7.7"
