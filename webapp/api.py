"""The REST API (JSON), described with marshmallow and served as an OpenAPI document."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from engine import inbox_tasks
from flask import Blueprint, jsonify, request
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, ValidationError, fields
from engine import complete_task
from engine.errors import FormInvalid
from engine import mask_id_number

from .auth import current_principal
from .db import clock, db
from .limits import page_arg

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


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str):
    """Complete a task with JSON form data."""
    try:
        body = CompleteTaskSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        raise FormInvalid({k: "请求格式有误" for k in exc.messages}) from exc
    with db().unit_of_work(write=True) as uow:
        case_id = complete_task(uow.session, current_principal(), clock(), task_id, body["data"])
        uow.commit()
    return CompletedSchema().dump({"case_id": case_id})


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    spec = APISpec(title="Jiuzhu API", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()])
    for schema in (TaskSchema, InboxSchema, CompleteTaskSchema, CompletedSchema, ErrorSchema):
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
    spec.path(path="/api/v1/csrf-token", operations={"get": {"summary": "CSRF token", "responses": {
        "200": {"description": "token"}}}})
    return jsonify(spec.to_dict())
