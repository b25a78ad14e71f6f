"""Case numbers, from a per-county, per-year counter that is safe under concurrency."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from engine.people.places import Place
from engine.store.sequences import next_value, next_values


def next_case_number(session: Session, place: Place, today: date) -> str:
    """A case number such as 320921-2026-000042 (county code, year, serial)."""
    serial = next_value(session, f"case:{place.county_code}:{today.year}")
    return f"{place.county_code}-{today.year}-{serial:06d}"


def next_case_numbers(session: Session, place: Place, today: date, n: int) -> list[str]:
    """``n`` case numbers of the place's county at once (one statement)."""
    key = f"case:{place.county_code}:{today.year}"
    return [f"{place.county_code}-{today.year}-{serial:06d}" for serial in next_values(session, key, n)]
