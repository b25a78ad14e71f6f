"""The REST API's entries for the clerk's operations (认领, 释放, 转办, 委派/交回/收回, 加签/减签/会签, 退回,
退回申请人补正, 撤回, 催办, 挂起, 恢复, 终止, 代理, 批量转办, 批量) and the notification centre:
marshmallow bodies and results, the routes (registered on the API blueprint by ``register``) and their
OpenAPI entries (``operation_paths``)."""
from __future__ import annotations

from apispec import APISpec
from flask import Blueprint, request
from marshmallow import Schema, ValidationError, fields

from engine import (BATCH_OPERATIONS, MAX_BATCH, BatchQuery, add_cosigner, cancel_proxy, claim_task, covered_tasks,
                    delegate_task, hand_over, held_by, notification_centre, proxies, reassign_task, recall_delegation,
                    release_task, remove_cosigner, request_correction, resume_case, return_delegation, run_batch,
                    select_tasks, send_back, set_proxy, sign_off, suspend_case, task_operations, terminate_case,
                    urge_task, withdraw)
from engine.errors import FormInvalid, Message

from .auth import current_principal
from .db import clock, db
from .limits import InputRefused, int_arg
from .pages import bound_view
from .notification_texts import notification_text


class NoBodySchema(Schema):
    """Body of an operation that takes nothing (认领, 释放, 撤回): empty, anything else refused."""


class ReasonSchema(Schema):
    """Body of an operation that needs a reason (挂起, 恢复, 终止)."""

    reason = fields.String(required=True)


class ReassignSchema(Schema):
    """Body of 转办: the colleague (same role and unit) and why."""

    to_user_id = fields.Integer(required=True)
    reason = fields.String(required=True)


class SendBackSchema(Schema):
    """Body of 退回: the completed task to return to (from ``operations``) and why."""

    target_task_id = fields.String(required=True)
    reason = fields.String(required=True)


class UrgeSchema(Schema):
    """Body of 催办: the message to the step's unit."""

    message = fields.String(required=True)


class CosignerBodySchema(Schema):
    """Body of 加签: the colleague (same role and unit) who must sign, and why."""

    user_id = fields.Integer(required=True)
    reason = fields.String(required=True)


class RemoveCosignerSchema(Schema):
    """Body of 减签: the co-signer (not signed yet) to take off."""

    user_id = fields.Integer(required=True)


class SignOffSchema(Schema):
    """Body of 签署意见 (a co-signer's sign-off)."""

    opinion = fields.String(required=True)


class ReturnDelegationSchema(Schema):
    """Body of 交回: the step's data as the delegate filled it in (the step's form, as for a completion)."""

    data = fields.Dict(required=True)


class CorrectionSchema(Schema):
    """Body of 退回申请人补正: everything still missing (the 一次性告知), and an optional note."""

    missing_materials = fields.String(required=True)
    reason = fields.String(load_default="")


class CosignerStateSchema(Schema):
    """A co-signer of a step and their sign-off."""

    user_id = fields.Integer()
    display_name = fields.String()
    signed_at = fields.DateTime(allow_none=True)
    opinion = fields.String(allow_none=True)


class ColleagueSchema(Schema):
    """Someone a task may be reassigned to."""

    id = fields.Integer()
    display_name = fields.String()


class StepSchema(Schema):
    """A completed step a task may be sent back to."""

    id = fields.String()
    name = fields.String()
    title = fields.String()
    lane = fields.String(allow_none=True)


class OperationsSchema(Schema):
    """What the caller may do on a task now."""

    claim = fields.Boolean()
    release = fields.Boolean()
    reassign = fields.Boolean()
    send_back = fields.Boolean()
    urge = fields.Boolean()
    holder = fields.String(allow_none=True)
    colleagues = fields.List(fields.Nested(ColleagueSchema))
    targets = fields.List(fields.Nested(StepSchema))
    delegate = fields.Boolean()
    recall = fields.Boolean()
    return_delegation = fields.Boolean()
    delegated_to = fields.String(allow_none=True)
    delegated_by = fields.String(allow_none=True)
    cosign = fields.Boolean()
    sign = fields.Boolean()
    cosigners = fields.List(fields.Nested(CosignerStateSchema))
    cosign_required = fields.Integer()
    correction = fields.Boolean()
    acting_for = fields.String(allow_none=True)


class OperationDoneSchema(Schema):
    """Result of an operation: the case it changed, and for 恢复 the working days the limits moved, for 终止
    the notice's number."""

    case_id = fields.Integer(required=True)
    paused_workdays = fields.Integer()
    notice = fields.String()


class HandOverSchema(Schema):
    """Body of 批量转办: the dry run's selection (``task_ids`` from GET /handover), to whom and why."""

    from_user = fields.Integer(required=True)
    to_user_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    task_ids = fields.List(fields.String(), required=True)


class BatchItemSchema(Schema):
    """One task of a batch: listed by the dry run; after the run, ``ok`` and the refusal's ``message`` (Chinese)
    and ``message_en``."""

    task_id = fields.String()
    case_id = fields.Integer()
    number = fields.String()
    title = fields.String()
    ok = fields.Boolean(allow_none=True)
    message = fields.String(allow_none=True)
    message_en = fields.String(allow_none=True)


class BatchSchema(Schema):
    """A dry run's selection or a run's results."""

    items = fields.List(fields.Nested(BatchItemSchema))


class ProxyBodySchema(Schema):
    """Body of naming a proxy (代理): the colleague (same role and unit), the first and last day, why."""

    proxy_id = fields.Integer(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = fields.String(required=True)


class ProxySchema(Schema):
    """A standing proxy: who stands in for whom, in which role, from and to."""

    id = fields.Integer()
    role = fields.String()
    unit_id = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    reason = fields.String()
    proxy_name = fields.String()
    absent_name = fields.String()


class CoveredTaskSchema(Schema):
    """A task the caller may work on today as someone's proxy."""

    id = fields.String()
    title = fields.String()
    number = fields.String()
    holder = fields.String()
    due_on = fields.Date(allow_none=True)


class ProxiesSchema(Schema):
    """The caller's proxies both ways, whom they may name, and the tasks they cover today."""

    mine = fields.List(fields.Nested(ProxySchema))
    for_others = fields.List(fields.Nested(ProxySchema))
    candidates = fields.List(fields.Nested(ColleagueSchema))
    covered = fields.List(fields.Nested(CoveredTaskSchema))


class BatchQuerySchema(Schema):
    """A selection of open tasks (all conditions together; at least one)."""

    held_by = fields.Integer(allow_none=True)
    unclaimed = fields.Boolean(load_default=False)
    step = fields.String(allow_none=True)
    due_before = fields.Date(allow_none=True)
    village_id = fields.Integer(allow_none=True)


class BatchRunSchema(Schema):
    """Body of 批量: the operation, the query, the dry run's ``task_ids``, and what the operation takes."""

    operation = fields.String(required=True)
    query = fields.Nested(BatchQuerySchema, required=True)
    task_ids = fields.List(fields.String(), required=True)
    to_user_id = fields.Integer(allow_none=True)
    reason = fields.String(load_default="")
    message = fields.String(load_default="")


class NotificationSchema(Schema):
    """A notification: a reminder, a task reassigned to the caller, sent back to their unit, urged."""

    id = fields.Integer()
    kind = fields.String()
    message = fields.String()  # as stored (Chinese)
    text = fields.String()  # in the caller's language (the kind's text with the stored params)
    params = fields.Dict(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    unread = fields.Boolean()


class NotificationsSchema(Schema):
    """The caller's notifications, newest first, and how many are unread."""

    unread = fields.Integer()
    items = fields.List(fields.Nested(NotificationSchema))


SCHEMAS = (NotificationSchema, NotificationsSchema, NoBodySchema, ReasonSchema, ReassignSchema, SendBackSchema, UrgeSchema, ColleagueSchema, StepSchema,
           CosignerStateSchema, OperationsSchema, OperationDoneSchema, HandOverSchema, BatchItemSchema, BatchSchema,
           CosignerBodySchema, RemoveCosignerSchema, SignOffSchema, ReturnDelegationSchema, CorrectionSchema,
           ProxyBodySchema, ProxySchema, CoveredTaskSchema, ProxiesSchema, BatchQuerySchema, BatchRunSchema)


def json_body(schema: Schema) -> dict:
    """The JSON body loaded by ``schema``; anything it does not describe is refused (422)."""
    body = request.get_json(silent=True)
    if body is None and request.get_data(cache=True):
        raise InputRefused("body is not JSON", "请求内容不是有效的 JSON")
    try:
        return schema.load(body or {})
    except ValidationError as exc:
        raise FormInvalid.of({k: Message("请求格式有误",
                                         "The request is not in the right form") for k in exc.messages}) from exc


# task operation → (use case, body schema, the body's fields in the use case's order)
_TASK_OPERATIONS = {"claim": (claim_task, NoBodySchema, ()), "release": (release_task, NoBodySchema, ()),
                    "reassign": (reassign_task, ReassignSchema, ("to_user_id", "reason")),
                    "send-back": (send_back, SendBackSchema, ("target_task_id", "reason")),
                    "withdraw": (withdraw, NoBodySchema, ()), "urge": (urge_task, UrgeSchema, ("message",)),
                    "delegate": (delegate_task, ReassignSchema, ("to_user_id", "reason")),
                    "return-delegation": (return_delegation, ReturnDelegationSchema, ("data",)),
                    "recall-delegation": (recall_delegation, NoBodySchema, ()),
                    "add-cosigner": (add_cosigner, CosignerBodySchema, ("user_id", "reason")),
                    "remove-cosigner": (remove_cosigner, RemoveCosignerSchema, ("user_id",)),
                    "sign-off": (sign_off, SignOffSchema, ("opinion",)),
                    "request-correction": (request_correction, CorrectionSchema, ("missing_materials", "reason"))}
_CASE_OPERATIONS = {"suspend": suspend_case, "resume": resume_case, "terminate": terminate_case}


def task_operation(task_id: str, operation: str):
    """认领, 释放, 转办, 退回, 撤回 (``task_id`` is the completed task) or 催办 a task."""
    use_case, schema, names = _TASK_OPERATIONS[operation]
    body = json_body(schema())
    with db().unit_of_work(write=True) as uow:
        case_id = use_case(uow.session, current_principal(), clock(), task_id, *(body[n] for n in names))
        uow.commit()
    return OperationDoneSchema().dump({"case_id": case_id})


def operations(task_id: str):
    """The operations the caller may do on a task now, with the colleagues and steps they may choose."""
    with db().unit_of_work() as uow:
        ops = task_operations(uow.session, current_principal(), task_id, clock().today())
    return OperationsSchema().dump(ops)


def case_operation(case_id: int, operation: str):
    """挂起, 恢复 or 终止 a case with a reason."""
    body = json_body(ReasonSchema())
    with db().unit_of_work(write=True) as uow:
        result = _CASE_OPERATIONS[operation](uow.session, current_principal(), clock(), case_id, body["reason"])
        uow.commit()
    extra = {"resume": {"paused_workdays": result}, "terminate": {"notice": result}}.get(operation, {})
    return OperationDoneSchema().dump({"case_id": case_id, **extra})


def handover_dry_run():
    """批量转办, the dry run: the open tasks ``from_user`` holds in the caller's units."""
    from_user = int_arg(request.args, "from_user", 0, 0)
    with db().unit_of_work() as uow:
        items = held_by(uow.session, current_principal(), from_user)
    return BatchSchema().dump({"items": items})


def handover_run():
    """批量转办, the run: the dry run's ``task_ids`` handed to ``to_user_id``, a result per task."""
    body = json_body(HandOverSchema())
    with db().unit_of_work(write=True) as uow:
        items = hand_over(uow.session, current_principal(), clock(), body["from_user"], body["to_user_id"],
                          body["reason"], body["task_ids"][:MAX_BATCH])
        uow.commit()
    return BatchSchema().dump({"items": items})


def operation_paths(spec: APISpec, err: dict) -> None:
    """The operations' entries of the OpenAPI document."""
    csrf = {"in": "header", "name": "X-CSRFToken", "required": True, "schema": {"type": "string"}}
    refusals = {"403": {"description": "your role may not do this", **err},
                "404": {"description": "not found or outside your area", **err},
                "409": {"description": "someone changed it first, or its state does not allow it", **err},
                "422": {"description": "reason or choice missing or invalid", **err}}
    done = {"200": {"description": "done", "content": {"application/json": {"schema": "OperationDone"}}}}
    bodies = {"reassign": "Reassign", "send-back": "SendBack", "urge": "Urge", "claim": "NoBody", "release": "NoBody",
              "withdraw": "NoBody", "delegate": "Reassign", "return-delegation": "ReturnDelegation",
              "recall-delegation": "NoBody", "add-cosigner": "CosignerBody", "remove-cosigner": "RemoveCosigner",
              "sign-off": "SignOff", "request-correction": "Correction"}
    summaries = {"claim": "Claim a task (认领)", "release": "Release a claimed task (释放)",
                 "reassign": "Reassign to a colleague (转办)", "send-back": "Send back to a completed step (退回)",
                 "withdraw": "Withdraw one's own completion of this task (撤回)", "urge": "Urge the task's unit (催办)",
                 "delegate": "Delegate to a colleague who fills it in and returns it (委派)",
                 "return-delegation": "Return a delegated task with its data filled in (交回)",
                 "recall-delegation": "Recall one's delegation (收回委派)",
                 "add-cosigner": "Add a co-signer who must sign before completion (加签)",
                 "remove-cosigner": "Remove a co-signer who has not signed (减签)",
                 "sign-off": "Sign off as co-signer with an opinion (会签)",
                 "request-correction": "Send back to the applicant for correction with the one-time notice, "
                                       "suspending the case (退回申请人补正, 一次性告知)"}
    for op, summary in summaries.items():
        operation = {"summary": summary, "parameters": [
            {"in": "path", "name": "task_id", "required": True, "schema": {"type": "string"}}, csrf],
            "responses": {**done, **refusals}}
        operation["requestBody"] = {"content": {"application/json": {"schema": bodies[op]}}}
        spec.path(path=f"/api/v1/tasks/{{task_id}}/{op}", operations={"post": operation})
    spec.path(path="/api/v1/tasks/{task_id}/operations", operations={"get": {
        "summary": "What I may do on a task now", "parameters": [
            {"in": "path", "name": "task_id", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "operations",
                              "content": {"application/json": {"schema": "Operations"}}}}}})
    for op, summary in (("suspend", "Suspend a case (挂起)"), ("resume", "Resume a case (恢复)"),
                        ("terminate", "Terminate a case with its notice (终止)")):
        spec.path(path=f"/api/v1/cases/{{case_id}}/{op}", operations={"post": {
            "summary": summary, "parameters": [
                {"in": "path", "name": "case_id", "required": True, "schema": {"type": "integer"}}, csrf],
            "requestBody": {"content": {"application/json": {"schema": "Reason"}}},
            "responses": {**done, **refusals}}})
    batch = {"200": {"description": "the selection, or a result per task",
                     "content": {"application/json": {"schema": "Batch"}}}}
    spec.path(path="/api/v1/handover", operations={
        "get": {"summary": "Tasks a colleague holds (批量转办 dry run)", "parameters": [
            {"in": "query", "name": "from_user", "required": True, "schema": {"type": "integer"}}],
            "responses": batch},
        "post": {"summary": "Hand the dry run's tasks to a colleague (批量转办)", "parameters": [csrf],
                 "requestBody": {"content": {"application/json": {"schema": "HandOver"}}},
                 "responses": {**batch, "422": refusals["422"]}}})
    spec.path(path="/api/v1/proxies", operations={
        "get": {"summary": "My standing proxies both ways and the tasks I cover today (代理)",
                "responses": {"200": {"description": "proxies",
                                      "content": {"application/json": {"schema": "Proxies"}}}}},
        "post": {"summary": "Name a proxy for my leave (代理)", "parameters": [csrf],
                 "requestBody": {"content": {"application/json": {"schema": "ProxyBody"}}},
                 "responses": {"200": {"description": "proxies", "content": {"application/json": {
                     "schema": "Proxies"}}}, "409": refusals["409"], "422": refusals["422"]}}})
    spec.path(path="/api/v1/proxies/{proxy_id}/cancel", operations={"post": {
        "summary": "Cancel my proxy", "parameters": [
            {"in": "path", "name": "proxy_id", "required": True, "schema": {"type": "integer"}}, csrf],
        "responses": {"200": {"description": "proxies", "content": {"application/json": {"schema": "Proxies"}}},
                      "404": refusals["404"], "409": refusals["409"]}}})
    query = [{"in": "query", "name": name, "schema": schema} for name, schema in (
        ("operation", {"type": "string", "enum": list(BATCH_OPERATIONS)}), ("held_by", {"type": "integer"}),
        ("unclaimed", {"type": "string", "enum": ["1"]}), ("step", {"type": "string"}),
        ("due_before", {"type": "string", "format": "date"}), ("village_id", {"type": "integer"}))]
    spec.path(path="/api/v1/batch", operations={
        "get": {"summary": "The tasks a query selects for an operation (批量 dry run)", "parameters": query,
                "responses": {**batch, "422": refusals["422"]}},
        "post": {"summary": "Run an operation on the dry run's tasks (批量: 转办, 释放, 催办, 挂起)",
                 "parameters": [csrf], "requestBody": {"content": {"application/json": {"schema": "BatchRun"}}},
                 "responses": {**batch, "422": refusals["422"]}}})
    spec.path(path="/api/v1/notifications", operations={"get": {
        "summary": "My notifications", "parameters": [
            {"in": "query", "name": "seen", "schema": {"type": "string", "enum": ["1"]},
             "description": "1: record this visit (what is listed is read from now on)"}],
        "responses": {"200": {"description": "notifications",
                              "content": {"application/json": {"schema": "Notifications"}}}}}})


def proxies_view():
    """GET: the caller's proxies; POST: name one (代理)."""
    principal = current_principal()
    if request.method == "POST":
        body = json_body(ProxyBodySchema())
        with db().unit_of_work(write=True) as uow:
            set_proxy(uow.session, principal, clock(), body["proxy_id"], body["starts_on"], body["ends_on"],
                      body["reason"])
            uow.commit()
    return _proxies(principal)


def proxy_cancel(proxy_id: int):
    """Cancel the caller's proxy."""
    json_body(NoBodySchema())
    with db().unit_of_work(write=True) as uow:
        cancel_proxy(uow.session, current_principal(), clock(), proxy_id)
        uow.commit()
    return _proxies(current_principal())


def _proxies(principal):
    with db().unit_of_work() as uow:
        today = clock().today()
        found = proxies(uow.session, principal, today)
        return ProxiesSchema().dump({**found, "covered": covered_tasks(uow.session, principal, today)})


def batch_dry_run():
    """批量, the dry run: the tasks the query selects for the operation."""
    with db().unit_of_work() as uow:
        items = select_tasks(uow.session, current_principal(), request.args.get("operation", ""),
                             BatchQuery.parse(request.args))
    return BatchSchema().dump({"items": items})


def batch_run():
    """批量, the run: the operation on the dry run's ``task_ids`` still selected by the query, a result each."""
    body = json_body(BatchRunSchema())
    query = BatchQuery(**{k: v for k, v in body["query"].items() if v is not None})
    with db().unit_of_work(write=True) as uow:
        items = run_batch(uow.session, current_principal(), clock(), body["operation"], query,
                          body["task_ids"][:MAX_BATCH], {k: body.get(k) for k in ("to_user_id", "reason", "message")})
        uow.commit()
    return BatchSchema().dump({"items": items})


def notifications():
    """The caller's notifications (unread since their last visit marked); ``seen=1`` records this visit."""
    seen = request.args.get("seen") == "1"
    with db().unit_of_work(write=seen) as uow:
        items = notification_centre(uow.session, current_principal(), clock().now() if seen else None)
        if seen:
            uow.commit()
    items = [{**i, "text": notification_text(i)} for i in items]
    return NotificationsSchema().dump({"unread": sum(1 for i in items if i["unread"]), "items": items})


def register(bp: Blueprint) -> None:
    """Add the operations' routes to the API blueprint: one rule per operation (api.task_claim …,
    api.case_suspend …)."""
    for operation in _TASK_OPERATIONS:
        bp.add_url_rule(f"/tasks/<task_id>/{operation}", f"task_{operation.replace('-', '_')}",
                        bound_view(task_operation, operation=operation), methods=["POST"])
    for operation in _CASE_OPERATIONS:
        bp.add_url_rule(f"/cases/<int:case_id>/{operation}", f"case_{operation}",
                        bound_view(case_operation, operation=operation), methods=["POST"])
    bp.add_url_rule("/tasks/<task_id>/operations", "operations", operations, methods=["GET"])
    bp.add_url_rule("/handover", "handover_dry_run", handover_dry_run, methods=["GET"])
    bp.add_url_rule("/handover", "handover_run", handover_run, methods=["POST"])
    bp.add_url_rule("/notifications", "notifications", notifications, methods=["GET"])
    bp.add_url_rule("/proxies", "proxies", proxies_view, methods=["GET", "POST"])
    bp.add_url_rule("/proxies/<int:proxy_id>/cancel", "proxy_cancel", proxy_cancel, methods=["POST"])
    bp.add_url_rule("/batch", "batch_dry_run", batch_dry_run, methods=["GET"])
    bp.add_url_rule("/batch", "batch_run", batch_run, methods=["POST"])
