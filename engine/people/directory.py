"""Places and people as data an installation loads and changes: ``jiuzhu load-places FILE`` and
``jiuzhu load-users FILE``.

Both loads are idempotent (a unit or user is found by its code or username, created when missing,
updated when changed, never duplicated), checked completely before anything is written, and never
commit: the command that calls them owns the transaction.

Places file (TOML)::

    [[province]]                    # optional: the provinces (省) above the counties
    code = "32"                     # 2-digit province code; a county whose code begins with it lies in it
    name = "江苏省"
    [[county]]
    code = "320921"                 # 6-digit administrative code (县/区)
    name = "响水县"
    [[county.township]]
    code = "320921100"              # 9 digits, starting with the county's code (乡镇/街道)
    name = "响水镇"
    villages = [{ code = "320921100201", name = "双园村" }]   # 12 digits (村/社区)

Users file (TOML)::

    default_password = "…"          # optional; only for demo installations
    [[user]]
    username = "township_xs"
    display_name = "响水镇 张干事"
    roles = [{ role = "township", unit = "320921100" }]
    password_hash = "$argon2id$…"   # optional; else default_password; else a random one is reported
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.people.accounts import NAME_MAX, ROLE_NAMES_ZH, hash_password
from engine.catalogue.datafiles import DataFile
from engine.errors import DataFileInvalid, FormInvalid
from engine.store.models import Unit, User
from engine.people.users import USERNAME_PATTERN, change_roles, create_user, deactivate_user, generate_password

_NAME = {"type": "string", "minLength": 1, "maxLength": NAME_MAX}
# The digits of an administrative code (统计用区划代码) at each level; a child's code begins with its parent's.
CODE_DIGITS = {"province": 2, "county": 6, "township": 9, "village": 12}
# A county may stand at the top (an installation of one county) or under its province (省).
LEVEL_BELOW = {None: "county", "province": "county", "county": "township", "township": "village"}


def _code(level: str) -> dict:
    return {"type": "string", "pattern": f"^[0-9]{{{CODE_DIGITS[level]}}}$"}


PLACES_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["county"],
    "properties": {"province": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["code", "name"],
        "properties": {"code": _code("province"), "name": _NAME}}},
                   "county": {"type": "array", "minItems": 1, "items": {
        "type": "object", "additionalProperties": False, "required": ["code", "name"],
        "properties": {
            "code": _code("county"), "name": _NAME,
            "township": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["code", "name"],
                "properties": {
                    "code": _code("township"), "name": _NAME,
                    "villages": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False, "required": ["code", "name"],
                        "properties": {"code": _code("village"), "name": _NAME}}}}}}}}}},
}
USERS_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["user"],
    "properties": {
        "default_password": {"type": "string", "minLength": 12, "maxLength": 200},
        "user": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["username", "display_name", "roles"],
            "properties": {
                "username": {"type": "string", "pattern": USERNAME_PATTERN},
                "display_name": _NAME,
                "password_hash": {"type": "string", "pattern": r"^\$argon2id\$", "maxLength": 200},
                "active": {"type": "boolean"},
                "roles": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False, "required": ["role", "unit"],
                    "properties": {"role": {"enum": sorted(ROLE_NAMES_ZH)},
                                   "unit": {"type": "string", "pattern": "^[0-9]{2}([0-9]{4}([0-9]{3}([0-9]{3})?)?)?$"}}}}}}}},
}


@dataclass
class LoadReport:
    """What a load did: codes or usernames created and updated, and passwords generated."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    generated_passwords: dict[str, str] = field(default_factory=dict)


def code_problem(code: str, level: str, parent_code: str = "") -> tuple[str, str] | None:
    """What is wrong with a unit's code at ``level`` under a parent with ``parent_code`` (English, Chinese),
    or None: the one check of a code, for a places file and for a unit an admin adds."""
    digits = CODE_DIGITS[level]
    if not (len(code) == digits and code.isascii() and code.isdigit()):
        return f"{code} is not a code of {digits} digits", f"代码 {code} 应为 {digits} 位数字"
    if not code.startswith(parent_code):
        return f"{code} is not inside {parent_code}", f"代码 {code} 不属于上级 {parent_code}"
    return None


def read_places(path: Path, display_name: str | None = None) -> DataFile:
    """A places file, checked: its schema, and every code inside its parent's code."""
    source = DataFile(path, display_name)
    problems = source.schema_problems(PLACES_SCHEMA)
    seen: set[str] = set()
    for i, province in enumerate(source.data.get("province", []) if not problems else []):
        if province["code"] in seen:
            problems.append(source.problem(("province", i, "code"), f"code {province['code']} appears twice",
                                           f"代码 {province['code']} 重复"))
        seen.add(province["code"])
    for i, county in enumerate(source.data.get("county", []) if not problems else []):
        units = [(("county", i), county["code"], "county", "")]
        for j, township in enumerate(county.get("township", [])):
            units.append((("county", i, "township", j), township["code"], "township", county["code"]))
            units += [(("county", i, "township", j, "villages", k), village["code"], "village", township["code"])
                      for k, village in enumerate(township.get("villages", []))]
        for where, code, level, parent in units:
            if wrong := code_problem(code, level, parent):
                problems.append(source.problem(where + ("code",), *wrong))
            if code in seen:
                problems.append(source.problem(where + ("code",), f"code {code} appears twice",
                                               f"代码 {code} 重复"))
            seen.add(code)
    if problems:
        raise DataFileInvalid(problems)
    return source


def load_places(session: Session, source: DataFile) -> LoadReport:
    """Create or update the provinces, counties, townships and villages of a checked places file. A county
    lies in the province whose code begins its own, from the file or already stored."""
    report = LoadReport()
    existing = {u.code: u for u in session.execute(select(Unit)).scalars()}

    def upsert(code: str, name: str, level: str, parent: Unit | None) -> Unit:
        unit = existing.get(code)
        parent_id = parent.id if parent is not None else None
        if unit is None:
            unit = existing[code] = Unit(code=code, name=name, level=level, parent_id=parent_id)
            session.add(unit)
            session.flush()  # children need its id
            report.created.append(code)
        elif (unit.name, unit.level, unit.parent_id) != (name, level, parent_id):
            unit.name, unit.level, unit.parent_id = name, level, parent_id
            report.updated.append(code)
        else:
            report.unchanged += 1
        return unit

    for province_entry in source.data.get("province", []):
        upsert(province_entry["code"], province_entry["name"], "province", None)
    for county_entry in source.data["county"]:
        province = province_of_code(existing, county_entry["code"])
        county = upsert(county_entry["code"], county_entry["name"], "county", province)
        for township_entry in county_entry.get("township", []):
            township = upsert(township_entry["code"], township_entry["name"], "township", county)
            for village in township_entry.get("villages", []):
                upsert(village["code"], village["name"], "village", township)
    session.flush()
    return report


def province_of_code(units: dict[str, Unit], county_code: str) -> Unit | None:
    """The province (among ``units`` by code) a county's code lies in, or None."""
    unit = units.get(county_code[:CODE_DIGITS["province"]])
    return unit if unit is not None and unit.level == "province" else None


def read_users(path: Path, session: Session) -> DataFile:
    """A users file, checked: its schema, unique usernames, and every role's unit known to the database."""
    source = DataFile(path)
    problems = source.schema_problems(USERS_SCHEMA)
    if not problems:
        known = set(session.execute(select(Unit.code)).scalars())
        seen: set[str] = set()
        for i, user in enumerate(source.data["user"]):
            if user["username"] in seen:
                problems.append(source.problem(("user", i, "username"), f"user {user['username']} appears twice",
                                               f"用户名 {user['username']} 重复"))
            seen.add(user["username"])
            for j, role in enumerate(user["roles"]):
                if role["unit"] not in known:
                    problems.append(source.problem(("user", i, "roles", j), f"unit {role['unit']} is not loaded "
                                                   "(load the places first)",
                                                   f"单位 {role['unit']} 不存在（请先载入区划）"))
    if problems:
        raise DataFileInvalid(problems)
    return source


def load_users(session: Session, source: DataFile, now: datetime) -> LoadReport:
    """Create or update the users of a checked users file and make their roles what the file says.

    Through the user-administration use cases, so a changed role or a deactivation ends the user's
    sessions and is audited like an admin's change. A new user gets the file's password hash, else its
    ``default_password`` (demo installations), else a random password that the report carries once. An
    existing user's password is never reset by a reload.
    """
    report = LoadReport()
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    default_hash = hash_password(source.data["default_password"]) if "default_password" in source.data else None
    problems = []
    for i, entry in enumerate(source.data["user"]):
        roles = [(r["role"], r["unit"]) for r in entry["roles"]]
        active = entry.get("active", True)
        user = users.get(entry["username"])
        try:
            if user is None:
                password_hash = entry.get("password_hash") or default_hash
                if password_hash is None:
                    password = generate_password()
                    report.generated_passwords[entry["username"]] = password
                    password_hash = hash_password(password)
                create_user(session, None, now, entry["username"], entry["display_name"], None, roles,
                            password_hash=password_hash)
                if not active:
                    deactivate_user(session, None, now, entry["username"])
                report.created.append(entry["username"])
                continue
            held = {(r.role, r.unit.code) for r in user.roles}
            if (user.display_name, user.active, held) == (entry["display_name"], active, set(roles)):
                report.unchanged += 1
                continue
            user.display_name = entry["display_name"]
            if held != set(roles):
                change_roles(session, None, now, user.username, roles)
            if user.active and not active:
                deactivate_user(session, None, now, user.username)
            user.active = active
            report.updated.append(user.username)
        except FormInvalid as exc:
            problems += [source.problem(("user", i), f"{entry['username']}: {message.en}", message.zh)
                         for message in exc.messages().values()]
    if problems:
        raise DataFileInvalid(problems)
    session.flush()
    return report
