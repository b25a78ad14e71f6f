"""代理 in the inbox: a standing proxy's tasks are in their "mine" (marked as held for whom) on the days of the
leave, in the proxied (role, unit) only — role × place in SQL, on both stores."""
from __future__ import annotations

from datetime import timedelta

from engine.cases.delegation import set_proxy
from engine.cases.operations import claim_task
from engine.oversight.inbox import InboxFilters, inbox, inbox_counts
from tests.factories import start
from tests.integration.test_task_operations import colleague, run  # noqa: F401

MINE = InboxFilters(held="mine")


def held(db, who, username, today, filters=MINE):
    """{task id: (held, holder)} of the user's filtered inbox, and its "mine" count."""
    with db.unit_of_work() as uow:
        rows, total = inbox(uow.session, who(username), today, filters)
        counts = inbox_counts(uow.session, who(username), today, filters)
    assert total == len(rows) == counts["total"]
    return {r.id: (r.held, r.claimed_by) for r in rows}


def test_the_proxys_mine_holds_the_absent_clerks_tasks_between_the_dates(db, clock, who, unit_id, colleague,
                                                                        new_user):
    third = new_user(("township", "320921100"))
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    run(db, claim_task, who(colleague), clock, task.id)
    today = clock.today()
    run(db, set_proxy, who(colleague), clock, who("township_xs").user_id, today + timedelta(days=1),
        today + timedelta(days=3), "年休假")
    assert held(db, who, "township_xs", today) == {}  # not yet: the leave starts tomorrow
    tomorrow = today + timedelta(days=1)
    assert held(db, who, "township_xs", tomorrow) == {task.id: ("mine", f"测试用户 {colleague}")}
    assert held(db, who, colleague, tomorrow) == {task.id: ("mine", f"测试用户 {colleague}")}  # still theirs too
    assert held(db, who, third, tomorrow) == {}  # a colleague who is not the proxy: "others"
    assert held(db, who, third, tomorrow, InboxFilters(held="others")) == {task.id: ("others", f"测试用户 {colleague}")}
    assert held(db, who, "township_cjg", tomorrow, InboxFilters()) == {}  # another township sees nothing
    assert held(db, who, "township_xs", today + timedelta(days=4)) == {}  # the leave is over
    assert held(db, who, "township_xs", today + timedelta(days=4), InboxFilters(held="others")) == {
        task.id: ("others", f"测试用户 {colleague}")}


def test_a_proxy_in_another_role_or_unit_does_not_reach_the_task(db, clock, who, unit_id, colleague, new_user):
    """The proxy row names a (role, unit): a task of that holder in another pair stays out of the proxy's mine,
    and a proxy who no longer holds the role sees nothing (task_scope)."""
    from sqlalchemy import update
    from engine.store.models import StandingProxy
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    run(db, claim_task, who(colleague), clock, task.id)
    today = clock.today()
    run(db, set_proxy, who(colleague), clock, who("township_xs").user_id, today, today + timedelta(days=3), "培训")
    with db.unit_of_work(write=True) as uow:  # as if the leave were named for the county role
        uow.session.execute(update(StandingProxy).values(role="county"))
        uow.commit()
    assert held(db, who, "township_xs", today) == {}


def test_the_inbox_page_and_api_mark_the_task_as_held_for_whom(db, clock, who, unit_id, colleague, login):
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    run(db, claim_task, who(colleague), clock, task.id)
    run(db, set_proxy, who(colleague), clock, who("township_xs").user_id, clock.today(),
        clock.today() + timedelta(days=3), "年休假")
    clerk = login("township_xs")
    page = clerk.get("/inbox?held=mine").text
    assert walk.number in page and f"我（代理 测试用户 {colleague}）" in page
    [entry] = clerk.get("/api/v1/tasks?held=mine").json["tasks"]
    assert entry["id"] == task.id and entry["held"] == "mine" and entry["claimed_by"] == f"测试用户 {colleague}"
    assert walk.number not in login("township_cjg").get("/inbox").text  # another township: not there at all
    clerk.post_form("/lang/en", {"next": "/inbox"})
    assert f"me, as proxy for 测试用户 {colleague}" in clerk.get("/inbox?held=mine").text
