"""A member's death, across the packages it touches, in one transaction (the caller commits): the register, the
cases and the household's head and benefits (engine.cases.deaths.record_death), then the window's open referrals
(转办) for the person alone (engine.window.referrals.end_referrals_of_the_dead). Here, not in engine.cases: the
window's package depends on the cases' (it lodges their applications), never the reverse."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from engine.cases import deaths
from engine.cases.deaths import DeathRecorded
from engine.people.accounts import Principal
from engine.window.referrals import end_referrals_of_the_dead


def record_death(session: Session, principal: Principal, clock, household_id: int, person_id: int,
                 died_on: date, new_head_id: int | None = None) -> DeathRecorded:
    """Record the death (engine.cases.deaths.record_death: its checks, refusals and effects) and end the window's
    referrals it leaves without a subject; a death already recorded ends nothing more."""
    done = deaths.record_death(session, principal, clock, household_id, person_id, died_on, new_head_id)
    if not done.recorded:
        return done
    return replace(done, referrals_ended=end_referrals_of_the_dead(session, clock.now(), clock.today(),
                                                                   household_id, person_id, died_on))
