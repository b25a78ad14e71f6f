"""County rules as an administrator reads them: for each county (and township with a model of its own) the
delegation model per assistance type from each date, and the dated parameters (低保 standard, publicity,
time limits per type, small-amount multiple, review intervals), each with the file and line it comes from
and the source or assumption the file gives for a value.

The rules are ``processes/counties.toml`` (``catalogue.rules``) with the entries admins added in the browser
(``engine.rule_changes``, table ``county_rule_entry``) after them: each entry says where it comes from (the
file's line, or who added it, when and why) and whether it is retired. A change from a date affects new
cases only, since a case copies the values in force on the day it is lodged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.datafiles import DataFile
from engine.catalogue.rules import (ENTRY_FACTS, MONTHLY_BY_TYPE, PROCESSES_DIR, catalog, in_force_among, rule_book,
                                    variant_for)
from engine.rule_changes import stored_rule_entries
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
    stored: dict[str, Any] | None = None   # an admin's entry: id, who, when, note, retired_from


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
    stored: dict[str, Any] | None = None   # an admin's entry: id, who, when, note, retired_from


@dataclass
class CountyRules:
    """One county's models and rules, newest first."""

    code: str
    name: str
    unit_name: str | None
    models: list[ModelEntry] = field(default_factory=list)
    rules: list[RulesEntry] = field(default_factory=list)
    appeal: dict[str, Any] = field(default_factory=dict)  # 复议机关, court, periods: what every refusal names
    appeals: list[dict[str, Any]] = field(default_factory=list)  # the admins' changes of it, newest first
    townships: list[tuple[str, str]] = field(default_factory=list)  # (code, name): the places an entry may cover


def _in_force_per_place(entries: list[dict], on: date) -> set[int]:
    """ids of the entries in force on a date for the county and for each township with entries of its own."""
    current: set[int] = set()
    for township in {e.get("township") for e in entries}:
        chosen = in_force_among([e for e in entries if e.get("township") == township], on)
        if chosen is not None:
            current.add(id(chosen))
    return current


def county_rules(session: Session, today: date, on: date | None = None) -> list[CountyRules]:
    """Every county of counties.toml with its models and rules (the file's and the admins'), the entries in
    force on ``on`` (today when None) marked."""
    on = on or today
    source = DataFile(PROCESSES_DIR / "counties.toml", SOURCE)
    types = catalog()
    units = session.execute(select(Unit.code, Unit.name, Unit.level, Unit.parent_id, Unit.id)
                            .where(Unit.level != "village").order_by(Unit.code)).all()
    names = {u.code: u.name for u in units}
    county_ids = {u.code: u.id for u in units if u.level == "county"}
    order = {c["code"]: i for i, c in enumerate(source.data["county"])}
    stored = {item["row"].id: item for item in stored_rule_entries(session)}
    result = []
    for code, county in rule_book(session).items():
        i = order.get(code)   # None: a county an admin set up here
        chosen = in_force_among(county["appeals"], on)
        appeal = {k: v for k, v in (chosen or county["appeal"]).items() if k not in ENTRY_FACTS}
        entry = CountyRules(code, county["name"], names.get(code), appeal=appeal,
                            appeals=[{"values": {k: v for k, v in a.items() if k not in ENTRY_FACTS},
                                      "effective_from": a["effective_from"], "in_force": a is chosen,
                                      "stored": _stored(stored, a)} for a in reversed(county["appeals"])],
                            townships=[(u.code, u.name) for u in units if u.level == "township"
                                       and u.parent_id == county_ids.get(code)])
        models = county.get("models", [])
        current = _in_force_per_place(models, on)
        for j, model in enumerate(models):
            variants = tuple((t["name_zh"], t["variants"][variant_for(key, model)]["name_zh"])
                             for key, t in types.items() if variant_for(key, model) in t.get("variants", {}))
            entry.models.append(ModelEntry(model["effective_from"], model.get("township"),
                                           names.get(model.get("township") or ""), model["model"], variants,
                                           id(model) in current, _line(source, i, "models", j, model),
                                           _stored(stored, model)))
        rules = county.get("rules", [])
        current = _in_force_per_place(rules, on)
        for j, rule in enumerate(rules):
            values = {k: v for k, v in rule.items() if k not in ENTRY_FACTS or k == "time_limit_wd_by_type"}
            for by_type in (*MONTHLY_BY_TYPE, "time_limit_wd_by_type"):
                values[by_type] = {types.get(k, {}).get("name_zh", k): n for k, n in values.get(by_type, {}).items()}
            entry.rules.append(RulesEntry(rule["effective_from"], values, id(rule) in current,
                                          _line(source, i, "rules", j, rule), rule.get("township"),
                                          names.get(rule.get("township") or ""), _notes(rule, "sources", types),
                                          _notes(rule, "assumptions", types), _stored(stored, rule)))
        entry.models.sort(key=lambda m: (m.township_code or "", m.effective_from), reverse=True)
        entry.rules.sort(key=lambda r: (r.township_code or "", r.effective_from), reverse=True)
        result.append(entry)
    return result


def _line(source: DataFile, i: int, kind: str, j: int, entry: dict) -> int | None:
    """The file line of a file's entry (None for an admin's)."""
    return None if entry.get("entry_id") or i is None else source.keys.line_of(("county", i, kind, j))


def _stored(stored: dict[int, dict], entry: dict) -> dict[str, Any] | None:
    item = stored.get(entry.get("entry_id"))
    if item is None:
        return None
    row = item["row"]
    return {"id": row.id, "created_by": item["created_by"], "created_at": row.created_at, "note": row.note,
            "retired_from": row.retired_from, "retired_by": item["retired_by"], "retire_note": row.retire_note}


def _notes(rule: dict[str, Any], kind: str, types: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """The entry's sources or assumptions: (value name, the type's name for a per-type value, text)."""
    notes = []
    for name, text in rule.get(kind, {}).items():
        value, _, kind_key = name.partition(".")
        notes.append((value, types.get(kind_key, {}).get("name_zh", kind_key) if kind_key else None, text))
    return notes
