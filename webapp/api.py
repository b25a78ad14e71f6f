"""The REST API (JSON), described with marshmallow and served as an OpenAPI document."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from engine import inbox_tasks
from flask import Blueprint, jsonify, request
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, ValidationError, fields
from engine import (claim_task, complete_task, reassign_task, release_task, resume_case, send_back, suspend_case,
                    task_operations, terminate_case, urge_task, withdraw)
from engine.errors import FormInvalid
from engine import mask_id_number

from .auth import current_principal
from .db import clock, db
from .limits import InputRefused, page_arg
from .pages import bound_view
from .search import my_cases_page, search_results

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class TaskSchema(Schema):
    """An inbox entry."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    role = fields.String(required=True)
    due_on = fields.Date(allow_none=True)
    due_provisional = fields.Boolean()  # 暂定: estimated, the year's holiday notice is not loaded yet
    created_at = fields.DateTime(required=True)
    case_id = fields.Integer(required=True)
    number = fields.String(required=True)
    applicant_name = fields.String(required=True)
    applicant_id_number = fields.Method("masked_id")
    village_name = fields.String()

    def masked_id(self, row):
        return mask_id_number(row["applicant_id_number"])


class InboxSchema(Schema):
    """A page of the inbox."""

    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    tasks = fields.List(fields.Nested(TaskSchema), required=True)


class CompleteTaskSchema(Schema):
    """Body of a task completion: the form data, validated against the step's JSON Schema."""

    data = fields.Dict(keys=fields.String(), required=True)


class CompletedSchema(Schema):
    """Result of a completion."""

    case_id = fields.Integer(required=True)


class ErrorSchema(Schema):
    """An error a person can act on."""

    error = fields.String(required=True)
    message = fields.String(required=True)
    message_zh = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())
    completed_by = fields.String(allow_none=True)
    completed_at = fields.String(allow_none=True)


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


class OperationDoneSchema(Schema):
    """Result of an operation: the case it changed, and for 恢复 the working days the limits moved, for 终止
    the notice's number."""

    case_id = fields.Integer(required=True)
    paused_workdays = fields.Integer()
    notice = fields.String()


class CaseHitSchema(Schema):
    """A case found or listed (the applicant's ID number masked)."""

    id = fields.Integer(required=True)
    number = fields.String(required=True)
    assistance_type = fields.String(allow_none=True)
    type_name_zh = fields.String()
    type_name_en = fields.String()
    applicant_name = fields.String(required=True)
    applicant_id_number = fields.String(required=True)
    status = fields.String(required=True)
    step = fields.String()
    village = fields.String()
    township = fields.String()
    household_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)


class HouseholdHitSchema(Schema):
    """A household found (the head's ID number masked)."""

    id = fields.Integer(required=True)
    number = fields.String(required=True)
    head_name = fields.String()
    head_id_number = fields.String()
    members = fields.Integer()
    village = fields.String()
    township = fields.String()
    address = fields.String()
    open_cases = fields.Integer()
    matched_name = fields.String(allow_none=True)


class SearchSchema(Schema):
    """One page of search results: households and cases of the caller's area."""

    query = fields.Function(lambda r: r.query.text)
    how = fields.Function(lambda r: r.query.how)  # id_number | id_tail | number | text
    page = fields.Integer()
    households = fields.List(fields.Nested(HouseholdHitSchema))
    cases = fields.List(fields.Nested(CaseHitSchema))
    more_households = fields.Boolean()
    more_cases = fields.Boolean()


class TypeCountSchema(Schema):
    """How many cases of a type a list has."""

    type = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    count = fields.Integer()


class MyCasesSchema(Schema):
    """A page of my cases with counts by status and type."""

    view = fields.String()  # mine | unit
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_type = fields.List(fields.Nested(TypeCountSchema))
    cases = fields.List(fields.Nested(CaseHitSchema), attribute="rows")


@bp.get("/search")
def search():
    """Households and cases of the caller's area matching ``q``."""
    results, _kind, page = search_results(request.args.get("q", ""))
    return {**SearchSchema().dump(results), "page": page}


@bp.get("/my-cases")
def my_cases():
    """Cases the caller lodged (``view=mine``) or of their area (``view=unit``), by ``status`` and ``type``."""
    result, view, _status, _type = my_cases_page()
    return {**MyCasesSchema().dump(result), "view": view}


@bp.get("/csrf-token")
def csrf_token():
    """A CSRF token to send as the X-CSRFToken header on API writes."""
    return {"csrf_token": generate_csrf()}


@bp.get("/tasks")
def tasks():
    """The caller's open tasks."""
    page = page_arg()
    with db().unit_of_work() as uow:
        rows, total = inbox_tasks(uow.session, current_principal(), page)
    return InboxSchema().dump({"total": total, "page": page, "tasks": [r._asdict() for r in rows]})


def _body(schema: Schema) -> dict:
    """The JSON body loaded by ``schema``; anything it does not describe is refused (422)."""
    body = request.get_json(silent=True)
    if body is None and request.get_data(cache=True):
        raise InputRefused("body is not JSON", "请求内容不是有效的 JSON")
    try:
        return schema.load(body or {})
    except ValidationError as exc:
        raise FormInvalid({k: "请求格式有误" for k in exc.messages}) from exc


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str):
    """Complete a task with JSON form data."""
    body = _body(CompleteTaskSchema())
    with db().unit_of_work(write=True) as uow:
        case_id = complete_task(uow.session, current_principal(), clock(), task_id, body["data"])
        uow.commit()
    return CompletedSchema().dump({"case_id": case_id})


# task operation → (use case, body schema, the body's fields in the use case's order)
_TASK_OPERATIONS = {"claim": (claim_task, NoBodySchema, ()), "release": (release_task, NoBodySchema, ()),
                    "reassign": (reassign_task, ReassignSchema, ("to_user_id", "reason")),
                    "send-back": (send_back, SendBackSchema, ("target_task_id", "reason")),
                    "withdraw": (withdraw, NoBodySchema, ()), "urge": (urge_task, UrgeSchema, ("message",))}
_CASE_OPERATIONS = {"suspend": suspend_case, "resume": resume_case, "terminate": terminate_case}


def task_operation(task_id: str, operation: str):
    """认领, 释放, 转办, 退回, 撤回 (``task_id`` is the completed task) or 催办 a task."""
    use_case, schema, names = _TASK_OPERATIONS[operation]
    body = _body(schema())
    with db().unit_of_work(write=True) as uow:
        case_id = use_case(uow.session, current_principal(), clock(), task_id, *(body[n] for n in names))
        uow.commit()
    return OperationDoneSchema().dump({"case_id": case_id})


@bp.get("/tasks/<task_id>/operations")
def operations(task_id: str):
    """The operations the caller may do on a task now, with the colleagues and steps they may choose."""
    with db().unit_of_work() as uow:
        ops = task_operations(uow.session, current_principal(), task_id)
    return OperationsSchema().dump(ops)


def case_operation(case_id: int, operation: str):
    """挂起, 恢复 or 终止 a case with a reason."""
    body = _body(ReasonSchema())
    with db().unit_of_work(write=True) as uow:
        result = _CASE_OPERATIONS[operation](uow.session, current_principal(), clock(), case_id, body["reason"])
        uow.commit()
    extra = {"resume": {"paused_workdays": result}, "terminate": {"notice": result}}.get(operation, {})
    return OperationDoneSchema().dump({"case_id": case_id, **extra})


for _operation in _TASK_OPERATIONS:  # one rule per operation: api.task_claim …, api.case_suspend …
    bp.add_url_rule(f"/tasks/<task_id>/{_operation}", f"task_{_operation.replace('-', '_')}",
                    bound_view(task_operation, operation=_operation), methods=["POST"])
for _operation in _CASE_OPERATIONS:
    bp.add_url_rule(f"/cases/<int:case_id>/{_operation}", f"case_{_operation}",
                    bound_view(case_operation, operation=_operation), methods=["POST"])


def _operation_paths(spec: APISpec, err: dict) -> None:
    """The operations' entries of the OpenAPI document."""
    csrf = {"in": "header", "name": "X-CSRFToken", "required": True, "schema": {"type": "string"}}
    refusals = {"403": {"description": "your role may not do this", **err},
                "404": {"description": "not found or outside your area", **err},
                "409": {"description": "someone changed it first, or its state does not allow it", **err},
                "422": {"description": "reason or choice missing or invalid", **err}}
    done = {"200": {"description": "done", "content": {"application/json": {"schema": "OperationDone"}}}}
    bodies = {"reassign": "Reassign", "send-back": "SendBack", "urge": "Urge", "claim": "NoBody", "release": "NoBody",
              "withdraw": "NoBody"}
    summaries = {"claim": "Claim a task (认领)", "release": "Release a claimed task (释放)",
                 "reassign": "Reassign to a colleague (转办)", "send-back": "Send back to a completed step (退回)",
                 "withdraw": "Withdraw one's own completion of this task (撤回)", "urge": "Urge the task's unit (催办)"}
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


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    spec = APISpec(title="Jiuzhu API", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()])
    for schema in (TaskSchema, InboxSchema, CompleteTaskSchema, CompletedSchema, ErrorSchema, CaseHitSchema,
                   HouseholdHitSchema, SearchSchema, TypeCountSchema, MyCasesSchema, ReasonSchema, ReassignSchema,
                   SendBackSchema, UrgeSchema, NoBodySchema, ColleagueSchema, StepSchema, OperationsSchema,
                   OperationDoneSchema):
        spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    err = {"content": {"application/json": {"schema": "Error"}}}
    spec.path(path="/api/v1/tasks", operations={"get": {
        "summary": "My open tasks", "parameters": [{"in": "query", "name": "page", "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "inbox", "content": {"application/json": {"schema": "Inbox"}}},
                      "401": {"description": "not logged in", **err}}}})
    spec.path(path="/api/v1/tasks/{task_id}/complete", operations={"post": {
        "summary": "Complete a task", "parameters": [
            {"in": "path", "name": "task_id", "required": True, "schema": {"type": "string"}},
            {"in": "header", "name": "X-CSRFToken", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"content": {"application/json": {"schema": "CompleteTask"}}},
        "responses": {"200": {"description": "completed", "content": {"application/json": {"schema": "Completed"}}},
                      "404": {"description": "not found or outside your area", **err},
                      "409": {"description": "already completed by someone else", **err},
                      "422": {"description": "form data invalid", **err}}}})
    page = {"in": "query", "name": "page", "schema": {"type": "integer"}}
    spec.path(path="/api/v1/search", operations={"get": {
        "summary": "Search households and cases of my area", "parameters": [
            {"in": "query", "name": "q", "required": True, "schema": {"type": "string", "maxLength": 50}},
            {"in": "query", "name": "kind", "schema": {"type": "string", "enum": ["all", "households", "cases"]}},
            page],
        "responses": {"200": {"description": "results", "content": {"application/json": {"schema": "Search"}}},
                      "422": {"description": "query refused", **err}}}})
    spec.path(path="/api/v1/my-cases", operations={"get": {
        "summary": "My cases", "parameters": [
            {"in": "query", "name": "view", "schema": {"type": "string", "enum": ["mine", "unit"]}},
            {"in": "query", "name": "status", "schema": {"type": "string", "enum": ["running", "completed"]}},
            {"in": "query", "name": "type", "schema": {"type": "string"}}, page],
        "responses": {"200": {"description": "cases", "content": {"application/json": {"schema": "MyCases"}}},
                      "422": {"description": "filter refused", **err}}}})
    spec.path(path="/api/v1/csrf-token", operations={"get": {"summary": "CSRF token", "responses": {
        "200": {"description": "token"}}}})
    _operation_paths(spec, err)
    return jsonify(spec.to_dict())
