"""The REST API (JSON), described with marshmallow and served as an OpenAPI document."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from engine import inbox_tasks, parse_inbox_filters
from flask import Blueprint, jsonify, request
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields
from engine import complete_task
from engine import mask_id_number

from .auth import current_principal
from .db import clock, db
from .api_operations import SCHEMAS as OPERATION_SCHEMAS, json_body, operation_paths, register as register_operations
from .api_window import SCHEMAS as WINDOW_SCHEMAS, register as register_window, window_paths
from .api_joint_review import SCHEMAS as JOINT_REVIEW_SCHEMAS, joint_review_paths, register as register_joint_review
from .limits import page_arg
from .search import my_cases_page, search_results

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register_operations(bp)
register_window(bp)
register_joint_review(bp)


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
    claimed_by = fields.String(allow_none=True)  # the holder's name
    held = fields.String()  # mine (claimed by me, or by someone I stand in for as 代理 today), queue or others

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
    errors = fields.Dict(keys=fields.String(), values=fields.String())     # field → message, in the page's language
    errors_zh = fields.Dict(keys=fields.String(), values=fields.String())  # the same fields → Chinese
    completed_by = fields.String(allow_none=True)
    completed_at = fields.String(allow_none=True)

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
    """The caller's open tasks, with the inbox's filters (``held``, ``type``, ``step``, ``village``, ``due``,
    ``within``, ``due_from``, ``due_to``; a wrong one is a 422 naming it)."""
    page = page_arg()
    filters = parse_inbox_filters(request.args)
    with db().unit_of_work() as uow:
        rows, total = inbox_tasks(uow.session, current_principal(), clock().today(), filters, page)
    return InboxSchema().dump({"total": total, "page": page, "tasks": [r._asdict() for r in rows]})

@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str):
    """Complete a task with JSON form data."""
    body = json_body(CompleteTaskSchema())
    with db().unit_of_work(write=True) as uow:
        case_id = complete_task(uow.session, current_principal(), clock(), task_id, body["data"])
        uow.commit()
    return CompletedSchema().dump({"case_id": case_id})

@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    spec = APISpec(title="Jiuzhu API", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()])
    for schema in (TaskSchema, InboxSchema, CompleteTaskSchema, CompletedSchema, ErrorSchema, CaseHitSchema,
                   HouseholdHitSchema, SearchSchema, TypeCountSchema, MyCasesSchema, *OPERATION_SCHEMAS,
                   *WINDOW_SCHEMAS, *JOINT_REVIEW_SCHEMAS):
        spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    err = {"content": {"application/json": {"schema": "Error"}}}
    spec.path(path="/api/v1/tasks", operations={"get": {
        "summary": "My open tasks", "parameters": [{"in": "query", "name": "page", "schema": {"type": "integer"}}] + [
            {"in": "query", "name": name, "schema": {"type": "string"}}
            for name in ("held", "type", "step", "village", "due", "within", "due_from", "due_to")],
        "responses": {"200": {"description": "inbox", "content": {"application/json": {"schema": "Inbox"}}},
                      "401": {"description": "not logged in", **err},
                      "422": {"description": "a filter is wrong (the field named)", **err}}}})
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
    operation_paths(spec, err)
    window_paths(spec, err)
    joint_review_paths(spec, err)
    return jsonify(spec.to_dict())
