"""The admin's places pages: the tree, a county/township/village added with a checked code, a rename seen at
once, a places file tried (dry run), reported and loaded — every change audited, bad input refused with
nothing changed, and none of it open to anyone but an admin."""
from __future__ import annotations

import random
from io import BytesIO

import pytest
from sqlalchemy import delete, func, select

from engine.store.models import RoleAssignment, SecurityEvent, Unit

NON_ADMINS = ["township_xs", "supervisor", "designer", "county_mz", "village_sy"]
ADMIN_PAGES = ["/admin/places", "/admin/places/upload", "/admin/users", "/admin/users/new"]


@pytest.fixture
def fresh_codes(db):
    """fresh_codes() → a county code no unit has; the units under every code it gave are deleted afterwards
    (places are kept between tests, and other tests count townships)."""
    given = []

    def make() -> str:
        with db.unit_of_work() as uow:
            used = set(uow.session.execute(select(Unit.code)).scalars())
        code = next(c for c in (f"99{random.randrange(10_000):04d}" for _ in range(1000)) if c not in used)
        given.append(code)
        return code
    yield make
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        for prefix in given:
            ids = s.execute(select(Unit.id).where(Unit.code.startswith(prefix))).scalars().all()
            s.execute(delete(RoleAssignment).where(RoleAssignment.unit_id.in_(ids)))
            for level in ("village", "township", "county"):
                s.execute(delete(Unit).where(Unit.id.in_(ids), Unit.level == level))
        uow.commit()


def unit(db, code):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Unit.id, Unit.name, Unit.level, Unit.parent_id)
                                   .where(Unit.code == code)).first()


def events(db, kind):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(SecurityEvent).where(SecurityEvent.kind == kind)
                                   .order_by(SecurityEvent.id)).scalars().all()


def unit_count(db) -> int:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(func.count()).select_from(Unit)).scalar_one()


@pytest.mark.parametrize("username", NON_ADMINS)
def test_only_admins_open_the_console(login, username, unit_id):
    user = login(username)
    for url in ADMIN_PAGES + [f"/admin/places/{unit_id('320921')}"]:
        assert user.get(url).status_code == 403, url
    response = user.post_form("/admin/places/add", {"code": "990001", "name": "不该有的县"})
    assert response.status_code == 403
    assert "/admin/places" not in user.get("/inbox").text if username != "designer" else True


def test_the_tree_lists_provinces_counties_townships_and_villages(login, unit_id):
    admin = login("admin")
    provinces = admin.get("/admin/places").text
    assert "江苏省" in provinces and "吉林省" in provinces and 'href="/admin/places"' in admin.get("/inbox").text
    counties = admin.get(f"/admin/places/{unit_id('32')}").text
    assert "响水县" in counties and "320921" in counties and "四平市铁西区" not in counties
    county = admin.get(f"/admin/places/{unit_id('320921')}").text
    assert "响水镇" in county and "陈家港镇" in county and "320921100" in county
    township = admin.get(f"/admin/places/{unit_id('320921100')}").text
    assert "双园村" in township and "320921100201" in township and "响水县" in township  # the breadcrumb


def test_an_admin_adds_a_county_a_township_and_a_village(login, db, fresh_codes):
    admin = login("admin")
    county = fresh_codes()
    response = admin.post_form("/admin/places/add", {"code": county, "name": "试点县"})
    assert response.status_code == 302
    county_row = unit(db, county)
    assert county_row.level == "county" and county_row.parent_id is None
    response = admin.post_form("/admin/places/add", {"parent_id": county_row.id, "code": county + "100", "name": "新镇"})
    assert response.status_code == 302 and response.location.endswith(f"/admin/places/{county_row.id}")
    township = unit(db, county + "100")
    assert (township.level, township.parent_id) == ("township", county_row.id)
    assert admin.post_form("/admin/places/add", {"parent_id": township.id, "code": county + "100201",
                                                 "name": "新村"}).status_code == 302
    assert unit(db, county + "100201").level == "village"
    assert "新村" in admin.get(f"/admin/places/{township.id}").text
    added = [e for e in events(db, "place_added") if e.detail["code"].startswith(county)]
    assert [e.detail["level"] for e in added] == ["county", "township", "village"]
    assert added[1].detail["parent"] == county and added[0].actor_id is not None


@pytest.mark.parametrize("parent, code, name, field, message", [
    ("320921", "32092", "短码镇", "code", "应为 9 位数字"),
    ("320921", "320922100", "外县镇", "code", "不属于上级 320921"),
    ("320921", "32092110Ｘ", "全角镇", "code", "应为 9 位数字"),
    ("320921", "320921100", "重复镇", "code", "已由「响水镇」使用"),
    ("320921", "320921199", "", "name", "请填写名称"),
    ("320921", "320921199", "长" * 101, "name", "不能超过 100 个字"),
    ("320921100201", "320921100201001", "组", "code", "村（社区）之下不能再设区划"),
])
def test_a_bad_code_or_name_is_refused_with_its_message_and_nothing_changes(login, db, unit_id, parent, code, name,
                                                                            field, message):
    admin = login("admin")
    before = unit_count(db)
    response = admin.post_form("/admin/places/add", {"parent_id": unit_id(parent), "code": code, "name": name})
    assert response.status_code == 422
    assert message in response.text and f'data-field="{field}"' in response.text
    assert unit_count(db) == before


def test_a_rename_is_audited_and_shows_at_once(login, db, fresh_codes):
    admin = login("admin")
    county = fresh_codes()
    admin.post_form("/admin/places/add", {"code": county, "name": "旧名县"})
    row = unit(db, county)
    response = admin.post_form(f"/admin/places/{row.id}/rename", {"name": "新名县"})
    assert response.status_code == 302
    assert unit(db, county).name == "新名县" and "新名县" in admin.get("/admin/places").text
    [event] = [e for e in events(db, "place_renamed") if e.detail["code"] == county]
    assert (event.detail["before"], event.detail["after"]) == ("旧名县", "新名县")
    assert admin.post_form(f"/admin/places/{row.id}/rename", {"name": " "}).status_code == 422
    assert unit(db, county).name == "新名县"
    assert admin.post_form("/admin/places/999999999/rename", {"name": "无"}).status_code == 404


def test_the_names_kept_in_memory_follow_a_rename(db, clock, who, fresh_codes):
    from engine.people.place_admin import add_place, rename_place
    from engine.people.places import unit_names
    county = fresh_codes()
    with db.unit_of_work(write=True) as uow:
        unit_id = add_place(uow.session, who("admin"), clock.now(), None, county, "甲县")
        uow.commit()
    with db.unit_of_work() as uow:
        assert unit_names(uow.session, [unit_id]) == {unit_id: "甲县"}
    with db.unit_of_work(write=True) as uow:
        rename_place(uow.session, who("admin"), clock.now(), unit_id, "乙县")
        uow.commit()
    with db.unit_of_work() as uow:
        assert unit_names(uow.session, [unit_id]) == {unit_id: "乙县"}


def places_file(county: str, village_name: str = "上传村") -> bytes:
    return f"""
[[county]]
code = "{county}"
name = "上传县"
[[county.township]]
code = "{county}100"
name = "上传镇"
villages = [
  {{ code = "{county}100201", name = "{village_name}" }},
  {{ code = "{county}100202", name = "下传村" }},
]
""".encode("utf-8")


def upload(admin, data: bytes, name: str = "places.toml"):
    return admin.client.post("/admin/places/upload", content_type="multipart/form-data",
                             data={"csrf_token": admin.csrf, "file": (BytesIO(data), name)})


def test_a_places_file_is_tried_reported_then_loaded(login, db, fresh_codes):
    admin = login("admin")
    county = fresh_codes()
    before = unit_count(db)
    report = upload(admin, places_file(county))
    assert report.status_code == 200
    assert 'class="created">4<' in report.text and unit_count(db) == before  # a dry run saves nothing
    from lxml import html
    form = html.fromstring(report.text).xpath("//form[contains(@class, 'confirm-load')]")[0]
    content = form.xpath(".//textarea[@name='content']")[0].text
    loaded = admin.post_form("/admin/places/upload", {"action": "load", "content": content, "file_name": "places.toml"})
    assert loaded.status_code == 302 and unit_count(db) == before + 4
    assert unit(db, county + "100202").name == "下传村"
    [event] = [e for e in events(db, "places_loaded") if county in e.detail["codes"]]
    assert event.detail["created"] == 4 and event.detail["file"] == "places.toml"
    # The same file again changes nothing; a changed name is an update.
    again = upload(admin, places_file(county))
    assert 'class="unchanged">4<' in again.text and "confirm-load" not in again.text
    renamed = upload(admin, places_file(county, "改名村"))
    assert 'class="updated">1<' in renamed.text and county + "100201" in renamed.text


def test_a_bad_places_file_is_refused_line_by_line(login, db, fresh_codes):
    admin = login("admin")
    county = fresh_codes()
    bad = places_file(county).replace(f'"{county}100202"'.encode(), b'"320921100202"').replace(
        f'code = "{county}100"'.encode(), b'code = "12345"')
    before = unit_count(db)
    response = upload(admin, bad, "county.toml")
    assert response.status_code == 422
    assert "未载入任何内容" in response.text or "nothing was loaded" in response.text
    from lxml import html
    rows = [[td.text_content() for td in tr.xpath("td")] for tr in html.fromstring(response.text).xpath("//tr[@class='problem']")]
    assert any(r[0] == "6" and "12345" in r[2] for r in rows), rows  # the township's code, on its line
    assert unit_count(db) == before
    assert upload(admin, b"[[county]\ncode = ", "x.toml").status_code == 422
    assert upload(admin, "名".encode("gbk") * 10, "gbk.toml").status_code == 400
    empty = admin.post_form("/admin/places/upload", {})
    assert empty.status_code == 400 and unit_count(db) == before


def test_the_command_line_load_is_audited_too(db, db_url, fresh_codes, tmp_path, monkeypatch):
    from click.testing import CliRunner
    from webapp.cli import main
    county = fresh_codes()
    (tmp_path / "county.toml").write_bytes(places_file(county))
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["load-places", str(tmp_path / "county.toml")])
    assert result.exit_code == 0 and "4 created" in result.output, result.output
    [event] = [e for e in events(db, "places_loaded") if county in e.detail["codes"]]
    assert event.detail["via"] == "cli" and event.actor_id is None and event.detail["file"] == "county.toml"


def test_an_admin_adds_a_province_and_puts_counties_under_it(login, db, fresh_codes, unit_id):
    admin = login("admin")
    inside, outside = fresh_codes(), fresh_codes()
    try:
        assert admin.post_form("/admin/places/add", {"code": "99", "name": "试点省"}).status_code == 302
        province = unit(db, "99")
        assert (province.level, province.parent_id) == ("province", None)
        # A county added on the province's page lies in it; one added at the top lies in none.
        assert admin.post_form("/admin/places/add", {"parent_id": province.id, "code": inside,
                                                     "name": "省内县"}).status_code == 302
        assert unit(db, inside).parent_id == province.id and unit(db, inside).level == "county"
        assert admin.post_form("/admin/places/add", {"code": outside, "name": "待归省县"}).status_code == 302
        assert unit(db, outside).parent_id is None
        page = admin.get(f"/admin/places/{unit(db, outside).id}").text
        assert 'class="inline-form province-form"' in page and "试点省 · 99" in page
        response = admin.post_form(f"/admin/places/{unit(db, outside).id}/province", {"province_id": province.id})
        assert response.status_code == 302 and unit(db, outside).parent_id == province.id
        assert events(db, "county_moved")[-1].detail == {"code": outside, "before": None, "after": "99"}
        # 响水县's code does not begin with 99: refused, nothing changed.
        response = admin.post_form(f"/admin/places/{unit_id('320921')}/province", {"province_id": province.id})
        assert response.status_code == 422 and "不属于上级 99" in response.text
        assert unit(db, "320921").parent_id == unit_id("32")
        # Back under none, and a county cannot be put under a township.
        assert admin.post_form(f"/admin/places/{unit(db, outside).id}/province", {}).status_code == 302
        assert unit(db, outside).parent_id is None
        response = admin.post_form(f"/admin/places/{unit(db, outside).id}/province",
                                   {"province_id": unit_id("320921100")})
        assert response.status_code == 422 and unit(db, outside).parent_id is None
    finally:
        with db.unit_of_work(write=True) as uow:
            uow.session.execute(Unit.__table__.update().where(Unit.code.in_([inside, outside])).values(parent_id=None))
            uow.session.execute(delete(Unit).where(Unit.code == "99"))
            uow.commit()


def test_a_county_joining_a_province_logs_its_supervisors_out(login, db, unit_id):
    province = login("province_js")
    county_supervisor = login("supervisor")
    assert province.get("/supervisor/province").status_code == 200
    admin = login("admin")
    try:
        assert admin.post_form("/admin/places/add", {"parent_id": unit_id("32"), "code": "329901",
                                                     "name": "新设县"}).status_code == 302
        assert unit(db, "329901").parent_id == unit_id("32")
        assert province.get("/supervisor/province").status_code in (302, 401)  # logged out: counties changed
        assert county_supervisor.get("/supervisor").status_code == 200  # a county supervisor is not
        again = login("province_js")
        with db.unit_of_work() as uow:
            from engine.people.accounts import principal_of
            assert unit(db, "329901").id in principal_of(uow.session, "province_js").units_for("county_supervisor")
        assert again.get("/supervisor/province").status_code == 200
    finally:
        with db.unit_of_work(write=True) as uow:
            uow.session.execute(delete(Unit).where(Unit.code == "329901"))
            uow.commit()
