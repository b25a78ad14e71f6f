"""Errors a person can act on; each carries a Chinese message for the UI, and an English one for the English UI."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


class Message(NamedTuple):
    """One message a person reads, in both of the UI's languages: a refusal gives both or neither."""

    zh: str
    en: str


class JiuzhuError(Exception):
    """Base of domain errors; ``message_zh`` is shown to people, str() is for logs. ``message_en``, when a
    raise site gives one, is the English UI's message (else the web layer's generic English line)."""

    message_zh = "操作失败"
    message_en: str | None = None

    def __init__(self, message: str = "", message_zh: str | None = None, *, message_en: str | None = None) -> None:
        super().__init__(message or self.__class__.__name__)
        if message_zh:
            self.message_zh = message_zh
        if message_en:
            self.message_en = message_en

    def message_in(self, zh: bool, generic_en: str) -> str:
        """The message in the page's language: Chinese, or the specific English one, else ``generic_en``."""
        return self.message_zh if zh else self.message_en or generic_en


class NotFound(JiuzhuError):
    """The thing does not exist, or is outside the user's place (we do not say which)."""

    message_zh = "未找到，或不在您的办理范围内"


class Forbidden(JiuzhuError):
    """The user's role does not allow the action."""

    message_zh = "您没有权限执行此操作"


class Conflict(JiuzhuError):
    """Someone else got there first (HTTP 409)."""

    message_zh = "该事项已被他人办理"

    def __init__(self, message: str = "", by: str | None = None, at: datetime | None = None) -> None:
        self.by, self.at = by, at
        zh = None
        if by and at:
            from engine.clock import CHINA_TZ
            zh = f"已由 {by} 于 {at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S} 办理"
        super().__init__(message or "task already completed", zh)


class CaseFinished(Conflict):
    """The case is finished (办结: completed, or terminated 终止): nothing more is done on it (HTTP 409).
    ``action`` names what was refused (engine.case_status.ACTIONS_ZH), ``terminated`` how the case ended."""

    def __init__(self, action: str, action_zh: str, terminated: bool) -> None:
        self.action, self.action_zh, self.terminated = action, action_zh, terminated
        super().__init__(f"case finished ({'terminated' if terminated else 'completed'}): no {action}")
        self.message_zh = f"案件已办结（{'已终止' if terminated else '已完成'}），不能再{action_zh}"

    def __reduce__(self):
        return type(self), (self.action, self.action_zh, self.terminated)


class FormInvalid(JiuzhuError):
    """Submitted form data failed validation; ``errors`` maps field path → Chinese message, ``errors_en`` the
    same fields → English. Raise sites build it with ``FormInvalid.of`` (a Message per field), so no site
    can give one language without the other."""

    message_zh = "表单填写有误，请按提示修改"

    def __init__(self, errors: dict[str, str], errors_en: dict[str, str] | None = None) -> None:
        super().__init__(f"invalid form: {sorted(errors)}")
        self.errors = errors
        self.errors_en = errors_en or {}  # English messages of the fields, for the English UI

    @classmethod
    def of(cls, fields: Mapping[str, Message], summary: Message | None = None) -> FormInvalid:
        """The refusal of ``fields``, each with its Message; ``summary`` (when given) replaces the generic
        "the form has errors" line in both languages. A message that is not a (Chinese, English) pair is a
        programming error (TypeError), never a half-English page."""
        for field, message in fields.items():
            if not (isinstance(message, tuple) and len(message) == 2 and all(isinstance(m, str) and m for m in message)):
                raise TypeError(f"FormInvalid.of: the message of {field!r} is not a Message(zh, en): {message!r}")
        refused = cls({k: m[0] for k, m in fields.items()}, {k: m[1] for k, m in fields.items()})
        if summary is not None:
            refused.message_zh, refused.message_en = summary
        return refused

    def messages(self) -> dict[str, Message]:
        """Each field's Message (the Chinese standing in where a field has no English one)."""
        return {k: Message(v, self.errors_en.get(k, v)) for k, v in self.errors.items()}

    def errors_in(self, zh: bool) -> dict[str, str]:
        """The messages in the page's language: Chinese, or English where there is an English one."""
        return self.errors if zh else {k: self.errors_en.get(k, v) for k, v in self.errors.items()}


class RouteFailed(JiuzhuError):
    """A route's designer text was refused, ran over its budget or failed while a case ran it.

    Nothing of the step is saved and an incident names the element for administrators
    (HTTP 422). ``kind`` is 'refused', 'over_budget' or 'failed'; ``reason_zh`` says why.
    """

    KINDS_ZH = {"refused": "被安全检查拒绝", "over_budget": "超出运行限制", "failed": "运行出错"}

    def __init__(self, kind: str, element_id: str | None, reason: str, reason_zh: str) -> None:
        self.kind, self.element_id, self.reason, self.reason_zh = kind, element_id, reason, reason_zh
        self.case_id: int | None = None      # set by the use case that met it
        self.process_id: str | None = None
        where = f"「{element_id}」" if element_id else ""
        super().__init__(f"route {kind} at {element_id}: {reason}",
                         f"流程环节{where}的设置{self.KINDS_ZH.get(kind, '有误')}：{reason_zh}。"
                         "本次办理未保存，已记录事件，请联系管理员修正流程。")

    def __reduce__(self):
        return type(self), (self.kind, self.element_id, self.reason, self.reason_zh)


@dataclass(frozen=True)
class Problem:
    """One deploy-time problem, located in a file by line and element id."""

    file: str
    line: int | None
    element_id: str | None
    message: str
    message_zh: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line or '?'}"
        if self.element_id:
            where += f" [{self.element_id}]"
        return f"{where}: {self.message}"


class DeployRefused(JiuzhuError):
    """A deploy found problems; nothing was deployed."""

    message_zh = "流程校验未通过，未部署任何版本"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class DataFileInvalid(JiuzhuError):
    """A data file (places, users, county rules, the catalogue) has problems; nothing was loaded."""

    message_zh = "数据文件校验未通过，未载入任何内容"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class Duplicate(JiuzhuError):
    """The household or person already has an open application of the type, or already receives the
    benefit (HTTP 409): ``case_number`` names the open or granting case, ``case_id`` links to it."""

    message_zh = "该家庭（人员）已有同类申请或已在享受该救助"

    def __init__(self, message: str, message_zh: str, case_id: int | None = None, case_number: str | None = None,
                 *, message_en: str | None = None) -> None:
        super().__init__(message, message_zh, message_en=message_en)
        self.case_id, self.case_number = case_id, case_number
