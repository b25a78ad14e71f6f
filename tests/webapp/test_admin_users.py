"""The admin's users pages: the list with roles in units and its filters, a new user (typed or generated
password, shown once), deactivation and reactivation, a new password, a role added and removed at the right
level — each audited and effective at once (the user's open sessions end)."""
from __future__ import annotations

import uuid

import pytest
from lxml import html
from sqlalchemy import func, select

from engine.store.models import RoleAssignment, SecurityEvent, User
from tests.conftest import CSRF_RE
from tests.factories import DEMO_PASSWORD
from tests.webapp.test_sessions import assert_cookie_is_dead, assert_cookie_works, cookie_of, log_in


def user_row(db, username):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def held(db, username):
    with db.unit_of_work() as uow:
        s = uow.session
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        return sorted((a.role, a.unit.code) for a in user.roles)


def audit(db, username, kind):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(SecurityEvent).where(SecurityEvent.username == username,
                                                               SecurityEvent.kind == kind)).scalars().all()


def user_count(db):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(func.count()).select_from(User)).scalar_one()


def usernames(page: str) -> list[str]:
    return html.fromstring(page).xpath("//table[contains(@class, 'users')]//tr/@data-username")


def test_the_list_shows_roles_in_units_and_filters_by_unit_role_and_state(login, new_user, db, clock, who):
    from engine.people.users import deactivate_user
    admin = login("admin")
    everyone = admin.get("/admin/users").text
    assert "township_xs" in everyone and "响水镇" in everyone and "乡镇（街道）" in everyone
    in_county = usernames(admin.get("/admin/users?unit=320921").text)
    assert {"township_xs", "village_sy", "county_mz"} <= set(in_county) and "street_rx" not in in_county
    townships = usernames(admin.get("/admin/users?unit=320921&role=township").text)
    assert "township_xs" in townships and "village_sy" not in townships
    in_village = usernames(admin.get("/admin/users?unit=320921100201").text)  # other tests add users there too
    assert "village_sy" in in_village and not {"township_xs", "county_mz"} & set(in_village)
    gone = new_user(("township", "320921100"))
    with db.unit_of_work(write=True) as uow:
        deactivate_user(uow.session, None, clock.now(), gone)
        uow.commit()
    assert gone in usernames(admin.get("/admin/users?active=no").text)
    assert gone not in usernames(admin.get("/admin/users?active=yes").text)
    for bad in ("unit=-1", "unit=" + "9" * 30, "unit=32092", "role=king", "active=maybe", "page=0", "page=-1"):
        assert admin.get(f"/admin/users?{bad}").status_code == 400, bad


def test_an_admin_creates_a_user_who_logs_in_with_the_role(login, app, db):
    admin = login("admin")
    username = f"clerk_{uuid.uuid4().hex[:8]}"
    form = {"username": username, "display_name": "响水镇 新干事", "role": "township", "unit": "320921100",
            "password": "a-typed-password-1"}
    response = admin.post_form("/admin/users/new", form)
    assert response.status_code == 302 and "generated-password" not in admin.get(response.location).text
    assert held(db, username) == [("township", "320921100")]
    assert user_row(db, username).password_hash.startswith("$argon2id$")
    assert log_in(app, username, "a-typed-password-1").status_code == 302
    [created] = audit(db, username, "user_created")
    assert created.detail["roles"] == ["township:320921100"] and created.actor_id == admin_id(db)


def admin_id(db):
    return user_row(db, "admin").id


def test_a_generated_password_is_shown_once(login, app, db):
    admin = login("admin")
    username = f"clerk_{uuid.uuid4().hex[:8]}"
    page = admin.post_form("/admin/users/new", {"username": username, "display_name": "", "role": "village",
                                                "unit": "320921100201", "password": ""})
    password = html.fromstring(page.text).xpath("//code[@class='password']")[0].text
    assert len(password) >= 16 and log_in(app, username, password).status_code == 302
    assert password not in admin.get(f"/admin/users/{user_row(db, username).id}").text


@pytest.mark.parametrize("change, field, message", [
    ({"username": "x"}, "username", "3 至 64 个"),
    ({"username": "township_xs"}, "username", "已被使用"),
    ({"username": "名字"}, "username", "3 至 64 个"),
    ({"display_name": "长" * 101}, "display_name", "不能超过 100 个字"),
    ({"password": "short"}, "password", "至少需要 10 个字符"),
    ({"password": "p" * 129}, "password", "不能超过 128 个字符"),
    ({"role": "king"}, "role", "未知角色"),
    ({"unit": "320921999"}, "unit", "未知单位代码"),
    ({"role": "village", "unit": "320921100"}, "role", "应设在村（社区）一级"),
    ({"role": "county", "unit": "320921100201"}, "role", "应设在县（区）一级"),
])
def test_a_bad_new_user_is_refused_with_its_message_and_nothing_changes(login, db, change, field, message):
    admin = login("admin")
    before = user_count(db)
    form = {"username": f"clerk_{uuid.uuid4().hex[:8]}", "display_name": "某人", "role": "township",
            "unit": "320921100", "password": "a-typed-password-1", **change}
    response = admin.post_form("/admin/users/new", form)
    assert response.status_code == 422
    assert message in response.text and f'data-field="{field}"' in response.text
    assert user_count(db) == before


def test_deactivation_ends_the_open_sessions_and_reactivation_lets_them_back(login, app, db, new_user):
    username = new_user(("township", "320921100"))
    user_id = user_row(db, username).id
    clerk = login(username)
    cookie = cookie_of(clerk)
    admin = login("admin")
    response = admin.post_form(f"/admin/users/{user_id}/deactivate", {})
    assert response.status_code == 302
    assert_cookie_is_dead(app, cookie)
    assert log_in(app, username).status_code == 401
    [event] = audit(db, username, "user_deactivated")
    assert event.detail["sessions_ended"] == 1 and event.actor_id == admin_id(db)
    assert "已停用" in admin.get(f"/admin/users/{user_id}").text or "Deactivated" in admin.get(f"/admin/users/{user_id}").text
    assert admin.post_form(f"/admin/users/{user_id}/reactivate", {}).status_code == 302
    assert log_in(app, username).status_code == 302
    assert len(audit(db, username, "user_reactivated")) == 1


def test_an_admin_cannot_lock_themselves_out(login, db):
    admin = login("admin")
    me = admin_id(db)
    assert admin.post_form(f"/admin/users/{me}/deactivate", {}).status_code == 422
    response = admin.post_form(f"/admin/users/{me}/roles/remove", {"role": "admin", "unit": "320921"})
    assert response.status_code == 422 and "不能取消自己唯一的系统管理角色" in response.text
    assert user_row(db, "admin").active and held(db, "admin") == [("admin", "320921")]


def test_a_new_password_typed_or_generated_ends_the_sessions(login, app, db, new_user):
    username = new_user(("village", "320921100201"))
    user_id = user_row(db, username).id
    cookie = cookie_of(login(username))
    admin = login("admin")
    assert admin.post_form(f"/admin/users/{user_id}/password", {"password": "short"}).status_code == 422
    assert log_in(app, username).status_code == 302  # refused: nothing changed
    assert admin.post_form(f"/admin/users/{user_id}/password", {"password": "another-password-9"}).status_code == 302
    assert_cookie_is_dead(app, cookie)
    assert log_in(app, username, "another-password-9").status_code == 302
    page = admin.post_form(f"/admin/users/{user_id}/password", {"password": ""})
    generated = html.fromstring(page.text).xpath("//code[@class='password']")[0].text
    assert log_in(app, username, generated).status_code == 302
    assert len(audit(db, username, "password_changed")) == 2


def test_a_role_is_added_and_removed_at_the_right_level_and_sessions_end(login, app, db, new_user):
    username = new_user(("township", "320921100"))
    user_id = user_row(db, username).id
    cookie = cookie_of(login(username))
    admin = login("admin")
    wrong = admin.post_form(f"/admin/users/{user_id}/roles", {"role": "township", "unit": "320921100201"})
    assert wrong.status_code == 422 and "应设在乡镇（街道）一级" in wrong.text
    assert admin.post_form(f"/admin/users/{user_id}/roles", {"role": "township", "unit": "320921100"}).status_code == 422
    assert_cookie_works(app, cookie)  # the refusals changed nothing
    assert admin.post_form(f"/admin/users/{user_id}/roles", {"role": "county", "unit": "320921"}).status_code == 302
    assert held(db, username) == [("county", "320921"), ("township", "320921100")]
    assert_cookie_is_dead(app, cookie)
    cookie = cookie_of(login(username))
    assert admin.post_form(f"/admin/users/{user_id}/roles/remove",
                           {"role": "township", "unit": "320921100"}).status_code == 302
    assert held(db, username) == [("county", "320921")]
    assert_cookie_is_dead(app, cookie)
    assert admin.post_form(f"/admin/users/{user_id}/roles/remove",
                           {"role": "township", "unit": "320921100"}).status_code == 422
    changes = audit(db, username, "roles_changed")
    assert [c.detail["after"] for c in changes] == [["county:320921", "township:320921100"], ["county:320921"]]


def test_unknown_users_are_not_found(login):
    admin = login("admin")
    assert admin.get("/admin/users/999999999").status_code == 404
    assert admin.post_form("/admin/users/999999999/deactivate", {}).status_code == 404
