"""County rules and delegation models as dated data (processes/counties.toml), and the catalogue
of routes (processes/catalog.toml)."""
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
NATIONAL = "national"


@cache
def counties(directory: Path = PROCESSES_DIR) -> dict[str, dict[str, Any]]:
    """County code → its entry in counties.toml."""
    data = tomllib.loads((directory / "counties.toml").read_text(encoding="utf-8"))
    return {c["code"]: c for c in data.get("county", [])}


@cache
def catalog(directory: Path = PROCESSES_DIR) -> dict[str, Any]:
    """The assistance types and their variants (catalog.toml)."""
    return tomllib.loads((directory / "catalog.toml").read_text(encoding="utf-8"))["types"]


def _in_force(entries: list[dict], on: date) -> dict | None:
    current = [e for e in entries if e["effective_from"] <= on]
    return max(current, key=lambda e: e["effective_from"]) if current else None


def _county(code: str) -> dict[str, Any]:
    county = counties().get(code)
    if county is None:
        raise NotFound(f"no rules for county {code}", "该县（区）尚未配置救助规则")
    return county


def rules_in_force(county_code: str, on: date) -> dict[str, Any]:
    """The county's rule entry in force on a date."""
    entry = _in_force(_county(county_code).get("rules", []), on)
    if entry is None:
        raise NotFound(f"no rules in force for {county_code} on {on}", "该日期没有生效的救助规则")
    return entry


def model_in_force(county_code: str, township_code: str | None, on: date) -> dict[str, Any]:
    """The delegation model entry in force for a township (its own entry first, else the county's)."""
    models = _county(county_code).get("models", [])
    own = _in_force([m for m in models if m.get("township") == township_code], on) if township_code else None
    entry = own or _in_force([m for m in models if "township" not in m], on)
    if entry is None:
        raise NotFound(f"no model in force for {county_code} on {on}", "该日期没有生效的审批模式")
    return entry


def variant_for(assistance_type: str, model: dict[str, Any]) -> str:
    """The variant of a type a model runs: an override, the model's own, or the national default."""
    variants = catalog()[assistance_type].get("variants", {})
    chosen = model.get("overrides", {}).get(assistance_type, model["model"])
    return chosen if chosen in variants else NATIONAL


def process_for(assistance_type: str, county_code: str, township_code: str | None, on: date) -> str:
    """The process id a new case of this type runs in this township on this date."""
    if assistance_type not in catalog():
        raise NotFound(f"unknown assistance type {assistance_type}", "未知的救助类别")
    variant = variant_for(assistance_type, model_in_force(county_code, township_code, on))
    variants = catalog()[assistance_type]["variants"]
    if variant not in variants:
        raise NotFound(f"{assistance_type} has no {variant} route", "该救助类别没有适用的审批流程")
    return variants[variant]["process_id"]


def assistance_type_of(process_id: str) -> str | None:
    """The assistance type whose catalogue lists this process."""
    for key, kind in catalog().items():
        if any(v["process_id"] == process_id for v in kind.get("variants", {}).values()):
            return key
    return None


def assistance_types() -> list[dict[str, str]]:
    """Every assistance type (key, names) that can be applied for from the window."""
    return [{"type": key, "name_zh": t["name_zh"], "name_en": t["name_en"]}
            for key, t in catalog().items() if t.get("applicable", True)]


def case_parameters(session: Session, county_id: int, township_id: int, process_id: str, on: date) -> dict[str, Any]:
    """The rule values a new case carries in its data for its whole life."""
    codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_((county_id, township_id)))).all())
    rules = rules_in_force(codes[county_id], on)
    model = model_in_force(codes[county_id], codes[township_id], on)
    days = rules["publicity_days"]
    override = os.environ.get(PUBLICITY_OVERRIDE_ENV)
    publicity = override or days_duration(days)
    params = {k: v for k, v in rules.items() if k != "effective_from"}
    if override:  # a demo length is a fixed duration, whatever unit the county counts in
        params["publicity_unit"] = "d"
    params.update(
        local_standard=rules["minimum_living_standard"], publicity_duration=publicity,
        small_temporary_limit=rules["minimum_living_standard"] * rules["small_temporary_multiple"],
        rules_effective_from=rules["effective_from"].isoformat(), delegation_model=model["model"],
        model_effective_from=model["effective_from"].isoformat(),
    )
    return params
