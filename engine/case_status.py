"""Whether a case is finished (办结: completed, or terminated 终止), and the one refusal every action on a
finished case gets.

A finished case takes no more work: no scan is filed on it, it is not suspended, resumed, terminated or
extended, its steps are not urged, withdrawn or done, no complaint is registered on it. Every use case that
acts on a case asks ``refuse_if_finished`` (HTTP 409, nothing changed), and every page that offers such an
action asks ``is_finished`` before showing its form, so the page never offers what the server refuses.
A suspended case (挂起) is not finished: what may be done on it is the operations' own rule
(engine.cases.operations: its steps wait; scans still come in for 补正; it may be resumed or terminated).
"""
from __future__ import annotations

from engine.errors import CaseFinished

RUNNING = "running"
TERMINATED = "terminated"
# The action refused, as the Chinese message names it (the web app's English names are in its catalogue).
ACTIONS_ZH = {"upload": "上传申请材料", "suspend": "挂起", "resume": "恢复办理", "terminate": "终止办理",
              "extend": "延期", "urge": "催办", "withdraw": "撤回", "complaint": "登记投诉、举报", "work": "办理"}
ACTIONS_EN = {"upload": "file application documents", "suspend": "suspend a case", "resume": "resume a case",
              "terminate": "terminate a case", "extend": "extend a time limit", "urge": "urge steps",
              "withdraw": "withdraw a completion", "complaint": "register a complaint or report", "work": "work on it"}


def is_finished(status: str | None) -> bool:
    """True when a case of this status is finished (办结): anything but running."""
    return status != RUNNING


def finished_refusal(status: str | None, outcome: str | None, action: str) -> CaseFinished | None:
    """The CaseFinished (409) naming ``action`` (a key of ACTIONS_ZH) when the case is finished, else None."""
    return CaseFinished(action, ACTIONS_ZH[action], outcome == TERMINATED) if is_finished(status) else None


def refuse_if_finished(status: str | None, outcome: str | None, action: str) -> None:
    """Raise ``finished_refusal`` when the case is finished."""
    refusal = finished_refusal(status, outcome, action)
    if refusal is not None:
        raise refusal
