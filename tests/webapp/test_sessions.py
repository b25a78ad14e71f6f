"""Sessions are server-side: log-out, deactivation, a password change and a role change end them at once
(a copied cookie stops working); they have an absolute lifetime and an idle timeout; the cookie is Secure."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from tests.factories import DEMO_PASSWORD
from engine.store.models import LoginSession, SecurityEvent
from engine.people.users import change_password, change_roles, deactivate_user
from tests.conftest import CSRF_RE


def cookie_of(user) -> str:
    return user.client.get_cookie("session").value


def assert_cookie_works(app, cookie: str) -> None:
    client = app.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/inbox").status_code == 200


def assert_cookie_is_dead(app, cookie: str) -> None:
    """A copy of the cookie is sent to log in on a page and gets 401 from the API."""
    page, api = app.test_client(), app.test_client()
    page.set_cookie("session", cookie)
    api.set_cookie("session", cookie)
    response = page.get("/inbox")
    assert response.status_code == 302 and "/login" in response.location
    assert "登录已过期" in page.get(response.location).text
    assert api.get("/api/v1/tasks").status_code == 401


def log_in(app, username: str, password: str = DEMO_PASSWORD):
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_a_cookie_copied_before_log_out_no_longer_works(app, login):
    user = login("township_xs")
    cookie = cookie_of(user)
    assert_cookie_works(app, cookie)
    assert user.post_form("/logout", {}).status_code == 302
    assert_cookie_is_dead(app, cookie)


def _deactivate(s, clock, username):
    deactivate_user(s, None, clock.now(), username)


def _change_password(s, clock, username):
    change_password(s, None, clock.now(), username, "a-new-password-2026")


def _change_roles(s, clock, username):
    change_roles(s, None, clock.now(), username, [("township", "320921101")])


@pytest.mark.parametrize("change, event", [(_deactivate, "user_deactivated"), (_change_password, "password_changed"),
                                           (_change_roles, "roles_changed")])
def test_deactivation_password_and_role_changes_end_existing_sessions(app, db, clock, login, new_user, change, event):
    username = new_user(("township", "320921100"))
    first, second = login(username), login(username)  # two browsers
    cookies = [cookie_of(first), cookie_of(second)]
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        change(s, clock, username)
        uow.commit()
    for cookie in cookies:
        assert_cookie_is_dead(app, cookie)
    with db.unit_of_work() as uow:
        s = uow.session
        audit = s.execute(select(SecurityEvent).where(SecurityEvent.username == username,
                                                      SecurityEvent.kind == event)).scalar_one()
    assert audit.detail["sessions_ended"] == 2 and audit.detail["via"] == "cli"


def test_after_a_change_the_user_logs_in_with_what_is_current(app, db, clock, login, new_user):
    username = new_user(("township", "320921100"))
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        _change_password(s, clock, username)
        uow.commit()
    assert log_in(app, username).status_code == 401
    assert log_in(app, username, "a-new-password-2026").status_code == 302
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        _deactivate(s, clock, username)
        uow.commit()
    assert log_in(app, username, "a-new-password-2026").status_code == 401


def test_a_role_change_takes_effect_on_the_next_log_in(app, db, clock, login, new_user):
    username = new_user(("township", "320921100"))
    assert login(username).get("/supervisor/dashboard").status_code == 403
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        change_roles(s, None, clock.now(), username, [("county", "320921")])
        uow.commit()
    assert login(username).get("/supervisor/dashboard").status_code == 200


def test_users_created_and_their_roles_set_from_the_command_line(app, db_url, login, monkeypatch):
    from webapp.cli import main
    monkeypatch.setenv("DATABASE_URL", db_url)
    username = "cli_created_clerk"
    created = CliRunner().invoke(main, ["user", "create", username, "township:320921100", "--name", "响水镇 新干事",
                                        "--password", DEMO_PASSWORD])
    assert created.exit_code == 0, created.output
    again = CliRunner().invoke(main, ["user", "create", username, "--password", DEMO_PASSWORD])
    assert again.exit_code == 2 and "已被使用" in again.output
    cookie = cookie_of(login(username))
    result = CliRunner().invoke(main, ["user", "set-roles", username, "township:320921101", "village:320921101201"])
    assert result.exit_code == 0, result.output
    assert "1 session(s) ended" in result.output
    assert_cookie_is_dead(app, cookie)
    refused = CliRunner().invoke(main, ["user", "set-roles", username, "county:320921100"])
    assert refused.exit_code == 2 and "县（区）一级" in refused.output


def test_use_does_not_extend_the_absolute_lifetime(app, login, clock):
    user = login("township_xs")
    for _ in range(23):  # used every 20 minutes, well inside the idle timeout, for 7 h 40 min
        clock.advance(minutes=20)
        assert user.get("/inbox").status_code == 200
    clock.advance(minutes=20)  # 8 hours after log-in
    response = user.get("/inbox")
    assert response.status_code == 302 and "/login" in response.location


def test_an_idle_session_ends_and_use_keeps_it_alive(app, login, clock):
    user = login("township_xs")
    clock.advance(minutes=29)
    assert user.get("/inbox").status_code == 200
    clock.advance(minutes=29)  # 58 minutes after log-in, 29 after last use
    assert user.get("/inbox").status_code == 200
    cookie = cookie_of(user)
    clock.advance(minutes=30)
    assert_cookie_is_dead(app, cookie)


def test_last_seen_is_written_at_most_once_a_minute(app, db, login, clock):
    start = clock.now()
    user = login("township_xs")

    def last_seen():
        with db.unit_of_work() as uow:
            s = uow.session
            return s.execute(select(LoginSession.last_seen_at)).scalar_one()
    clock.advance(seconds=30)
    user.get("/inbox")
    assert last_seen() == start
    clock.advance(seconds=31)
    user.get("/inbox")
    assert last_seen() == clock.now()


def test_the_session_row_holds_a_hash_not_the_cookie_token(app, db, login):
    user = login("township_xs")
    with user.client.session_transaction() as cookie_session:
        token = cookie_session["sid"]
    with db.unit_of_work() as uow:
        s = uow.session
        ids = s.execute(select(LoginSession.id)).scalars().all()
    assert len(ids) == 1 and token not in ids and "principal" not in cookie_session


def test_the_session_cookie_is_secure_by_default(app, login):
    response = log_in(app, "township_xs")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_cookie_is_sent_again_only_when_its_contents_change(app, login):
    user = login("township_xs")
    user.get("/inbox")  # the first page after log-in: any flash or CSRF secret is settled
    quiet = user.get("/inbox")
    assert quiet.status_code == 200 and "Set-Cookie" not in quiet.headers  # nothing changed: not re-signed
    again = user.get("/inbox")
    assert again.status_code == 200  # the cookie kept still logs in (a dead one redirects to /login)
    out = user.post_form("/logout", {})
    assert out.status_code == 302 and "Set-Cookie" in out.headers  # a change is sent at once


def test_the_operator_can_turn_secure_off_and_make_run_does(db, clock, db_url, monkeypatch):
    from webapp import create_app
    from webapp.cli import main
    monkeypatch.setenv("JIUZHU_COOKIE_SECURE", "0")
    app = create_app({"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "test-secret"})
    assert "Secure" not in log_in(app, "township_xs").headers["Set-Cookie"]
    # `jiuzhu run` is make run's plain-HTTP demo: the cookie is not Secure there, unless asked for.
    served = []
    monkeypatch.setattr(Flask, "run", lambda self, **kw: served.append(self.config["SESSION_COOKIE_SECURE"]))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("JIUZHU_COOKIE_SECURE")
    assert CliRunner().invoke(main, ["run"]).exit_code == 0
    monkeypatch.setenv("JIUZHU_COOKIE_SECURE", "1")
    assert CliRunner().invoke(main, ["run"]).exit_code == 0
    assert served == [False, True]


def test_over_https_browsers_are_told_to_stay_on_https(app):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    secure = app.test_client().get("/login", base_url="https://jiuzhu.example")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
