"""The one window's and the joint review's names in the page's language: items, departments, member units and
charities by their data files' name_zh / name_en; statuses, opinions, decisions and kinds of help through
Flask-Babel, English msgids whose Chinese is exactly the engine's text (the engine keeps its Chinese for the
documents and exports, which are Chinese documents; tests/webapp/test_window_english.py checks both agree)."""
from __future__ import annotations

from functools import lru_cache

from flask_babel import force_locale, get_locale, lazy_gettext as _l

from engine import charity_lists, window_rules

from .pages import is_zh

ITEM_STATUS = {
    "case_started": _l("Approval started"), "duplicate": _l("Duplicate application, not accepted"),
    "application_needed": _l("Application form to be completed"),
    "materials_missing": _l("Materials missing, told at once"), "explained": _l("Not eligible, policy explained"),
    "referred": _l("Referred, awaiting the department's answer"), "handling": _l("Being handled by the department"),
    "not_eligible": _l("Department's answer: not eligible"), "finished": _l("Finished by the department"),
    "ended": _l("Ended (the applicant died)")}
PROJECT_STATUS = {
    "submitted": _l("Awaiting initial review"), "returned": _l("Returned at initial review"),
    "passed": _l("Passed initial review, awaiting the joint review"), "approved": _l("Approved by the joint review"),
    "rejected": _l("Not approved by the joint review")}
OPINIONS = {"agree": _l("Agree"), "disagree": _l("Disagree"), "abstain": _l("Abstain")}
DECISIONS = {"approved": _l("Approved as submitted"), "adjusted": _l("Approved with an adjusted budget"),
             "rejected": _l("Not approved")}
CHARITY_KINDS = {"charity_project": _l("Charity project"), "fundraising": _l("Public fundraising"),
                 "professional_service": _l("Professional service"), "volunteer": _l("Volunteer service")}


def _label(labels: dict, code: str | None) -> str:
    return str(labels[code]) if code in labels else (code or "")


def item_status(code: str | None) -> str:
    """An item's (a referral's) status."""
    return _label(ITEM_STATUS, code)


def project_status(code: str | None) -> str:
    """A joint-review project's status."""
    return _label(PROJECT_STATUS, code)


def in_english(label, code: str | None) -> str:
    """``label(code)`` in English whatever the request's language: the API gives both (``status_zh`` beside
    ``status_en``), so a client reads the language it shows."""
    with force_locale("en"):
        return label(code)


def opinion_name(code: str | None) -> str:
    """A member unit's opinion at the joint review."""
    return _label(OPINIONS, code)


def decision_name(code: str | None) -> str:
    """The joint review's decision on a project."""
    return _label(DECISIONS, code)


def charity_kind(code: str | None) -> str:
    """The kind of help of a charity's project."""
    return _label(CHARITY_KINDS, code)


def item_name(code: str, stored: str = "") -> str:
    """An item's name by its code (``stored``: the name kept on a registered item, when no longer listed)."""
    return window_rules().item_name(code, is_zh(), stored)


def department_name(code: str) -> str:
    """A department's name."""
    return window_rules().department_name(code, is_zh())


def department_name_en(code: str) -> str:
    """A department's English name (the API's ``department_en``, beside its ``department_zh``)."""
    return window_rules().department_name(code, False)


def named(thing, stem: str = "name") -> str:
    """The name of anything with ``<stem>_zh`` and ``<stem>_en`` (an Item, a Member, a charity's project)."""
    get = thing.get if isinstance(thing, dict) else lambda key: getattr(thing, key)
    return get(f"{stem}_zh") if is_zh() else (get(f"{stem}_en") or get(f"{stem}_zh"))


def charity_name(stored: str) -> str:
    """A charity's or its project's name as a 转介 keeps it (Chinese), in the page's language where the county's
    list still names it."""
    if is_zh():
        return stored
    for organisations in charity_lists().values():
        for o in organisations:
            found = o if o["name_zh"] == stored else next((p for p in o["projects"] if p["name_zh"] == stored), None)
            if found:
                return found["name_en"]
    return stored


@lru_cache(maxsize=8)
def _label_tables(_locale: str) -> dict:
    # Translated once per locale (the argument is the cache's key), not at every page a template renders.
    return {"opinion_names": {k: str(v) for k, v in OPINIONS.items()},
            "decision_names": {k: str(v) for k, v in DECISIONS.items()},
            "item_statuses": {k: str(v) for k, v in ITEM_STATUS.items()}}


def helpers() -> dict:
    """The labels the window's and the joint review's templates use."""
    return {"item_status": item_status, "project_status": project_status, "opinion_name": opinion_name,
            "decision_name": decision_name, "charity_kind": charity_kind, "item_name": item_name,
            "department_name": department_name, "named": named, "charity_name": charity_name,
            **_label_tables(str(get_locale()))}
