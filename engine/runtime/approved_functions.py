"""The functions designer text may call (``SAFE_FUNCTIONS``), and the globals it runs with.

Every one is bounded on its own: range() by length, sum() to numbers, round() by digits,
publicity_period() by days; together with engine.runtime.budget's guards no call of an approved
function can take unbounded time or memory. engine.runtime.expressions re-exports them.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from numbers import Number
from types import MappingProxyType
from typing import Any, Callable, Mapping

from engine.clock import end_of_local_day, engine_now, to_local_date
from engine.workdays import WorkingCalendar

MAX_RANGE = 100_000


def _capped_range(*args: int) -> range:
    """range() that refuses more than MAX_RANGE items, so a loop stays bounded."""
    r = range(*args)
    try:
        too_long = len(r) > MAX_RANGE
    except OverflowError:  # longer than sys.maxsize
        too_long = True
    if too_long:
        raise ValueError(f"range longer than {MAX_RANGE} items is not allowed")
    return r


def _numeric_sum(iterable, start=0):
    """sum() of numbers only: summing lists or tuples copies quadratically in C, out of the budget's reach."""
    if not isinstance(start, Number):
        raise TypeError("sum() adds numbers only")
    return sum(iterable, start)


MAX_ROUND_DIGITS = 100


def _bounded_round(number, ndigits=None):
    """round() with at most MAX_ROUND_DIGITS digits: round(n, -10**9) would compute 10**(10**9)."""
    if ndigits is not None and isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ValueError(f"round() to more than {MAX_ROUND_DIGITS} digits is not allowed")
    return round(number) if ndigits is None else round(number, ndigits)


_DATE_RE = re.compile(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ].*)?\s*")


def iso_date(value: Any) -> str:
    """Normalise a date to 'YYYY-MM-DD'.

    Accepts date/datetime objects and strings such as '2026-1-5', '2026/01/05',
    '2026年1月5日' or '2026-01-05T10:00:00'. Raises ValueError otherwise.
    """
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    match = _DATE_RE.fullmatch(str(value))
    if not match:
        raise ValueError(f"not a date: {value!r}")
    return date(*map(int, match.groups())).isoformat()


def first_of_next_month(iso_date_str: Any) -> str:
    """ISO date of the first day of the month after the given date ('2026-12-05' -> '2027-01-01')."""
    d = date.fromisoformat(iso_date(iso_date_str))
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return date(year, month, 1).isoformat()


def days_duration(n: Any) -> str:
    """ISO-8601 duration of n whole days for timer definitions (7 -> 'P7D')."""
    # Via str so that form values like "7" work but 7.5 or True do not slip through.
    days = int(str(n).strip())
    if days < 0:
        raise ValueError(f"negative duration: {n!r}")
    return f"P{days}D"


MAX_PERIOD_WORKDAYS = 250


def publicity_period(default_duration: Any, days: Any, unit: Any, min_workdays: Any = 0) -> str:
    """The 公示 timer: ``default_duration`` when the county counts 天 (calendar days); when it counts
    工作日, the time from now until the end of the n-th working day (China time), as 'PT…S'.

    ``min_workdays`` is a province's minimum for a 公示 counted in 天 (Jiangsu: at least 5 working days):
    when holidays inside the n days put that working day after the n-th day, the 公示 ends at the end of that
    working day instead (a 公示 whose n-th day is that working day or later keeps its n days). A demo's
    shortened 公示 (``default_duration`` other than n days) is kept as it is.
    """
    if unit != "wd":
        minimum = _bounded_days(min_workdays)
        if not minimum or str(default_duration) != days_duration(days):
            return str(default_duration)
        now = engine_now()
        fifth = WorkingCalendar.load().add_workdays(to_local_date(now), minimum)
        if to_local_date(now + timedelta(days=int(str(days).strip()))) >= fifth:  # no holiday shortens it
            return str(default_duration)
        return f"PT{int((end_of_local_day(fifth) - now).total_seconds())}S"
    now = engine_now()
    due = end_of_local_day(WorkingCalendar.load().add_workdays(to_local_date(now), _bounded_days(days)))
    return f"PT{max(1, int((due - now).total_seconds()))}S"


def _bounded_days(n: Any) -> int:
    """A count of working days a 公示 may take (add_workdays walks day by day)."""
    days = int(str(n).strip())
    if not 0 <= days <= MAX_PERIOD_WORKDAYS:
        raise ValueError(f"a publicity period of {days} working days is not allowed (0 to {MAX_PERIOD_WORKDAYS})")
    return days


def money(x: Any) -> float:
    """Round an amount to 2 decimals, half-up (2.675 -> 2.68, not banker's or binary rounding)."""
    # str() first: Decimal(2.675) would expose the binary value 2.67499999...
    return float(Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


SAFE_FUNCTIONS: Mapping[str, Callable] = MappingProxyType({
    "len": len, "sum": _numeric_sum, "min": min, "max": max, "round": _bounded_round, "abs": abs,
    "int": int, "float": float, "str": str, "bool": bool, "any": any, "all": all,
    "sorted": sorted, "list": list, "dict": dict, "set": set, "tuple": tuple,
    "range": _capped_range, "enumerate": enumerate, "zip": zip,
    "first_of_next_month": first_of_next_month, "iso_date": iso_date,
    "days_duration": days_duration, "money": money, "publicity_period": publicity_period,
})


def safe_globals() -> dict:
    """Fresh globals dict for eval/exec: no builtins, only SAFE_FUNCTIONS.

    True/False/None still work because they are keywords, not builtins.
    """
    # An empty dict, not a missing key: eval() inserts the real builtins when absent.
    return {"__builtins__": {}, **SAFE_FUNCTIONS}
