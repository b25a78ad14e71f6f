"""case_timer is the sweep's index of due timers by time: the triggers keep it equal to case.next_due_at through
every write of a case (lodging, steps, 公示, a firing from the plan and the full path, 挂起 and its end, 终止,
a due time moved by hand), and migration 0029_a builds it from the cases already waiting."""
from __future__ import annotations

from sqlalchemy import select, text, update

from engine import resume_case, suspend_case, terminate_case
from engine.jobs import sweep
from engine.store.models import Case, CaseTimer
from tests.factories import start


def _mirrors(db) -> dict[int, object]:
    """Assert case_timer holds exactly the cases with a next_due_at, at that time; return it."""
    with db.unit_of_work() as uow:
        s = uow.session
        waiting = dict(s.execute(select(Case.id, Case.next_due_at).where(Case.next_due_at.is_not(None))).all())
        timers = dict(s.execute(select(CaseTimer.case_id, CaseTimer.due_at)).all())
    assert timers == waiting
    return timers


def test_the_timer_index_follows_every_write_of_a_case(db, clock, who, unit_id):
    a, b, c = (start(db, clock, who, unit_id) for _ in range(3))
    for w in (a, b, c):
        w.drive_to("publicity")
    timers = _mirrors(db)
    assert set(timers) == {a.case_id, b.case_id, c.case_id}

    with db.unit_of_work(write=True) as uow:  # 挂起: no due time while suspended; resumed: due again
        suspend_case(uow.session, who("township_xs"), clock, b.case_id, "申请人住院，暂停办理")
        uow.commit()
    assert b.case_id not in _mirrors(db)
    with db.unit_of_work(write=True) as uow:
        resume_case(uow.session, who("township_xs"), clock, b.case_id, "申请人已出院")
        uow.commit()
    assert b.case_id in _mirrors(db)

    with db.unit_of_work(write=True) as uow:  # 终止: the timer goes with the case's route
        terminate_case(uow.session, who("county_mz"), clock, c.case_id, "申请人撤回申请")
        uow.commit()
    assert c.case_id not in _mirrors(db)

    clock.advance(days=7, minutes=1)
    assert sweep(db, clock).fired == 2  # a from its plan, b by the full path (its plan was cleared on resume)
    assert _mirrors(db) == {}
    a.do("confirmation")
    _mirrors(db)



def test_a_timer_moved_by_hand_is_found_by_the_sweep_at_its_new_time(db, clock, who, unit_id):
    """The retry path and operators move next_due_at with a plain UPDATE: the sweep sees the new time."""
    w = start(db, clock, who, unit_id)
    w.drive_to("publicity")
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(update(Case).where(Case.id == w.case_id).values(next_due_at=clock.now()))
        uow.commit()
    assert _mirrors(db)[w.case_id] == clock.now()
    sweep(db, clock)  # due here, not in the workflow: the full path puts the workflow's own due time back
    assert _mirrors(db)[w.case_id] > clock.now() and w.open_names() == ["publicity"]


def test_migration_0029_a_builds_the_index_from_the_waiting_cases(db, clock, who, unit_id):
    from engine.store.migrations import downgrade, upgrade
    walks = [start(db, clock, who, unit_id) for _ in range(2)]
    for w in walks:
        w.drive_to("publicity")
    before = _mirrors(db)
    downgrade(db.engine, "0028_a")
    try:
        with db.unit_of_work() as uow:
            names = {"postgresql": "SELECT to_regclass('case_timer') IS NULL",
                     "sqlite": "SELECT count(*) = 0 FROM sqlite_master WHERE name = 'case_timer'"}
            assert uow.session.execute(text(names[db.engine.dialect.name])).scalar_one()
    finally:
        upgrade(db.engine)
    assert _mirrors(db) == before
    clock.advance(days=7, minutes=1)
    assert sweep(db, clock).fired == 2
