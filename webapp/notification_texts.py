"""A notification's text in the reader's language: its kind's English msgid (translated by Flask-Babel) filled
with the values the engine stored by name (``Notification.params``). Step names come through ``step_en``; names,
numbers and reasons are data and stay as written. A row without params (written before they were stored) or of
a kind not listed here shows its stored Chinese message."""
from __future__ import annotations

from flask_babel import gettext

from .pages import step_en

# msgid per kind (the Chinese is in messages.po, as every other msgid)
TEXTS = {
    "new_task": "New task: case %(number)s “%(step)s”",
    "new_task_due": "New task: case %(number)s “%(step)s”, due %(due_on)s",
    "due_soon": "Case %(number)s “%(step)s” falls due on %(due_on)s: please deal with it in time",
    "overdue": "Case %(number)s “%(step)s” is past its time limit (%(due_on)s) and under supervision",
    "objection_lodged": "Objection: someone objected to case %(number)s during “%(step)s”; please deal with it promptly",
    "reassigned": "%(who)s handed case %(number)s “%(step)s” to you: %(reason)s",
    "sent_back": "Case %(number)s was sent back from “%(step)s” to “%(to_step)s”: %(reason)s",
    "urged": "Urged: case %(number)s “%(step)s” — %(reason)s",
    "correction_requested": "Case %(number)s: the applicant was told once what to correct (%(notice)s): %(reason)s",
    "delegated": "%(who)s delegated case %(number)s “%(step)s” to you, to fill in and return: %(reason)s",
    "delegation_returned": "%(who)s filled in and returned case %(number)s “%(step)s”: please decide",
    "delegation_recalled": "%(who)s recalled the delegation of case %(number)s “%(step)s”",
    "proxy_named": "%(who)s asks you to stand in for them from %(start)s to %(end)s: %(reason)s",
    "cosign_requested": "%(who)s asks you to co-sign case %(number)s “%(step)s”: %(reason)s",
    "cosigned": "%(who)s co-signed case %(number)s “%(step)s”: %(reason)s",
    "window_not_eligible": "Registration %(number)s (%(applicant)s) “%(item)s”: the department answered not eligible",
    "window_eligible": "Registration %(number)s (%(applicant)s) “%(item)s”: the department reported its first check and what it is doing",
    "window_finished": "Registration %(number)s (%(applicant)s) “%(item)s”: the department has finished",
    "window_ended": "Referral %(transfer)s “%(item)s” (registration %(number)s): %(name)s died on %(died_on)s; the referral is ended",
    "ended_by_death": "Case %(number)s: the recipient %(name)s died on %(died_on)s; the case is terminated and its open tasks withdrawn",
}
STEPS = ("step", "to_step")
# Every kind's name (msgid) as the notification centre lists and filters it: each kind of TEXTS but the
# variant new_task_due, which is a new task.
KIND_NAMES = {
    "new_task": "New task", "due_soon": "Due soon", "overdue": "Overdue", "reassigned": "Reassigned to you",
    "sent_back": "Sent back", "urged": "Urged", "objection_lodged": "Objection lodged",
    "correction_requested": "Awaiting the applicant's correction", "delegated": "Delegated to you",
    "delegation_returned": "Delegation returned", "delegation_recalled": "Delegation recalled",
    "proxy_named": "Named as proxy", "cosign_requested": "Co-signing requested", "cosigned": "Co-signed",
    "window_not_eligible": "Referral: not eligible", "window_eligible": "Referral: in hand",
    "window_finished": "Referral: finished", "window_ended": "Referral ended by a death", "ended_by_death": "Ended by a death",
}


def notification_text(note) -> str:
    """The text of a notification row (or dict with kind, params, message) in the page's language."""
    get = note.get if isinstance(note, dict) else lambda key: getattr(note, key, None)
    params, kind = get("params"), get("kind")
    if not isinstance(params, dict) or kind not in TEXTS:
        return get("message")
    if kind == "new_task" and params.get("due_on"):
        kind = "new_task_due"
    values = {k: step_en(v) if k in STEPS else v for k, v in params.items()}
    try:
        return gettext(TEXTS[kind], **values)
    except (KeyError, ValueError, TypeError):  # a text whose values the row lacks: as written
        return get("message")
