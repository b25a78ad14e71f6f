"""The items a township window registers (processes/window_items.toml): their departments, the liaison role
that answers each department's referrals, the 民政 items' assistance types and the working-day deadlines.

Read and checked once per process: a problem is reported with the file's line, like counties.toml.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from engine.catalogue.datafiles import DataFile
from engine.catalogue.deployment import PROCESSES_DIR
from engine.catalogue.rules import catalog
from engine.errors import DataFileInvalid
from engine.people.accounts import DEPARTMENT_ROLES

SOURCE = "processes/window_items.toml"
CIVIL_AFFAIRS = "civil_affairs"
_CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,39}$"}
_ITEM = {
    "type": "object", "additionalProperties": False, "required": ["code", "name_zh", "name_en", "department"],
    "properties": {"code": _CODE, "name_zh": {"type": "string", "minLength": 1, "maxLength": 60},
                   "name_en": {"type": "string", "minLength": 1, "maxLength": 100},
                   "department": _CODE, "assistance_type": _CODE, "limit_wd": {"type": "integer", "minimum": 1,
                                                                                "maximum": 120},
                   "note": {"type": "string"}, "source": {"type": "string"},
                   "subject": {"enum": ["person", "household"]},
                   "effective_from": {"type": "string", "format": "date"},
                   "retired_from": {"type": "string", "format": "date"}},
}
_WD = {"type": "integer", "minimum": 1, "maximum": 30}
SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["deadlines", "departments", "items"],
    "properties": {
        "assumption": {"type": "string"},
        "deadlines": {"type": "object", "additionalProperties": False,
                      "required": ["referral_wd", "not_eligible_wd", "initial_wd", "feedback_wd"],
                      "properties": {"referral_wd": _WD, "not_eligible_wd": _WD, "initial_wd": _WD,
                                     "feedback_wd": _WD, "source": {"type": "string"}}},
        "departments": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False, "required": ["name_zh", "name_en"],
            "properties": {"name_zh": {"type": "string", "minLength": 1}, "name_en": {"type": "string", "minLength": 1},
                           "role": {"type": "string"}}}},
        "items": {"type": "array", "minItems": 1, "items": _ITEM},
        "county": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["code", "items"],
            "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"},
                           "items": {"type": "array", "items": _ITEM}}}},
    },
}


@dataclass(frozen=True)
class Item:
    """One item a window registers."""

    code: str
    name_zh: str
    department: str
    department_zh: str
    name_en: str = ""
    department_en: str = ""
    assistance_type: str | None = None   # 民政 items: the Jiuzhu type whose route the item starts
    limit_wd: int | None = None          # referred items: working days to finish after the initial handling
    note: str | None = None
    effective_from: date | None = None
    retired_from: date | None = None
    # Whom a referral is for: the registered applicant alone (person, the default), or their household (住房,
    # 受灾: still valid for the living members after the applicant's death; engine.window.referrals).
    subject: str = "person"

    @property
    def referred(self) -> bool:
        """True for another department's item (a referral), False for a 民政 item (a Jiuzhu case)."""
        return self.assistance_type is None

    def in_force(self, day: date) -> bool:
        """True if the item may be registered on ``day``."""
        return (self.effective_from is None or self.effective_from <= day) and (
            self.retired_from is None or day < self.retired_from)


@dataclass(frozen=True)
class WindowRules:
    """The checked content of window_items.toml."""

    deadlines: dict[str, int]
    departments: dict[str, dict[str, str]]
    items: tuple[Item, ...]
    county_items: dict[str, tuple[Item, ...]]

    def items_for(self, county_code: str, day: date) -> list[Item]:
        """The items in force in a county on a day: the common ones, each replaced or joined by the county's."""
        by_code = {i.code: i for i in self.items}
        by_code.update({i.code: i for i in self.county_items.get(county_code, ())})
        return [i for i in by_code.values() if i.in_force(day)]

    def item(self, county_code: str, code: str) -> Item | None:
        """The item ``code`` as the county has it (in force or not), or None."""
        found = {i.code: i for i in self.items} | {i.code: i for i in self.county_items.get(county_code, ())}
        return found.get(code)

    def department_of_role(self, role: str) -> str | None:
        """The department whose referrals a liaison role answers."""
        return next((code for code, d in self.departments.items() if d.get("role") == role), None)

    def item_name(self, code: str, zh: bool, stored: str = "") -> str:
        """An item's name in a language, by its code (a county's own item where no common one has the code);
        ``stored`` (the name kept on a registered item) when the code is no longer listed."""
        found = next((i for i in self.items if i.code == code), None) or next(
            (i for items in self.county_items.values() for i in items if i.code == code), None)
        if found is None:
            return stored or code
        return found.name_zh if zh else found.name_en

    def department_name(self, code: str, zh: bool) -> str:
        """A department's name in a language, or its code."""
        department = self.departments.get(code)
        return department["name_zh" if zh else "name_en"] if department else code

    def role_of(self, department: str) -> str | None:
        """The liaison role of a department (None for 民政)."""
        return self.departments.get(department, {}).get("role")


def _item(raw: dict[str, Any], departments: dict) -> Item:
    department = departments[raw["department"]]
    return Item(raw["code"], raw["name_zh"], raw["department"], department["name_zh"], raw["name_en"],
                department["name_en"], raw.get("assistance_type"), raw.get("limit_wd"), raw.get("note"),
                raw.get("effective_from"), raw.get("retired_from"), raw.get("subject", "person"))


def _item_problems(source: DataFile, where: tuple, raw: dict, departments: dict, types: dict) -> list:
    problems = []
    department = departments.get(raw["department"])
    if department is None:
        return [source.problem(where + ("department",), f"unknown department '{raw['department']}'",
                               f"未知的部门「{raw['department']}」（可选：{'、'.join(departments)}）")]
    if raw["department"] == CIVIL_AFFAIRS:
        if raw.get("assistance_type") not in types:
            problems.append(source.problem(where + ("code",), "a 民政 item names the assistance type it starts",
                                           "民政事项须写明所启动的救助类型 assistance_type（见 catalog.toml）"))
    else:
        if raw.get("assistance_type"):
            problems.append(source.problem(where + ("assistance_type",), "only 民政 items start a Jiuzhu route",
                                           "只有民政事项可以启动本系统的审批路线"))
        if raw.get("limit_wd") is None:
            problems.append(source.problem(where + ("code",), "a referred item needs limit_wd",
                                           "转办事项须写明办结时限 limit_wd（工作日）"))
    if raw.get("effective_from") and raw.get("retired_from") and raw["retired_from"] <= raw["effective_from"]:
        problems.append(source.problem(where + ("retired_from",), "retired before it took effect",
                                       "停用日期须晚于启用日期"))
    return problems


@cache
def window_rules(directory: Path = PROCESSES_DIR) -> WindowRules:
    """The window's items and deadlines, checked on load (every problem with its line)."""
    source = DataFile(directory / "window_items.toml", SOURCE)
    problems = source.schema_problems(SCHEMA)
    if problems:
        raise DataFileInvalid(problems)
    data = source.data
    departments = data["departments"]
    types = catalog(directory)
    for code, department in departments.items():
        role = department.get("role")
        if code == CIVIL_AFFAIRS and role:
            problems.append(source.problem(("departments", code, "role"), "民政 has no liaison role",
                                           "民政事项由本系统办理，不设联络专员角色"))
        elif code != CIVIL_AFFAIRS and role not in DEPARTMENT_ROLES:
            problems.append(source.problem(("departments", code), f"unknown liaison role '{role}'",
                                           f"部门须写明联络专员角色 role（可选：{'、'.join(DEPARTMENT_ROLES)}）"))
    seen: set[str] = set()
    for i, raw in enumerate(data["items"]):
        problems += _item_problems(source, ("items", i), raw, departments, types)
        if raw["code"] in seen:
            problems.append(source.problem(("items", i, "code"), f"item {raw['code']} listed twice",
                                           f"事项代码 {raw['code']} 重复"))
        seen.add(raw["code"])
    for i, county in enumerate(data.get("county", [])):
        for j, raw in enumerate(county["items"]):
            problems += _item_problems(source, ("county", i, "items", j), raw, departments, types)
    if problems:
        raise DataFileInvalid(problems)
    return WindowRules(
        dict((k, v) for k, v in data["deadlines"].items() if k != "source"), departments,
        tuple(_item(raw, departments) for raw in data["items"]),
        {county["code"]: tuple(_item(raw, departments) for raw in county["items"])
         for county in data.get("county", [])})
