"""The household file (一户一档) in the reader's language: its members' sex and relation, the changes of its
benefits, and its timeline, each line a kind of event and its values by name as the engine hands them over
(engine.oversight.files.household_file), written here through Flask-Babel (English msgids; the Chinese in
messages.po is the text the pages always showed, the engine's own). Names, case and document numbers are data
and stay as written; type names, step and document titles come in the page's language (``type_name``,
``step_en``)."""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext as _l

from .pages import step_en, type_name

# A household event's name on the timeline (the member list beside it has its own, shorter words)
HOUSEHOLD_EVENTS = {
    "created": _l("File opened"), "joined": _l("Member joined"), "left": _l("Member moved out"),
    "changed": _l("Details changed"), "died": _l("Member died"), "head_changed": _l("Head of household changed")}
# A change of a benefit on the register, as its history table and the timeline name it
BENEFIT_EFFECTS = {
    "register": _l("granted"), "update": _l("changed"), "continue": _l("continued"), "stop": _l("stopped"),
    "review_ended": _l("review ended without a decision"), "holder_changed": _l("passed to the new head of household"),
    "collector_ended": _l("its collector died")}

# A member's relation to the head and sex, by the registry's codes (the relation's Chinese is files.RELATIONS_ZH,
# which the archive's Chinese index writes)
RELATIONS = {
    "self": _l("Self"), "spouse": _l("Spouse"), "child": _l("Child"), "parent": _l("Parent"), "sibling": _l("Sibling"),
    "grandparent": _l("Grandparent"), "grandchild": _l("Grandchild"), "other": _l("Other")}
SEXES = {"M": _l("Male"), "F": _l("Female")}


def member_relation(member: dict) -> str:
    """A member's relation (``relation_code``) in the page's language; an unknown code as the registry has it."""
    code = member.get("relation_code")
    return str(RELATIONS[code]) if code in RELATIONS else (member.get("relation") or "")


def member_sex(member: dict) -> str:
    """A member's sex (``sex_code``: M, F) in the page's language."""
    code = member.get("sex_code")
    return str(SEXES[code]) if code in SEXES else ""


def benefit_effect(effect: str | None) -> str:
    """A benefit change's name (``effect`` of the register's history) in the page's language; an unknown one as
    it is."""
    return str(BENEFIT_EFFECTS[effect]) if effect in BENEFIT_EFFECTS else (effect or "")


def timeline_text(entry: dict) -> str:
    """One line of the household file's timeline (``{"kind", "event", "params"}``) in the page's language."""
    kind, event, params = entry.get("kind"), entry.get("event"), entry.get("params") or {}
    if kind == "household":
        name = HOUSEHOLD_EVENTS.get(event)
        return f"{name if name is not None else event} {params.get('name') or ''}"
    if kind == "case" and event == "lodged":
        return gettext("Application %(number)s (%(type)s)", number=params.get("number"),
                       type=type_name(params.get("assistance_type")))
    if kind == "case":
        return gettext("Completed %(number)s: %(outcome)s", number=params.get("number"),
                       outcome=step_en(params.get("outcome")) or "")
    if kind == "benefit":
        return gettext("%(type)s %(change)s %(amount)s yuan", type=type_name(params.get("assistance_type")),
                       change=benefit_effect(event), amount=f"{params.get('amount') or 0:.2f}")
    if event == "voided":
        return gettext("Document %(title)s %(number)s (voided)", title=step_en(params.get("title")),
                       number=params.get("number"))
    return gettext("Document %(title)s %(number)s", title=step_en(params.get("title")), number=params.get("number"))
