"""The clerk's operations on a case beyond completing its steps: 认领/释放 (claim, release), 转办 (reassign),
退回 (send back, also to the applicant for 补正), 撤回 (withdraw), 挂起/恢复 (suspend, resume), 终止 (terminate),
催办 (urge); 委派/代理 are in ``delegation``, 加签/减签/会签 in ``cosigning``.

Each is a use case like ``complete_task``: it finds the task or case within the actor's role × place in
SQL (``people.scope``), locks what it changes, writes through the case writer (an audit event with the
values before and after, the inbox rows, the case under its revision) and never commits. Who may do what
is the matrix in docs/architecture.md ("The clerk's operations"); a refusal raises NotFound (outside the
actor's place), Forbidden (the role does not allow it), Conflict (someone else changed it first) or
FormInvalid (a reason is missing), and changes nothing.
"""
from __future__ import annotations

from datetime import date
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.orm import Session

from engine.case_status import ACTIONS_EN, ACTIONS_ZH, finished_refusal, is_finished, refuse_if_finished
from engine.cases.documents import KINDS, issue_document
from engine.cases.voiding import void_undone
from engine.cases.writer import (CASE, EVENT, TASK, locked, reopen_tasks, shift_due_dates, write_event,
                                 write_holder, write_notifications, write_state, write_suspension, write_termination)
from engine.catalogue.rules import appeal_of
from engine.households.attachments import missing_materials
from engine.catalogue.versions import get_version
from engine.clock import Clock, to_local_date
from engine.errors import Conflict, Forbidden, FormInvalid, Message, NotFound
from engine.people.accounts import Principal
from engine.people.places import Place, unit_names
from engine.people.scope import case_scope, task_scope
from engine.runtime.workflow import DoneTask, Workflow, WorkflowError
from engine.store.models import Case, RoleAssignment, case_state, StandingProxy, TaskCosigner, Unit, User
from engine.workdays import CalendarYearMissing, WorkingCalendar

REASON_MIN, REASON_MAX = 2, 500
TERMINATION_NOTICE = "termination_notice"
TERMINATED_LABEL = "终止办理"
SUSPEND_ROLES = ("township", "county")
TERMINATE_ROLES = ("county",)
URGE_ROLES = ("county", "county_supervisor")
# What the task page asks for, with the case's facts and who holds the task.
TASK_COLUMNS = (TASK.c.id, TASK.c.case_id, TASK.c.status, TASK.c.task_name, TASK.c.title, TASK.c.role,
                 TASK.c.unit_id, TASK.c.claimed_by_id, TASK.c.completed_at, TASK.c.completed_by_id,
                 TASK.c.delegated_to_id, TASK.c.delegated_by_id, TASK.c.form_key,
                 CASE.c.process_version_id, Case.state, CASE.c.revision, CASE.c.status.label("case_status"),
                 CASE.c.outcome.label("case_outcome"), CASE.c.suspended_at, CASE.c.county_id, CASE.c.township_id, CASE.c.village_id, CASE.c.number,
                 CASE.c.assistance_type)
CORRECTION_ROLES = ("township", "county")
# The refusal of a colleague who is not another holder of the task's role in its unit (hand over, delegate, co-sign).
ANOTHER_COLLEAGUE = Message("请选择本单位同一岗位的另一位工作人员", "Choose another member of staff in the same post of your unit")


def refused(message: str, message_zh: str, *, message_en: str) -> Conflict:
    """A Conflict (HTTP 409) that says what stands in the way, in Chinese and in English (``message`` is for logs)."""
    exc = Conflict(message)
    exc.message_zh, exc.message_en = message_zh, message_en
    return exc


def task_changed() -> Conflict:
    """Someone else acted on the task between the page and this request (a lost race): reload and retry."""
    return refused("task changed", "此事项刚被他人处理，请刷新后重试",
                   message_en="Someone else has just acted on this step: reload the page and try again")


def required_reason(reason: Any, field: str = "reason") -> str:
    """The reason given, stripped, or FormInvalid naming ``field`` when it is missing or too long."""
    text = (reason if isinstance(reason, str) else "").strip()
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise FormInvalid.of({field: Message(f"请填写理由（{REASON_MIN} 至 {REASON_MAX} 字）",
                                             f"Give a reason ({REASON_MIN} to {REASON_MAX} characters)")})
    return text


def user_name(session: Session, user_id: int | None) -> str:
    """A user's display name (系统 for none: the scheduler)."""
    if user_id is None:
        return "系统"
    return session.execute(select(User.display_name).where(User.id == user_id)).scalar() or "系统"


def _still_holds(user_id: int | None, role: str, unit_id: int):
    """SQL: the user is active and holds ``role`` in ``unit_id``."""
    return exists().where(RoleAssignment.user_id == user_id, RoleAssignment.role == role,
                          RoleAssignment.unit_id == unit_id, User.id == RoleAssignment.user_id, User.active.is_(True))


def open_task(session: Session, actor: Principal, task_id: str, lock: bool = True, holder: bool = False,
              clock: Clock | None = None, delegated: bool = False):
    """An open task of the actor's (role, unit) on a running, unsuspended case, locked (task and case rows);
    ``holder``: and not claimed by someone else (but the one they named 代理 today, given ``clock``);
    ``delegated``: even while it is delegated (委派)."""
    stmt = select(*TASK_COLUMNS).join(CASE, CASE.c.id == TASK.c.case_id).where(TASK.c.id == task_id,
                                                                                task_scope(actor))
    return check_workable(session, actor, task_id, session.execute(locked(session, stmt) if lock else stmt).first(),
                          holder=holder, clock=clock, delegated=delegated)


def check_workable(session: Session, actor: Principal, task_id: str, row, holder: bool = True,
                   clock: Clock | None = None, delegated: bool = False):
    """``row`` (a task found within the actor's scope, or None) if it can be worked on now: open, its case
    not suspended, not delegated to someone (unless ``delegated``), and (``holder``) not claimed by someone
    else — but by someone away whose standing proxy (代理) the actor is today (given ``clock``: the event
    ``task_acted_for`` records it); else the refusal (404, 409)."""
    if row is None:
        raise NotFound(f"task {task_id} not found for user {actor.username}")
    if row.status != "open":
        raise task_closed(session, row)
    if row.suspended_at is not None:
        raise refused("case suspended", "案件已挂起，恢复办理后才能办理",
                      message_en="The case is suspended: it can be worked on once it is resumed")
    if not delegated and row.delegated_to_id is not None:
        delegate = user_name(session, row.delegated_to_id)
        raise refused("task delegated: only the delegate acts on it until it is returned or recalled",
                      f"此事项已委派给 {delegate} 填写，交回或收回委派后才能办理",
                      message_en=f"This step is delegated to {delegate}: it can be worked on once the delegation is "
                                 "returned or recalled")
    if holder and (held := holder_refusal(session, actor, row)) is not None:
        if clock is None or not proxy_for(session, row, actor.user_id, clock.today()):
            raise held
        write_event(session, row.case_id, clock.now(), actor.user_id, "task_acted_for", row.task_name, row.title,
                    {"task_id": task_id, "on_behalf_of": user_name(session, row.claimed_by_id),
                     "proxy": user_name(session, actor.user_id)})
    return row


def proxy_for(session: Session, row, user_id: int, today: date) -> bool:
    """True when ``user_id`` is today the standing proxy (代理) of the holder of task ``row`` in its (role, unit)."""
    return bool(session.execute(select(exists().where(
        StandingProxy.user_id == row.claimed_by_id, StandingProxy.proxy_id == user_id,
        StandingProxy.role == row.role, StandingProxy.unit_id == row.unit_id, StandingProxy.starts_on <= today,
        StandingProxy.ends_on >= today, StandingProxy.cancelled_at.is_(None),
        _still_holds(user_id, row.role, row.unit_id)))).scalar())


def task_closed(session: Session, row) -> Conflict:
    """The Conflict of a task that is no longer open: completed by whom and when (the race lost, even when that
    completion finished the case), withdrawn with its case finished (CaseFinished), or taken back/sent back."""
    if row.status == "completed":
        return Conflict("task already completed", user_name(session, row.completed_by_id), row.completed_at)
    return finished_refusal(row.case_status, row.case_outcome, "work") or refused(
        "task withdrawn", "此步骤已撤回或退回，不再办理；请回到待办事项查看",
        message_en="This step was withdrawn or sent back and is no longer worked on: see your inbox")


def holder_refusal(session: Session, actor: Principal, row) -> Conflict | None:
    """A task held by someone else (认领) may be completed only by them: the Conflict saying who holds it."""
    if row.claimed_by_id is not None and row.claimed_by_id != actor.user_id:
        holder = user_name(session, row.claimed_by_id)
        return refused("task claimed by someone else", f"此事项已由 {holder} 认领，只有认领人可以办理",
                       message_en=f"This step is claimed by {holder}: only they can work on it")
    return None


def holder_gone(session: Session, row) -> bool:
    """True when a task's holder no longer holds its role in its unit (left, deactivated)."""
    return row.claimed_by_id is not None and not session.execute(
        select(_still_holds(row.claimed_by_id, row.role, row.unit_id))).scalar()


# --- 认领 / 释放 / 转办 -------------------------------------------------------------
def claim_task(session: Session, actor: Principal, clock: Clock, task_id: str) -> int:
    """Take an open task of one's (role, unit) out of the shared queue; returns the case id."""
    row = open_task(session, actor, task_id, lock=False)
    if row.claimed_by_id == actor.user_id:
        return row.case_id
    if row.claimed_by_id is not None or not write_holder(session, task_id, actor.user_id, None, clock.now()):
        raise holder_refusal(session, actor, open_task(session, actor, task_id, lock=False)) or task_changed()
    write_event(session, row.case_id, clock.now(), actor.user_id, "task_claimed", row.task_name, row.title,
                {"task_id": task_id, "before": {"claimed_by": None},
                 "after": {"claimed_by": user_name(session, actor.user_id)}})
    return row.case_id


def release_task(session: Session, actor: Principal, clock: Clock, task_id: str) -> int:
    """Put a claimed task back in the shared queue: by its holder, or by a colleague of the same role and
    unit when the holder no longer holds that role there (left, deactivated)."""
    row = open_task(session, actor, task_id)
    if row.claimed_by_id is None:
        raise refused("task not claimed", "此事项未被认领", message_en="This step is not claimed")
    if row.claimed_by_id != actor.user_id and not holder_gone(session, row):
        raise Forbidden("only the holder releases", f"此事项由 {user_name(session, row.claimed_by_id)} 认领，只有认领人可以释放",
                        message_en=f"This step is claimed by {user_name(session, row.claimed_by_id)}: only they can "
                                   "release it")
    before = user_name(session, row.claimed_by_id)
    if not write_holder(session, task_id, None, row.claimed_by_id, clock.now()):
        raise task_changed()
    write_event(session, row.case_id, clock.now(), actor.user_id, "task_released", row.task_name, row.title,
                {"task_id": task_id, "before": {"claimed_by": before}, "after": {"claimed_by": None}})
    return row.case_id


def colleagues(session: Session, actor: Principal, task_id: str) -> list:
    """(id, display name) of the active people who hold the task's role in its unit, but the actor: whom
    it may be reassigned to."""
    row = session.execute(_task_place_statement(actor), {"task_id": task_id}).first()
    if row is None:
        raise NotFound(f"task {task_id}")
    return colleagues_at(session, actor, row.role, row.unit_id)


def colleagues_at(session: Session, actor: Principal, role: str, unit_id: int) -> list:
    """``colleagues`` of a task whose (role, unit) the caller has read in the actor's place."""
    return session.execute(_colleagues_statement(), {"role": role, "unit_id": unit_id,
                                                      "user_id": actor.user_id}).all()


@lru_cache(maxsize=1024)
def _task_place_statement(actor: Principal):
    """A task's (role, unit) if in the actor's place; built once per actor, the task id bound at execution."""
    return select(TASK.c.role, TASK.c.unit_id).where(TASK.c.id == bindparam("task_id"), task_scope(actor))


@cache
def _colleagues_statement():
    return (select(User.id, User.display_name).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == bindparam("role"), RoleAssignment.unit_id == bindparam("unit_id"),
                   User.active.is_(True), User.id != bindparam("user_id")).order_by(User.display_name, User.id))


def reassign_task(session: Session, actor: Principal, clock: Clock, task_id: str, to_user_id: Any,
                  reason: Any) -> int:
    """转办: hand an open task to a colleague of the same role and unit, who then holds it; the actor must
    hold it, or it must be unclaimed (or its holder gone). The colleague is notified; returns the case id."""
    row = open_task(session, actor, task_id)
    if row.claimed_by_id not in (None, actor.user_id) and not holder_gone(session, row):
        raise holder_refusal(session, actor, row)
    reason = required_reason(reason)
    if not isinstance(to_user_id, int) or to_user_id == actor.user_id or not session.execute(
            select(_still_holds(to_user_id, row.role, row.unit_id))).scalar():
        raise FormInvalid.of({"to_user_id": ANOTHER_COLLEAGUE})
    now = clock.now()
    before, after = user_name(session, row.claimed_by_id) if row.claimed_by_id else None, user_name(session, to_user_id)
    if not write_holder(session, task_id, to_user_id, row.claimed_by_id, now):
        raise task_changed()
    write_event(session, row.case_id, now, actor.user_id, "task_reassigned", row.task_name, row.title,
                {"task_id": task_id, "reason": reason, "before": {"claimed_by": before},
                 "after": {"claimed_by": after}})
    write_notifications(session, [{
        "role": row.role, "unit_id": row.unit_id, "case_id": row.case_id, "user_id": to_user_id,
        "kind": "reassigned", "created_at": now,
        "params": {"who": user_name(session, actor.user_id), "number": row.number, "step": row.title, "reason": reason},
        "message": f"{user_name(session, actor.user_id)} 将案件 {row.number}「{row.title}」转交您办理：{reason}"[:500]}])
    return row.case_id


# --- 退回 / 撤回 -------------------------------------------------------------------
def send_back_targets(session: Session, actor: Principal, task_id: str) -> list[DoneTask]:
    """The completed steps an open task of the actor's may be sent back to, nearest first."""
    return steps_back(session, open_task(session, actor, task_id, lock=False), task_id)


def steps_back(session: Session, row, task_id: str, workflow: Workflow | None = None) -> list[DoneTask]:
    """The completed steps before the open task ``task_id`` of the case ``row`` (an open task's row, already
    checked workable), nearest first; ``workflow``: the case's state already restored from that row."""
    if workflow is None:
        workflow = Workflow.restore(get_version(session, row.process_version_id).spec, row.state)
    return workflow.steps_before(task_id)


def send_back(session: Session, actor: Principal, clock: Clock, task_id: str, target_task_id: Any,
              reason: Any) -> int:
    """退回: return the case from an open task to one of the steps it came through (any lane: a township
    sends back to the village's step), with a reason. The data entered so far is kept; the unit that gets
    the work is notified. Returns the case id."""
    row = open_task(session, actor, task_id, holder=True, clock=clock)
    reason = required_reason(reason)
    version = get_version(session, row.process_version_id)
    workflow = Workflow.restore(version.spec, row.state)
    targets = {t.id: t for t in workflow.steps_before(task_id)}
    if target_task_id not in targets:
        raise FormInvalid.of({"target_task_id": Message("请从列表中选择要退回到的步骤",
                                                        "Choose from the list the step to send it back to")})
    target = targets[target_task_id]
    reopened = _reset(session, row, version, workflow, target.id, clock, actor, f"退回至「{target.title}」：{reason}")
    place = Place(row.county_id, row.township_id, row.village_id)
    write_event(session, row.case_id, clock.now(), actor.user_id, "task_sent_back", row.task_name, row.title,
                {"from_task_id": task_id, "from_step": row.title, "to_task_id": target.id, "to_step": target.title,
                 "reason": reason})
    write_notifications(session, [{
        "role": t.lane or "township", "unit_id": place.unit_for_role(t.lane), "case_id": row.case_id,
        "kind": "sent_back", "created_at": clock.now(),
        "params": {"number": row.number, "step": row.title, "to_step": t.title, "reason": reason},
        "message": f"案件 {row.number} 由「{row.title}」退回至「{t.title}」：{reason}"[:500]} for t in reopened])
    return row.case_id


def request_correction(session: Session, actor: Principal, clock: Clock, task_id: str, missing: Any,
                       reason: Any = "") -> int:
    """退回给申请人补正: from an open township or county task, tell the applicant once (一次性告知) everything
    still missing: the case's 一次性补正告知书 is issued and the case waits, suspended, until the materials
    come (恢复, "材料已补正"): as the rules say, the time of 补正 does not count towards the limits. The
    village is told, to help the applicant. Returns the case id (the notice's number is in the event)."""
    row = open_task(session, actor, task_id, holder=True, clock=clock)
    if row.role not in CORRECTION_ROLES:
        raise Forbidden("only a township or county step may be sent back to the applicant", "只有乡镇（街道）或县级的办理步骤可以退回申请人补正",
                        message_en="Only a township (street) or county step can be sent back to the applicant for "
                                   "missing documents")
    text = required_reason(missing, "missing_materials")
    note = (reason if isinstance(reason, str) else "").strip()[:REASON_MAX]
    now = clock.now()
    case = session.execute(select(CASE.c.applicant_name, CASE.c.applicant_id_number).where(
        CASE.c.id == row.case_id)).one()
    names = unit_names(session, (row.county_id, row.township_id, row.village_id))
    kind = f"{row.assistance_type}_supplement_notice"
    place = Place(row.county_id, row.township_id, row.village_id)
    number = issue_document(session, {"id": row.case_id, "number": row.number, "applicant_name": case.applicant_name,
                                      "applicant_id_number": case.applicant_id_number,
                                      "township": names.get(row.township_id, ""),
                                      "village": names.get(row.village_id, ""),
                                      "missing_materials": [m.name_zh for m in missing_materials(session, row.case_id)]},
                            place, names.get(row.county_id, ""), kind if kind in KINDS else "supplement_notice",
                            {"missing_materials": text}, now)
    write_suspension(session, row.case_id, row.revision, now, f"待申请人补正：{text}"[:REASON_MAX], None, now)
    write_event(session, row.case_id, now, actor.user_id, "correction_requested", row.task_name, row.title,
                {"task_id": task_id, "missing_materials": text, "reason": note, "notice": number,
                 "before": {"suspended": False}, "after": {"suspended": True}})
    if row.village_id is not None:
        write_notifications(session, [{
            "role": "village", "unit_id": row.village_id, "case_id": row.case_id, "kind": "correction_requested",
            "params": {"number": row.number, "notice": number, "reason": text},
            "created_at": now, "message": f"案件 {row.number} 已一次性告知申请人补正（{number}）：{text}"[:500]}])
    return row.case_id


def _reset(session, row, version, workflow: Workflow, target_id: str, clock: Clock, actor: Principal,
           why: str) -> list:
    """Reset the workflow to ``target_id`` and write the inbox rows and the state; the documents of the
    completions undone are void (``why``); returns the READY tasks."""
    now, today = clock.now(), clock.today()
    open_before = {t.id for t in workflow.ready_user_tasks()}
    undone = workflow.completed_from(target_id)
    try:
        workflow.reset_to(target_id, now)
    except WorkflowError as exc:  # a task the route cannot reopen (inside a multi-instance or subprocess)
        raise refused(f"cannot reopen {target_id}: {exc}", "该步骤无法重新打开，请选择其他步骤",
                      message_en="That step cannot be reopened: choose another step") from exc
    reopen_tasks(session, row.case_id, Place(row.county_id, row.township_id, row.village_id), workflow, now, today,
                 open_before)
    # a reopened step is signed afresh (加签): the sign-offs of its last round stay in the audit trail
    session.execute(delete(TaskCosigner).where(TaskCosigner.task_id.in_([t.id for t in workflow.ready_user_tasks()])))
    write_state(session, row.case_id, row.revision, workflow, now, actor.user_id, version.declarations)
    void_undone(session, row.case_id, undone, now, actor.user_id, why, row.task_name)
    return workflow.ready_user_tasks()


# Events that show the case moved on after a completion (撤回 is then too late).
_MOVES = ("task_completed", "task_claimed", "task_reassigned", "timer_fired", "task_sent_back", "task_withdrawn",
          "case_suspended")


def withdrawable(session: Session, actor: Principal, case_id: int):
    """The actor's completed task of a running case that may be taken back (撤回), or None: the case's latest
    completion is the actor's, nothing moved since (no claim, completion, timer, send-back: the event ids
    tell, whatever the clock), and no task it opened has been claimed."""
    last = session.execute(select(EVENT.c.id, EVENT.c.actor_id, EVENT.c.task_name).where(
        EVENT.c.case_id == case_id, EVENT.c.kind == "task_completed").order_by(EVENT.c.id.desc()).limit(1)).first()
    if last is None or last.actor_id != actor.user_id:
        return None
    moved = session.execute(select(EVENT.c.id).where(EVENT.c.case_id == case_id, EVENT.c.id > last.id,
                                                     EVENT.c.kind.in_(_MOVES)).limit(1)).first()
    done = session.execute(
        select(*TASK_COLUMNS).join(CASE, CASE.c.id == TASK.c.case_id)
        .where(TASK.c.case_id == case_id, TASK.c.task_name == last.task_name, TASK.c.status == "completed",
               TASK.c.completed_by_id == actor.user_id, task_scope(actor), case_scope(actor))
        .order_by(TASK.c.completed_at.desc()).limit(1)).first()
    if moved is not None or done is None or is_finished(done.case_status) or done.suspended_at is not None:
        return None
    claimed = session.execute(select(TASK.c.id).where(TASK.c.case_id == case_id, TASK.c.status == "open",
                                                      TASK.c.claimed_by_id.is_not(None)).limit(1)).first()
    return None if claimed is not None else done


def withdraw(session: Session, actor: Principal, clock: Clock, task_id: str) -> int:
    """撤回: take back one's own completion while the next step has not been started by anyone (nothing
    claimed or completed since). Decided under the case's lock and its revision: against the next person
    claiming or completing it, one wins and the other gets a Conflict. Returns the case id."""
    found = select(*TASK_COLUMNS).join(CASE, CASE.c.id == TASK.c.case_id).where(
        TASK.c.id == task_id, task_scope(actor), case_scope(actor))
    row = session.execute(found).first()
    if row is None:
        raise NotFound(f"task {task_id}")
    if row.status != "completed" or row.completed_by_id != actor.user_id:
        raise Forbidden("only one's own completion", "只能撤回自己办理完成的步骤",
                        message_en="You can only withdraw a step you completed yourself")
    refuse_if_finished(row.case_status, row.case_outcome, "withdraw")
    # Locks in the order a completion takes them (its task, then the case): the next steps' rows first, so
    # the next person completing or claiming waits for this, or this for them, and neither deadlocks.
    next_rows = session.execute(locked(session, select(TASK.c.id).where(
        TASK.c.case_id == row.case_id, TASK.c.status == "open").order_by(TASK.c.id))).all()
    row = session.execute(locked(session, found)).one()
    current = withdrawable(session, actor, row.case_id)
    if current is None or current.id != task_id:
        raise refused("next step started", "下一步骤已开始办理（已认领或已办理），不能撤回",
                      message_en="The next step has started (claimed or worked on): it cannot be withdrawn")
    version = get_version(session, row.process_version_id)
    workflow = Workflow.restore(version.spec, row.state)
    if not workflow.follows(task_id):
        raise refused("the case moved on", "案件已进入后续环节，不能撤回", message_en="The case has moved on: it cannot be withdrawn")
    _reset(session, row, version, workflow, task_id, clock, actor, f"撤回「{row.title}」")
    write_event(session, row.case_id, clock.now(), actor.user_id, "task_withdrawn", row.task_name, row.title,
                {"task_id": task_id, "withdrawn_tasks": [r.id for r in next_rows]})
    return row.case_id


# --- 挂起 / 恢复 / 终止 / 催办 -------------------------------------------------------
def _running_case(session: Session, actor: Principal, case_id: int, roles: tuple[str, ...], action: str):
    """A running case in a place where the actor holds one of ``roles``, locked; ``action`` (a key of
    case_status.ACTIONS_ZH) names what is refused otherwise."""
    if not any(actor.has_role(r) for r in roles):
        raise Forbidden(f"{roles} only", f"您的岗位不能{ACTIONS_ZH[action]}",
                        message_en=f"Your post cannot {ACTIONS_EN[action]}")
    case = session.execute(locked(session, select(CASE).where(CASE.c.id == case_id, case_scope(actor, roles)))).first()
    if case is None:
        raise NotFound(f"case {case_id}")
    refuse_if_finished(case.status, case.outcome, action)
    return case


def suspend_case(session: Session, actor: Principal, clock: Clock, case_id: int, reason: Any) -> None:
    """挂起: stop a running case with a reason (township of its township, county of its county); nothing can be
    done on it, its timers do not fire and its time limits stand still until it is resumed."""
    case = _running_case(session, actor, case_id, SUSPEND_ROLES, "suspend")
    if case.suspended_at is not None:
        raise refused("already suspended", "案件已处于挂起状态", message_en="The case is suspended already")
    reason = required_reason(reason)
    now = clock.now()
    write_suspension(session, case_id, case.revision, now, reason, None, now)
    write_event(session, case_id, now, actor.user_id, "case_suspended", None, "挂起",
                {"reason": reason, "before": {"suspended": False}, "after": {"suspended": True}})


def resume_case(session: Session, actor: Principal, clock: Clock, case_id: int, reason: Any) -> int:
    """恢复: resume a suspended case; the due dates of its open tasks and its overall limit move on by the
    working days it was suspended (returned)."""
    case = _running_case(session, actor, case_id, SUSPEND_ROLES, "resume")
    if case.suspended_at is None:
        raise refused("not suspended", "案件未被挂起", message_en="The case is not suspended")
    reason = required_reason(reason)
    now, today = clock.now(), clock.today()
    calendar = WorkingCalendar.load()
    try:
        paused = max(0, calendar.workdays_between(to_local_date(case.suspended_at), today))
        shift_due_dates(session, case_id, paused, calendar)
    except CalendarYearMissing:  # beyond any estimate: the dates stay, recomputed when the notice is loaded
        paused = 0
    version = get_version(session, case.process_version_id)
    next_due = Workflow.restore(version.spec, case_state(case)).next_timer_due()
    write_suspension(session, case_id, case.revision, None, None, next_due, now)
    write_event(session, case_id, now, actor.user_id, "case_resumed", None, "恢复办理",
                {"reason": reason, "suspended_since": case.suspended_at.isoformat(), "paused_workdays": paused,
                 "suspension_reason": case.suspended_reason})
    return paused


def terminate_case(session: Session, actor: Principal, clock: Clock, case_id: int, reason: Any) -> str:
    """终止: end a running case by the county's decision with a reason and the written notice (终止办理通知书);
    returns the notice's number."""
    case = _running_case(session, actor, case_id, TERMINATE_ROLES, "terminate")
    reason = required_reason(reason)
    now = clock.now()
    cancel_running_case(session, case, now)
    place = Place(case.county_id, case.township_id, case.village_id)
    names = unit_names(session, (case.county_id, case.township_id, case.village_id))
    county_code = session.execute(select(Unit.code).where(Unit.id == case.county_id)).scalar_one()
    number = issue_document(session, {"id": case_id, "number": case.number, "applicant_name": case.applicant_name,
                                      "applicant_id_number": case.applicant_id_number,
                                      "township": names.get(case.township_id, ""),
                                      "village": names.get(case.village_id, "")},
                            place, names.get(case.county_id, ""), TERMINATION_NOTICE, {"termination_reason": reason},
                            now, appeal_of(county_code, session, clock.today()))
    write_event(session, case_id, now, actor.user_id, "case_terminated", None, TERMINATED_LABEL,
                {"reason": reason, "notice": number, "before": {"status": "running", "step": case.current_step},
                 "after": {"status": "completed", "outcome": "terminated"}})
    return number


def cancel_running_case(session: Session, case, now) -> None:
    """End a running case (a ``select(CASE)`` row read under its lock) without finishing its route: its workflow
    cancelled, then ``write_termination`` (open tasks withdrawn, timers, 挂起 and its subject's open key cleared)
    under the revision read, so a case someone changed since raises Conflict. Shared by 终止 (``terminate_case``)
    and the cases a person's death ends (engine.cases.deaths); the caller writes the event that says why."""
    version = get_version(session, case.process_version_id)
    workflow = Workflow.restore(version.spec, case_state(case))
    data = workflow.data  # the case's facts (its county values, why it started), which cancelling leaves behind
    workflow.cancel()
    write_termination(session, case.id, case.revision, workflow.dump(), TERMINATED_LABEL, now, data)


def urge_task(session: Session, actor: Principal, clock: Clock, task_id: str, message: Any,
              case_id: int | None = None) -> int:
    """催办: the county (or a county supervisor, read-only otherwise) presses the unit of an open task (of case
    ``case_id`` when given: NotFound for another's): a notification to it and an entry on the case. Returns the
    case id."""
    if not any(actor.has_role(r) for r in URGE_ROLES):
        raise Forbidden("county or supervisor only", "只有县（区）民政局或监督人员可以催办",
                        message_en="Only the county (district) civil affairs bureau or supervisors urge steps")
    of_case = () if case_id is None else (TASK.c.case_id == case_id,)
    row = session.execute(select(*TASK_COLUMNS).join(CASE, CASE.c.id == TASK.c.case_id).where(
        TASK.c.id == task_id, case_scope(actor, URGE_ROLES), *of_case)).first()
    if row is None:
        raise NotFound(f"task {task_id}")
    refuse_if_finished(row.case_status, row.case_outcome, "urge")
    if row.status != "open":
        raise task_closed(session, row)
    text = required_reason(message, "message")
    now = clock.now()
    write_event(session, row.case_id, now, actor.user_id, "task_urged", row.task_name, row.title,
                {"task_id": task_id, "message": text})
    write_notifications(session, [{"role": row.role, "unit_id": row.unit_id, "case_id": row.case_id, "kind": "urged",
                                   "created_at": now, "user_id": row.claimed_by_id,
                                   "params": {"number": row.number, "step": row.title, "reason": text},
                                   "message": f"催办：案件 {row.number}「{row.title}」— {text}"[:500]}])
    return row.case_id
