"""County rules as dated data (processes/counties.toml) and the catalogue of routes."""
from __future__ import annotations

import os
import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .expressions import days_duration
from .models import Unit

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
# A demo may shorten 公示 (e.g. PT2M) so a person can watch the timer fire; the default is the real period.
PUBLICITY_OVERRIDE_ENV = "JIUZHU_PUBLICITY_DURATION"


@cache
def _counties(directory: Path = PROCESSES_DIR) -> dict[str, dict[str, Any]]:
    data = tomllib.loads((directory / "counties.toml").read_text(encoding="utf-8"))
    return {c["code"]: c for c in data.get("county", [])}


@cache
def catalog(directory: Path = PROCESSES_DIR) -> dict[str, Any]:
    """The assistance types and variants of processes/catalog.toml."""
    return tomllib.loads((directory / "catalog.toml").read_text(encoding="utf-8"))["types"]


def startable_processes() -> list[dict[str, str]]:
    """(type, variant, process id, names) of every route in the catalogue."""
    out = []
    for type_key, kind in catalog().items():
        for variant_key, variant in kind.get("variants", {}).items():
            out.append({"type": type_key, "variant": variant_key, "process_id": variant["process_id"],
                        "name_zh": f"{kind['name_zh']}（{variant['name_zh']}）",
                        "name_en": f"{kind['name_en']} ({variant['name_en']})"})
    return out


def rules_in_force(county_code: str, on: date) -> dict[str, Any]:
    """The county's rule entry in force on a date."""
    county = _counties().get(county_code)
    if county is None:
        raise NotFound(f"no rules for county {county_code}", "该县（区）尚未配置救助规则")
    entries = sorted((r for r in county["rules"] if r["effective_from"] <= on), key=lambda r: r["effective_from"])
    if not entries:
        raise NotFound(f"no rules in force for {county_code} on {on}", "该日期没有生效的救助规则")
    return entries[-1]


def case_parameters(session: Session, county_id: int, process_id: str, on: date) -> dict[str, Any]:
    """The rule values a new case carries in its data for its whole life."""
    code = session.execute(select(Unit.code).where(Unit.id == county_id)).scalar_one()
    rules = rules_in_force(code, on)
    publicity = os.environ.get(PUBLICITY_OVERRIDE_ENV) or days_duration(rules["publicity_days"])
    return {"local_standard": rules["minimum_living_standard"], "publicity_duration": publicity,
            "rules_effective_from": rules["effective_from"].isoformat()}
