"""The application materials (申请材料清单) of each assistance type as data (processes/materials.toml):
what a scan is filed under, and which scans an application needs before the window accepts it."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from engine.catalogue.datafiles import DataFile
from engine.catalogue.rules import PROCESSES_DIR, catalog
from engine.errors import DataFileInvalid

OTHER = "other"  # always offered, never required
_KEY = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 40}
_KEYS = {"type": "array", "items": _KEY, "uniqueItems": True}
MATERIALS_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["materials", "types"],
    "properties": {
        "materials": {"type": "object", "minProperties": 1, "propertyNames": _KEY, "additionalProperties": {
            "type": "object", "additionalProperties": False, "required": ["name_zh", "name_en"],
            "properties": {"name_zh": {"type": "string", "minLength": 1, "maxLength": 40},
                           "name_en": {"type": "string", "minLength": 1, "maxLength": 100}}}},
        "types": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False, "required": ["required"],
            "properties": {"required": _KEYS, "if_disabled": _KEYS}}}},
}


@dataclass(frozen=True)
class Material:
    """One kind of material: its key (stored on each attachment) and names."""

    key: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Checklist:
    """The materials an application of one type needs: always, and when a member is disabled."""

    required: tuple[Material, ...]
    if_disabled: tuple[Material, ...] = ()

    def items(self, disabled_member: bool) -> tuple[Material, ...]:
        """What this household's application needs."""
        return self.required + (self.if_disabled if disabled_member else ())


@dataclass(frozen=True)
class Materials:
    """Every material by key, and each assistance type's checklist."""

    by_key: dict[str, Material]
    checklists: dict[str, Checklist]

    def checklist(self, assistance_type: str | None) -> Checklist:
        """The type's checklist (empty for a type without one)."""
        return self.checklists.get(assistance_type or "", Checklist(()))

    def choices(self, assistance_type: str | None) -> list[Material]:
        """What a scan of an application of this type may be filed under: its checklist, then the rest."""
        listed = self.checklist(assistance_type)
        first = list(dict.fromkeys(listed.required + listed.if_disabled))
        return first + [m for m in self.by_key.values() if m not in first]


@cache
def materials(directory: Path = PROCESSES_DIR) -> Materials:
    """The materials file, checked on load: its schema, every listed material known, every type in the
    catalogue, and an ``other`` material to file anything else under."""
    source = DataFile(directory / "materials.toml", "processes/materials.toml")
    problems = source.schema_problems(MATERIALS_SCHEMA)
    if problems:
        raise DataFileInvalid(problems)
    by_key = {key: Material(key, m["name_zh"], m["name_en"]) for key, m in source.data["materials"].items()}
    if OTHER not in by_key:
        problems.append(source.problem(("materials", next(iter(by_key))), f"a material '{OTHER}' is needed for anything else",
                                       f"需要一项「{OTHER}」（其他材料）"))
    types = catalog(directory)
    for kind, entry in source.data["types"].items():
        if kind not in types:
            problems.append(source.problem(("types", kind), f"unknown assistance type '{kind}'",
                                           f"未知的救助类别「{kind}」"))
        for part in ("required", "if_disabled"):
            for i, key in enumerate(entry.get(part, [])):
                if key not in by_key:
                    problems.append(source.problem(("types", kind, part, i), f"unknown material '{key}'",
                                                   f"未定义的材料「{key}」"))
    if problems:
        raise DataFileInvalid(problems)
    return Materials(by_key, {kind: Checklist(tuple(by_key[k] for k in entry["required"]),
                                              tuple(by_key[k] for k in entry.get("if_disabled", [])))
                              for kind, entry in source.data["types"].items()})
