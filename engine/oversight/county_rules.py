"""County rules as an administrator reads them: for each county (and township with a model of its own) the
delegation model per assistance type from each date, and the dated parameters (低保 standard, publicity,
time limits per type, small-amount multiple, review intervals), each with the file and line it comes from
and the source or assumption the file gives for a value.

Read only: the rules are ``processes/counties.toml`` (``catalogue.rules``), changed by editing that file; a
change from a date affects new cases only, since a case copies the values in force on the day it is lodged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.datafiles import DataFile
from engine.catalogue.rules import ENTRY_FACTS, PROCESSES_DIR, catalog, counties, variant_for
from engine.store.models import Unit

SOURCE = "processes/counties.toml"


@dataclass(frozen=True)
class ModelEntry:
    """A model in force from a date, for the whole county or one township, and the variant of each type."""

    effective_from: date
    township_code: str | None
    township_name: str | None
    model: str
    variants: tuple[tuple[str, str], ...]  # (assistance type's name, the variant's name)
    in_force: bool
    line: int | None


@dataclass(frozen=True)
class RulesEntry:
    """The parameters in force from a date, for the whole county or one township, with the source of a
    value or the assumption made where no rule for the place was found (by value name)."""

    effective_from: date
    values: dict[str, Any]
    in_force: bool
    line: int | None
    township_code: str | None = None
    township_name: str | None = None
    sources: list[tuple[str, str | None, str]] = field(default_factory=list)  # (value, type's name, text)
    assumptions: list[tuple[str, str | None, str]] = field(default_factory=list)


@dataclass
class CountyRules:
    """One county's models and rules, newest first."""

    code: str
    name: str
    unit_name: str | None
    models: list[ModelEntry] = field(default_factory=list)
    rules: list[RulesEntry] = field(default_factory=list)
    appeal: dict[str, Any] = field(default_factory=dict)  # 复议机关, court, periods: what every refusal names


def _in_force_index(entries: list[dict], today: date, same=lambda e: True) -> set[int]:
    """Index of the entry in force today among ``entries`` of each group (``same`` picks one group)."""
    current = [i for i, e in enumerate(entries) if e["effective_from"] <= today and same(e)]
    return {max(current, key=lambda i: entries[i]["effective_from"])} if current else set()


def _in_force_per_place(entries: list[dict], today: date) -> set[int]:
    """Index of the entry in force today for the county and for each township with entries of its own."""
    current: set[int] = set()
    for township in {e.get("township") for e in entries}:
        current |= _in_force_index(entries, today, lambda e, t=township: e.get("township") == t)
    return current


def county_rules(session: Session, today: date) -> list[CountyRules]:
    """Every county of counties.toml with its models and rules, the entries in force today marked."""
    source = DataFile(PROCESSES_DIR / "counties.toml", SOURCE)
    types = catalog()
    names = dict(session.execute(select(Unit.code, Unit.name)).all())
    order = {c["code"]: i for i, c in enumerate(source.data["county"])}
    result = []
    for code, county in counties().items():
        i = order[code]
        entry = CountyRules(code, county["name"], names.get(code), appeal=dict(county["appeal"]))
        models = county.get("models", [])
        current = _in_force_per_place(models, today)
        for j, model in enumerate(models):
            variants = tuple((t["name_zh"], t["variants"][variant_for(key, model)]["name_zh"])
                             for key, t in types.items() if variant_for(key, model) in t.get("variants", {}))
            entry.models.append(ModelEntry(model["effective_from"], model.get("township"),
                                           names.get(model.get("township") or ""), model["model"], variants,
                                           j in current, source.keys.line_of(("county", i, "models", j))))
        rules = county.get("rules", [])
        current = _in_force_per_place(rules, today)
        for j, rule in enumerate(rules):
            values = {k: v for k, v in rule.items() if k not in ENTRY_FACTS or k == "time_limit_wd_by_type"}
            for by_type in ("review_interval_months_by_type", "time_limit_wd_by_type"):
                values[by_type] = {types.get(k, {}).get("name_zh", k): n for k, n in values.get(by_type, {}).items()}
            entry.rules.append(RulesEntry(rule["effective_from"], values, j in current,
                                          source.keys.line_of(("county", i, "rules", j)), rule.get("township"),
                                          names.get(rule.get("township") or ""), _notes(rule, "sources", types),
                                          _notes(rule, "assumptions", types)))
        entry.models.sort(key=lambda m: (m.township_code or "", m.effective_from), reverse=True)
        entry.rules.sort(key=lambda r: (r.township_code or "", r.effective_from), reverse=True)
        result.append(entry)
    return result


def _notes(rule: dict[str, Any], kind: str, types: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """The entry's sources or assumptions: (value name, the type's name for a per-type value, text)."""
    notes = []
    for name, text in rule.get(kind, {}).items():
        value, _, kind_key = name.partition(".")
        notes.append((value, types.get(kind_key, {}).get("name_zh", kind_key) if kind_key else None, text))
    return notes
