"""County rules and delegation models as dated data (processes/counties.toml), and the catalogue
of routes (processes/catalog.toml)."""
from __future__ import annotations

import os
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.catalogue.datafiles import DataFile
from engine.errors import DataFileInvalid, NotFound
from engine.runtime.expressions import days_duration
from engine.store.memo import remembered
from engine.store.models import CountyRuleEntry, Unit

PROCESSES_DIR = Path(__file__).resolve().parents[2] / "processes"
# A demo may shorten 公示 (e.g. PT2M) so a person can watch the timer fire; the default is the real period.
PUBLICITY_OVERRIDE_ENV = "JIUZHU_PUBLICITY_DURATION"
NATIONAL = "national"


_NAMES = {"name_zh": {"type": "string", "minLength": 1, "maxLength": 100},
          "name_en": {"type": "string", "minLength": 1, "maxLength": 200}}
CATALOG_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["types", "models"],
    "properties": {"models": {"type": "object", "minProperties": 1, "additionalProperties": {
        "type": "object", "additionalProperties": False, "required": ["name_zh", "name_en"], "properties": _NAMES}},
        "types": {"type": "object", "minProperties": 1, "additionalProperties": {
        "type": "object", "additionalProperties": False, "required": ["name_zh", "name_en", "variants"],
        "properties": {**_NAMES, "applicable": {"type": "boolean"}, "benefit": {
            "type": "object", "additionalProperties": False, "required": ["subject", "payment"],
            "properties": {"subject": {"enum": ["household", "person"]}, "payment": {"enum": ["monthly", "once"]}}},
            "variants": {
            "type": "object", "minProperties": 1, "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["process_id", "name_zh", "name_en"],
                "properties": {**_NAMES, "process_id": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}}}}}}}},
}
_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_COUNT = {"type": "integer", "minimum": 1, "maximum": 365}
# field → its source (a rule and article) or, where the rule is not known for the place, the assumption made.
# Amounts and tests the routes compute with (元/月, multiples of the 低保 standard, ages, months), dated like it.
_YUAN = {"type": "number", "minimum": 0, "maximum": 100000}
_MULTIPLE = {"type": "number", "exclusiveMinimum": 0, "maximum": 10}
_RATIO = {"type": "number", "minimum": 0, "maximum": 10}  # a multiple that may be 0 (no allowance in a band)
AMOUNT_SCHEMAS = {
    "disability_living_subsidy": _YUAN, "disability_nursing_subsidy_severe": _YUAN, "disability_nursing_subsidy": _YUAN,
    "old_age_min_age": {"type": "integer", "minimum": 60, "maximum": 120}, "old_age_allowance_80_89": _YUAN,
    "old_age_allowance_90_99": _YUAN, "old_age_allowance_100_plus": _YUAN,
    "extreme_poverty_basic_multiple": _MULTIPLE, "orphan_basic_allowance": _YUAN,
    "orphan_basic_allowance_centralised": _YUAN, "orphan_review_lead_days": {"type": "integer", "minimum": 0, "maximum": 365},
    # 特困 照料护理 of each self-care band (the DMN extreme_poverty_care_allowance decides the band), × the standard.
    "extreme_poverty_care_ratio_self_care": _RATIO, "extreme_poverty_care_ratio_partial": _RATIO,
    "extreme_poverty_care_ratio_total": _RATIO, "low_income_income_multiple": _MULTIPLE,
    "low_income_asset_months": {"type": "integer", "minimum": 1, "maximum": 120},
    "low_income_valid_months": {"type": "integer", "minimum": 1, "maximum": 60},
    # 刚性支出困难家庭: last year's local per-capita disposable income (元/年), the share of the household's
    # yearly income its rigid expenses must exceed, and how long a recognition stands (≤ 12 months).
    "rigid_income_limit": {"type": "number", "minimum": 0, "maximum": 1000000},
    "rigid_expense_share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    "rigid_valid_months": {"type": "integer", "minimum": 1, "maximum": 12},
}
AMOUNTS = tuple(AMOUNT_SCHEMAS)
_NOTE = {"type": "string", "minLength": 1, "maxLength": 500}
_NOTES = {"type": "object", "additionalProperties": _NOTE}
_NAME = {"type": "string", "minLength": 2, "maxLength": 60}
COUNTIES_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["county"],
    "properties": {"county": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["code", "name", "appeal", "models", "rules"],
        "properties": {
            "code": {"type": "string", "pattern": "^[0-9]{6}$"}, "name": {"type": "string", "minLength": 1},
            "appeal": {"type": "object", "additionalProperties": False,
                       "required": ["authority", "court", "review_days", "litigation_months", "complaints_phone",
                                    "source"],
                       "properties": {"authority": _NAME, "court": _NAME,
                                      "review_days": {"type": "integer", "minimum": 15, "maximum": 365},
                                      "litigation_months": {"type": "integer", "minimum": 1, "maximum": 24},
                                      "complaints_phone": {"type": "string", "pattern": "^[0-9-]{5,20}$"},
                                      "complaints_phone_note": _NOTE, "source": _NOTE, "assumption": _NOTE}},
            "models": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["effective_from", "model"],
                "properties": {"effective_from": _DATE, "model": {"type": "string"},
                               "township": {"type": "string", "pattern": "^[0-9]{9}$"},
                               "overrides": {"type": "object", "additionalProperties": {"type": "string"}},
                               "sources": _NOTES, "assumptions": _NOTES}}},
            "rules": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False,
                "required": ["effective_from", "minimum_living_standard", "publicity_days", "publicity_unit",
                             "democratic_appraisal", "time_limit_wd", "extension_limit_wd",
                             "publicity_excluded_from_limit", "small_temporary_multiple",
                             "review_interval_months_a", "review_interval_months_b", "review_interval_months_c",
                             "review_interval_months_by_type", *AMOUNTS],
                "properties": {
                    "effective_from": _DATE,
                    "minimum_living_standard": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000},
                    "publicity_days": _COUNT, "publicity_unit": {"enum": ["d", "wd"]},
                    "publicity_min_workdays": {"type": "integer", "minimum": 0, "maximum": 30},
                    "sampling_share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                    "democratic_appraisal": {"enum": ["always", "on_objection"]},
                    "time_limit_wd": _COUNT, "extension_limit_wd": _COUNT,
                    "publicity_excluded_from_limit": {"type": "boolean"},
                    "small_temporary_multiple": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                    "review_interval_months_a": {"type": "integer", "minimum": 1, "maximum": 60},
                    "review_interval_months_b": {"type": "integer", "minimum": 1, "maximum": 60},
                    "review_interval_months_c": {"type": "integer", "minimum": 1, "maximum": 60},
                    "review_interval_months_by_type": {"type": "object", "additionalProperties": {
                        "type": "integer", "minimum": 1, "maximum": 60}},
                    # months after a recipient household member's death within which its review is due
                    # (2022 notice: 低保 3); optional, so entries stored before it keep reading (the default).
                    "death_review_months_by_type": {"type": "object", "additionalProperties": {
                        "type": "integer", "minimum": 1, "maximum": 12}},
                    **AMOUNT_SCHEMAS,
                    "township": {"type": "string", "pattern": "^[0-9]{9}$"},
                    "time_limit_wd_by_type": {"type": "object", "additionalProperties": _COUNT},
                    "sources": _NOTES, "assumptions": _NOTES}}}}}}},
}
# The per-type values that only a benefit paid monthly (one that is reviewed) may have.
MONTHLY_BY_TYPE = ("review_interval_months_by_type", "death_review_months_by_type")
# Within how many months of a recipient household member's death its review is due, per benefit, where a
# county's entry does not say (2022 notice: 低保 within 3 months).
DEATH_REVIEW_MONTHS = {"minimum_living": 3}


def death_review_months(entry: dict[str, Any]) -> dict[str, int]:
    """The benefits a member's death puts under review, and within how many months, by a rule entry."""
    return entry.get("death_review_months_by_type") or DEATH_REVIEW_MONTHS


# Values that are not county data but facts of the entry: whom it covers and why each value is what it is
# (and, for an admin's entry, its id and retirement).
ENTRY_FACTS = ("effective_from", "township", "time_limit_wd_by_type", "sources", "assumptions", "entry_id",
               "retired_from")


@cache
def catalog(directory: Path = PROCESSES_DIR) -> dict[str, Any]:
    """The assistance types and their variants (catalog.toml), checked on load."""
    return _catalog_file(directory)["types"]


@cache
def _catalog_file(directory: Path = PROCESSES_DIR) -> dict[str, Any]:
    """catalog.toml checked: its schema, and a name for every model a variant is keyed by."""
    source = DataFile(directory / "catalog.toml", "processes/catalog.toml")
    problems = source.schema_problems(CATALOG_SCHEMA)
    if not problems:
        problems = [source.problem(("types", key, "variants", variant), f"model '{variant}' has no name in [models]",
                                   f"审批模式「{variant}」没有在 [models] 中命名")
                    for key, kind in source.data["types"].items() for variant in kind["variants"]
                    if variant not in source.data["models"]]
    if problems:
        raise DataFileInvalid(problems)
    return source.data


def model_name(model: str, zh: bool = True) -> str:
    """A delegation model's name for a person (its key where catalog.toml names none)."""
    names = _catalog_file()["models"].get(model)
    return (names["name_zh"] if zh else names["name_en"]) if names else model


def type_name_of(assistance_type: str | None, zh: bool = True) -> str:
    """The name of any type of catalog.toml (an assistance type, or a follow-up route's such as 定期复核) for a
    person; its key where the catalogue names none."""
    names = catalog().get(assistance_type or "") or {}
    return names.get("name_zh" if zh else "name_en") or assistance_type or ""


@cache
def counties(directory: Path = PROCESSES_DIR) -> dict[str, dict[str, Any]]:
    """County code → its entry in counties.toml, checked on load against the catalogue.

    An unknown model, override or type is refused with its line: a county silently running the
    national route because of a typo is exactly what must not happen.
    """
    source = DataFile(directory / "counties.toml", "processes/counties.toml")
    problems = source.schema_problems(COUNTIES_SCHEMA)
    if problems:
        raise DataFileInvalid(problems)
    types = catalog(directory)
    seen: dict[str, int] = {}
    for i, county in enumerate(source.data["county"]):
        if county["code"] in seen:
            problems.append(source.problem(("county", i, "code"), f"county {county['code']} is listed twice",
                                           f"县（区）代码 {county['code']} 重复"))
        seen[county["code"]] = i
        for kind in ENTRY_KINDS:
            for j, entry in enumerate(county[kind]):
                problems.extend(source.problem(("county", i, kind, j) + path, message, message_zh)
                                for path, message, message_zh in entry_problems(kind, county["code"], entry, types))
    if problems:
        raise DataFileInvalid(problems)
    return {c["code"]: c for c in source.data["county"]}


ENTRY_KINDS = ("models", "rules")
# An admin may also change, from a date, what every refusal names (复议机关, court, periods): kind ``appeal``,
# kept in the rule book as the county's ``appeals`` beside the file's ``appeal``.
APPEAL = "appeal"
BOOK_LISTS = {"models": "models", "rules": "rules", APPEAL: "appeals"}


def appeal_schema() -> dict[str, Any]:
    """The JSON Schema of a county's 复议/诉讼 data (the file's ``[county.appeal]`` and an admin's entry)."""
    return COUNTIES_SCHEMA["properties"]["county"]["items"]["properties"]["appeal"]


def entry_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one ``models`` or ``rules`` entry of a county (the file's and an admin's)."""
    return COUNTIES_SCHEMA["properties"]["county"]["items"]["properties"][kind]["items"]


def entry_problems(kind: str, county_code: str, entry: dict[str, Any],
                   types: dict[str, Any] | None = None) -> list[tuple[tuple, str, str]]:
    """What is wrong with one entry beyond its schema, as (key path in the entry, message, Chinese message):
    an unknown model, override or type, a township outside the county, a source or assumption naming no value
    of the entry. The one check of an entry, whether it is in counties.toml or an admin added it."""
    types = catalog() if types is None else types
    found: list[tuple[tuple, str, str]] = []
    if entry.get("township") and not entry["township"].startswith(county_code):
        found.append((("township",), f"township {entry['township']} is not in county {county_code}",
                      f"乡镇（街道）{entry['township']} 不属于 {county_code}"))
    if kind == "models":
        models = sorted({variant for t in types.values() for variant in t["variants"]})
        if entry["model"] not in models:
            found.append((("model",), f"unknown model '{entry['model']}' (known: {', '.join(models)})",
                          f"未知的审批模式「{entry['model']}」（可选：{'、'.join(models)}）"))
        for key, variant in entry.get("overrides", {}).items():
            if key not in types:
                found.append((("overrides", key), f"unknown assistance type '{key}'", f"未知的救助类别「{key}」"))
            elif variant not in types[key]["variants"]:
                found.append((("overrides", key), f"{key} has no variant '{variant}' "
                              f"(known: {', '.join(sorted(types[key]['variants']))})",
                              f"救助类别「{key}」没有「{variant}」模式"))
    else:
        for key in entry.get("time_limit_wd_by_type", {}):
            if key not in types:
                found.append((("time_limit_wd_by_type", key), f"unknown assistance type '{key}'",
                              f"未知的救助类别「{key}」"))
        for field in MONTHLY_BY_TYPE:
            for key in entry.get(field, {}):
                if (types.get(key, {}).get("benefit") or {}).get("payment") != "monthly":
                    found.append(((field, key),
                                  f"'{key}' is not an assistance type paid monthly (only those are reviewed)",
                                  f"「{key}」不是按月发放的救助类别（只有按月发放的才复核）"))
    fields = entry_schema(kind)["properties"]
    for notes in ("sources", "assumptions"):
        for name in entry.get(notes, {}):
            field, _, key = name.partition(".")
            if field not in fields or (key and key not in entry.get(field, {})):
                found.append(((notes, name), f"'{name}' names no value of this entry", f"「{name}」不是本条规则中的取值"))
    return found


def in_force_on(entry: dict[str, Any], on: date) -> bool:
    """Whether an entry applies on a date: from its ``effective_from`` until it is retired (an admin's entry)."""
    return entry["effective_from"] <= on and not (entry.get("retired_from") and entry["retired_from"] <= on)


def in_force_among(entries: list[dict], on: date) -> dict | None:
    """The entry in force on a date among ``entries`` (the latest begun and not retired)."""
    # Of two entries from the same day the one listed later wins: an admin's entry after the file's, and of the
    # admin's the one added last.
    current = [e for e in entries if in_force_on(e, on)]
    return max(reversed(current), key=lambda e: e["effective_from"]) if current else None


def stored_entry(row: CountyRuleEntry) -> dict[str, Any]:
    """An admin's entry as counties.toml would write it, with its retirement and id (``entry_id``)."""
    entry = {**row.entry, "effective_from": row.effective_from, "entry_id": row.id, "retired_from": row.retired_from}
    if row.township_code:
        entry["township"] = row.township_code
    return entry


def rule_book(session: Session, county_code: str | None = None) -> dict[str, dict[str, Any]]:
    """County code → its entry: counties.toml with the entries admins added (``county_rule_entry``) after the
    file's, read in the caller's transaction. Nothing of the database is kept in memory, so every web worker
    and the scheduler see an entry as soon as it is committed; rules are read when a case is lodged, never
    on a task's completion, and the table holds a handful of rows per county."""
    book = {code: {**c, "models": list(c["models"]), "rules": list(c["rules"]), "appeals": []}
            for code, c in counties().items() if county_code is None or code == county_code}
    # A new application reads its county's book three times (route, rules, model); once per transaction.
    rows = remembered(session, ("rule_book", county_code), lambda: tuple(session.execute(
        _entries_statement(county_code is not None), {"county_code": county_code}).scalars()))
    # A county an admin added has rules once they were set up in the browser (set_up_county): its first appeal
    # entry names it, and its name is the places table's.
    added = sorted({r.county_code for r in rows if r.kind == APPEAL and r.county_code not in book})
    if added:
        names = dict(session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(added),
                                                                        Unit.level == "county")).all())
        book.update({code: {"code": code, "name": names[code], "appeal": None, "models": [], "rules": [],
                            "appeals": [], "set_up_here": True} for code in added if code in names})
    for row in rows:
        if row.county_code in book:
            entry = stored_entry(row)
            if row.kind == APPEAL and book[row.county_code]["appeal"] is None:
                book[row.county_code]["appeal"] = {k: v for k, v in entry.items() if k not in ENTRY_FACTS}
            if row.kind == "rules" and row.county_code in counties():
                # a value the file gained since the entry was added: the file's of its day
                base = in_force_among(rule_entries_of(counties()[row.county_code], row.township_code),
                                      row.effective_from) or {}
                entry = {**{k: v for k, v in base.items() if k not in ENTRY_FACTS or k == "time_limit_wd_by_type"},
                         **entry}
            book[row.county_code][BOOK_LISTS[row.kind]].append(entry)
    return book


@cache
def _entries_statement(of_one_county: bool):
    """The rule entries (of the county ``county_code``, bound at execution), built once."""
    query = select(CountyRuleEntry).order_by(CountyRuleEntry.id)
    return query.where(CountyRuleEntry.county_code == bindparam("county_code")) if of_one_county else query


def _county(code: str, session: Session | None = None) -> dict[str, Any]:
    county = (rule_book(session, code) if session is not None else counties()).get(code)
    if county is None:
        raise NotFound(f"no rules for county {code}", "该县（区）尚未配置救助规则",
                       message_en="This county (district) has no assistance rules yet")
    return county


def rule_entries_of(county: dict[str, Any], township_code: str | None) -> list[dict[str, Any]]:
    """The rule entries that apply to a township: its own where it has any (三堤口街道's delegated model
    beside 相山区's national route), else the county's; before its first own entry, the county's."""
    entries = county.get("rules", [])
    own = [e for e in entries if township_code and e.get("township") == township_code
           and not (e.get("retired_from") and e["retired_from"] <= e["effective_from"])]
    county_wide = [e for e in entries if not e.get("township")]
    if not own:
        return county_wide
    first = min(e["effective_from"] for e in own)
    return [e for e in county_wide if e["effective_from"] < first] + own


def rules_in_force(county_code: str, on: date, township_code: str | None = None,
                   session: Session | None = None) -> dict[str, Any]:
    """The rule entry in force on a date for a township (``rule_entries_of``); with ``session``, the entries
    admins added count too (``rule_book``)."""
    entry = in_force_among(rule_entries_of(_county(county_code, session), township_code), on)
    if entry is None:
        raise NotFound(f"no rules in force for {county_code} on {on}", "该日期没有生效的救助规则",
                       message_en="No assistance rules are in force on that date")
    return entry


def appeal_of(county_code: str, session: Session | None = None, on: date | None = None) -> dict[str, Any]:
    """Where and within when a refusal can be challenged (复议机关, court, periods), for the notices: with
    ``session`` and ``on``, the admin's entry in force on that day, else the file's."""
    county = _county(county_code, session)
    chosen = in_force_among(county.get("appeals", []), on) if on is not None else None
    if chosen is None:
        return dict(county["appeal"])
    return {k: v for k, v in chosen.items() if k not in ENTRY_FACTS}


def model_among(models: list[dict], township_code: str | None, on: date) -> dict | None:
    """The model entry in force for a township among a county's ``models``: its own, else the county's."""
    own = in_force_among([m for m in models if m.get("township") == township_code], on) if township_code else None
    return own or in_force_among([m for m in models if not m.get("township")], on)


def model_in_force(county_code: str, township_code: str | None, on: date,
                   session: Session | None = None) -> dict[str, Any]:
    """The delegation model entry in force for a township (its own entry first, else the county's); with
    ``session``, the entries admins added count too."""
    entry = model_among(_county(county_code, session).get("models", []), township_code, on)
    if entry is None:
        raise NotFound(f"no model in force for {county_code} on {on}", "该日期没有生效的审批模式",
                       message_en="No approval model is in force on that date")
    return entry


def variant_for(assistance_type: str, model: dict[str, Any]) -> str:
    """The variant of a type a model runs: an override, the model's own, or the national default."""
    variants = catalog()[assistance_type].get("variants", {})
    chosen = model.get("overrides", {}).get(assistance_type, model["model"])
    return chosen if chosen in variants else NATIONAL


def process_for(assistance_type: str, county_code: str, township_code: str | None, on: date,
                session: Session | None = None) -> str:
    """The process id a new case of this type runs in this township on this date (with ``session``, under
    the entries admins added too)."""
    if assistance_type not in catalog():
        raise NotFound(f"unknown assistance type {assistance_type}", "未知的救助类别", message_en="Unknown assistance type")
    variant = variant_for(assistance_type, model_in_force(county_code, township_code, on, session))
    variants = catalog()[assistance_type]["variants"]
    if variant not in variants:
        raise NotFound(f"{assistance_type} has no {variant} route", "该救助类别没有适用的审批流程",
                       message_en="This assistance type has no route for the place")
    return variants[variant]["process_id"]


def follow_up_process_for(family: str, benefit_type: str, county_code: str, township_code: str | None,
                          on: date, session: Session | None = None) -> str:
    """The dynamic-management route (``periodic_review``, ``benefit_change``) for a benefit of
    ``benefit_type``: the family's variant named like the one the benefit's type runs in the place, so
    the benefit is reviewed where it is decided (特困 in 三堤口 runs the national route, confirmed by the
    district, so the district decides its review; 低保 there runs the street's own route and is reviewed
    by the street); the national variant when the family has no such variant."""
    variants = catalog()[family]["variants"]
    variant = variant_for(benefit_type, model_in_force(county_code, township_code, on, session))
    return variants.get(variant, variants[NATIONAL])["process_id"]


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


def benefit_types() -> list[dict[str, str]]:
    """Every assistance type granting a benefit of its own (key, names): the types on the register."""
    return [{"type": key, "name_zh": t["name_zh"], "name_en": t["name_en"]}
            for key, t in catalog().items() if t.get("benefit")]


# The values case_parameters derives from a rule entry, beside the entry's own fields.
DERIVED_PARAMETERS = ("local_standard", "publicity_duration", "small_temporary_limit", "rules_effective_from",
                      "delegation_model", "model_effective_from")


def parameter_names() -> frozenset[str]:
    """Every name case_parameters puts into a new case's data (a route may read and declare them)."""
    rule_fields = COUNTIES_SCHEMA["properties"]["county"]["items"]["properties"]["rules"]["items"]["properties"]
    return frozenset(rule_fields) - frozenset(ENTRY_FACTS) | frozenset(DERIVED_PARAMETERS)


def case_parameters(session: Session, county_id: int, township_id: int, process_id: str, on: date,
                    codes: dict[int, str] | None = None) -> dict[str, Any]:
    """The rule values a new case carries in its data for its whole life (``codes``: the county's and the
    township's unit codes by id when the caller has them, else read)."""
    if codes is None:
        codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_((county_id, township_id)))).all())
    rules = rules_in_force(codes[county_id], on, codes[township_id], session=session)
    model = model_in_force(codes[county_id], codes[township_id], on, session)
    days = rules["publicity_days"]
    override = os.environ.get(PUBLICITY_OVERRIDE_ENV)
    publicity = override or days_duration(days)
    # A county without a working-day minimum for its 公示 (only Jiangsu's sets one) has none.
    params = {"publicity_min_workdays": 0, **{k: v for k, v in rules.items() if k not in ENTRY_FACTS}}
    # The overall limit is the type's where the county data gives one (特困, 两项补贴 ...), else 低保's.
    params["time_limit_wd"] = rules.get("time_limit_wd_by_type", {}).get(assistance_type_of(process_id),
                                                                            rules["time_limit_wd"])
    if override:  # a demo length is a fixed duration, whatever unit the county counts in
        params["publicity_unit"] = "d"
    params.update(
        local_standard=rules["minimum_living_standard"], publicity_duration=publicity,
        small_temporary_limit=rules["minimum_living_standard"] * rules["small_temporary_multiple"],
        rules_effective_from=rules["effective_from"].isoformat(), delegation_model=model["model"],
        model_effective_from=model["effective_from"].isoformat(),
    )
    return params


def benefit_of(assistance_type: str | None) -> dict[str, str] | None:
    """Whom a benefit of this type belongs to and how it is paid ({subject, payment}), or None for a
    type that grants no benefit of its own (reviews, changes, the monthly cut-off)."""
    return catalog().get(assistance_type or "", {}).get("benefit")


def personal_types() -> list[str]:
    """The assistance types whose benefit is the person's own (the catalogue's ``subject = "person"``: 特困,
    两项补贴, 尊老金): a death stops them (engine.cases.deaths), and nothing is lodged about them for the dead."""
    return [t for t in catalog() if (benefit_of(t) or {}).get("subject") == "person"]
