"""Finding households and cases (查询) and my cases (我的案件): what each kind of query finds, that only the
searcher's places are searched (in the SQL itself), that LIKE wildcards are plain characters."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from engine import SearchRefused, my_cases, search
from engine.catalogue.forms import with_check_digit
from engine.store.models import Household
from tests.factories import SHUANGYUAN, _member_id, start

DAHE = "320921100202"  # 大河村, 响水镇: another village of the same township


def ident(born: str, serial: str) -> str:
    """An 18-digit ID number of 响水县 (region 320921) born on ``born`` with sequence ``serial``."""
    return with_check_digit(f"320921{born}{serial}")


WANG, LI = ident("19800101", "457"), ident("19810202", "458")


@pytest.fixture
def homes(db, clock, who, unit_id):
    """Two 双园村 households lodged by village_sy: 王小明 (three members, at 5组100%号) and 李四海 (alone,
    at 5组1000号, whose address the pattern 100% would match if % were a wildcard)."""
    wang = start(db, clock, who, unit_id, applicant_name="王小明", applicant_id_number=WANG,
                 address="响水县响水镇双园村5组100%号")
    li = start(db, clock, who, unit_id, incomes=(0,), applicant_name="李四海", applicant_id_number=LI,
               address="响水县响水镇双园村5组1000号")
    return {"wang": wang, "li": li, "wang_household": _household(db, wang), "li_household": _household(db, li)}


def _household(db, walk) -> str:
    with db.unit_of_work() as uow:
        s = uow.session
        return s.execute(select(Household.number).where(Household.id == walk.case().household_id)).scalar_one()


def found(db, principal, query, **kw) -> tuple[set[str], set[str]]:
    """(household numbers, case numbers) a search finds."""
    with db.unit_of_work() as uow:
        results = search(uow.session, principal, query, **kw)
    return {h.number for h in results.households}, {c.number for c in results.cases}


@contextmanager
def statements(db):
    """The SQL text of every statement run inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def queries(homes) -> dict[str, tuple[str, str]]:
    """Query → (household, case) it must find."""
    wang, li = homes["wang"], homes["li"]
    member = _first_member_id(homes)
    return {
        WANG: ("wang", "wang"), member: ("wang", "wang"), WANG[-4:]: ("wang", "wang"), WANG[-5:]: ("wang", "wang"),
        WANG[-6:]: ("wang", "wang"), "王小": ("wang", "wang"), "李四": ("li", "li"), wang.number: (None, "wang"),
        li.number: (None, "li"), homes["wang_household"]: ("wang", "wang"), "5组100%": ("wang", "wang"),
    }


def _first_member_id(homes) -> str:
    return _member_id(WANG, 1)  # 王家成员1, the spouse


def test_each_kind_of_query_finds_its_household_and_case(homes, db, who):
    township = who("township_xs")
    for query, (household, case) in queries(homes).items():
        households, cases = found(db, township, query)
        assert households == ({homes[f"{household}_household"]} if household else set()), query
        assert cases == {homes[case].number}, query


def test_a_case_number_prefix_and_an_address_fragment_find_several(homes, db, who):
    households, cases = found(db, who("county_mz"), homes["wang"].number[:-1])
    assert {homes["wang"].number, homes["li"].number} <= cases
    households, cases = found(db, who("village_sy"), "双园村5组")
    assert households == {homes["wang_household"], homes["li_household"]}
    assert cases == {homes["wang"].number, homes["li"].number}


def test_text_without_anything_of_an_address_is_a_name_only(db, clock, who, unit_id):
    lane = start(db, clock, who, unit_id, incomes=(0,), applicant_name="李四海", address="响水县响水镇小明巷")
    township = who("township_xs")
    assert found(db, township, "小明") == (set(), set())  # no one's name begins so: addresses are not read
    assert found(db, township, "小明巷")[1] == {lane.number}
    assert found(db, township, "王")[1] == set()


def test_like_wildcards_in_the_query_are_plain_characters(db, clock, who, unit_id):
    odd = start(db, clock, who, unit_id, incomes=(0,), applicant_name="王_明", applicant_id_number=WANG)
    plain = start(db, clock, who, unit_id, incomes=(0,), applicant_name="王小明", applicant_id_number=LI,
                  address="双园村5组1000号")
    township = who("township_xs")
    assert found(db, township, "王_")[1] == {odd.number}
    assert found(db, township, "王%")[1] == set()
    assert found(db, township, "100%")[1] == set()
    assert found(db, township, "王")[1] == {odd.number, plain.number}


@pytest.mark.parametrize("outsider", ["township_cjg", "other_village", "community_rx", "district_tx"])
def test_someone_of_another_place_finds_nothing(homes, db, who, new_user, outsider):
    username = new_user(("village", DAHE)) if outsider == "other_village" else outsider
    principal = who(username)
    with statements(db) as seen:
        for query in queries(homes):
            assert found(db, principal, query) == (set(), set()), query
        assert found(db, principal, "双园村") == (set(), set())
    text = "\n".join(seen)
    level = "village" if outsider == "other_village" else "township" if outsider == "township_cjg" else "county"
    for table in ("person", "household", "case"):  # every table searched carries the place in its WHERE
        assert re.search(rf'{table}"?\.county_id IN', text), table
        assert re.search(rf'{table}"?\.{level}_id IN', text), (table, level)


def test_the_village_and_the_county_find_them(homes, db, who):
    for username in ("village_sy", "county_mz", "supervisor"):
        households, cases = found(db, who(username), "王小明")
        assert households == {homes["wang_household"]} and cases == {homes["wang"].number}, username


def test_a_household_hit_shows_the_head_masked_the_size_and_open_cases(homes, db, who):
    with db.unit_of_work() as uow:
        results = search(uow.session, who("township_xs"), _first_member_id(homes))
    (hit,) = results.households
    assert hit.head_name == "王小明" and hit.head_id_number == WANG[:6] + "********" + WANG[-4:]
    assert hit.members == 3 and hit.open_cases == 1 and hit.village == "双园村" and hit.township == "响水镇"
    assert hit.matched_name == "王家成员1"
    (case,) = results.cases
    assert case.applicant_id_number == WANG[:6] + "********" + WANG[-4:] and case.status == "running"
    assert case.type_name_zh == "最低生活保障" and case.step


def test_results_are_bounded_paged_and_in_a_fixed_order(db, clock, who, unit_id):
    walks = [start(db, clock, who, unit_id, incomes=(0,), applicant_name=f"赵{'一二三四五'[i]}") for i in range(5)]
    township = who("township_xs")
    with db.unit_of_work() as uow:
        first = search(uow.session, township, "赵", limit=2)
        second = search(uow.session, township, "赵", limit=2, offset=2)
        last = search(uow.session, township, "赵", limit=2, offset=4)
    assert [h.head_name for h in first.households + second.households + last.households] == sorted(
        f"赵{c}" for c in "一二三四五")
    assert first.more_households and second.more_households and not last.more_households
    newest_first = [w.number for w in reversed(walks)]
    assert [c.number for c in first.cases + second.cases + last.cases] == newest_first


@pytest.mark.parametrize("query, message", [
    ("", "请输入姓名"), ("   ", "请输入姓名"), ("王" * 51, "不能超过 50 个字"), ("a\x00b", "控制字符"),
    ("王\u200b明", "控制字符"), ("12", "末 4–6 位"), ("1234567", "末 4–6 位"), ("3209211980010145", "末 4–6 位"),
])
def test_bad_queries_are_refused_with_a_reason(db, who, query, message):
    with db.unit_of_work() as uow, pytest.raises(SearchRefused) as refused:
        search(uow.session, who("township_xs"), query)
    assert message in refused.value.message_zh and refused.value.errors == {"q": refused.value.message_zh}


def test_full_width_digits_and_a_lower_case_x_are_read_as_an_id_number(homes, db, who):
    wide = "".join(chr(ord(c) + 0xFEE0) for c in WANG[-6:])  # ０１４５７…
    assert found(db, who("township_xs"), wide) == ({homes["wang_household"]}, {homes["wang"].number})
    with db.unit_of_work() as uow:
        assert search(uow.session, who("township_xs"), "12345x").query.text == "12345X"


def test_my_cases_are_the_ones_i_lodged_with_counts(homes, db, clock, who, unit_id, new_user):
    theirs = start(db, clock, who, unit_id, incomes=(0,), username=new_user(("village", SHUANGYUAN)))
    homes["li"].do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="明显不符合条件")
    assert homes["li"].case().status == "completed"
    with db.unit_of_work() as uow:
        s = uow.session
        mine = my_cases(s, who("village_sy"))
        village = my_cases(s, who("village_sy"), mine=False)
        township_mine = my_cases(s, who("township_xs"))
        township = my_cases(s, who("township_xs"), mine=False, status="running", assistance_type="minimum_living")
        none_of_that_type = my_cases(s, who("township_xs"), mine=False, assistance_type="extreme_poverty")
        elsewhere = my_cases(s, who(new_user(("village", DAHE))), mine=False)
    assert [r.number for r in mine.rows] == [homes["li"].number, homes["wang"].number]  # newest first
    assert mine.total == 2 and mine.by_status == {"running": 1, "completed": 1}
    assert [(t.type, t.name_zh, t.count) for t in mine.by_type] == [("minimum_living", "最低生活保障", 2)]
    assert village.total == 3 and theirs.number in {r.number for r in village.rows}
    assert township_mine.total == 0
    assert township.total == 2 and {r.number for r in township.rows} == {homes["wang"].number, theirs.number}
    assert township.by_status == {"running": 2, "completed": 1}
    assert none_of_that_type.rows == [] and none_of_that_type.by_status == {}
    # Each count is under the other filter only: by type within the status chosen, by status within the type.
    assert [(t.type, t.count) for t in township.by_type] == [("minimum_living", 2)]
    assert [(t.type, t.count) for t in none_of_that_type.by_type] == [("minimum_living", 3)]
    assert elsewhere.total == 0 and elsewhere.rows == []


def test_my_cases_refuse_unknown_filters(db, who):
    with db.unit_of_work() as uow:
        for kw in ({"status": "lost"}, {"assistance_type": "nothing"}, {"page": 0}, {"page": 10**6}):
            with pytest.raises(SearchRefused):
                my_cases(uow.session, who("village_sy"), **kw)
