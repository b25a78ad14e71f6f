"""The REST API's entries for the joint review (会审, seed 004 三(六)): a department's liaison submits or changes
its projects, the 联席会议办公室 (role ``county``) makes the initial review and records the meeting (each present
unit's opinion and the decision on each project), and the projects, meetings and the report to the government
are read within the caller's role × place; marshmallow bodies and results, the routes (``register``) and their
OpenAPI entries (``joint_review_paths``)."""
from __future__ import annotations

from apispec import APISpec
from flask import Blueprint, request
from marshmallow import Schema, fields, validate

from engine import (JOINT_REVIEW_DECISIONS, JOINT_REVIEW_OPINIONS, JOINT_REVIEW_STATUS, hold_joint_review,
                    joint_review_agenda, joint_review_meeting, joint_review_meetings, joint_review_members,
                    joint_review_projects, review_project, submit_project)

from .api_operations import json_body
from .auth import current_principal, requires_role
from .db import clock, db
from .limits import InputRefused, int_arg
from .window import LIAISON_ROLES
from .window_labels import department_name_en, in_english, project_status

OFFICE, SUPERVISOR = "county", "county_supervisor"


class ProjectBodySchema(Schema):
    """Body of a project submitted (or changed while not yet reviewed, or after it was returned)."""

    department = fields.String(load_default="")   # the caller's own department; the first one when empty
    year = fields.Integer(load_default=None, allow_none=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    budget = fields.Float(required=True)
    beneficiaries = fields.Integer(load_default=None, allow_none=True)


class InitialReviewBodySchema(Schema):
    """Body of the office's initial review (初审): pass to the meeting, or return with what to change."""

    decision = fields.String(required=True, validate=validate.OneOf(("pass", "return")))
    note = fields.String(load_default="")


class ProjectDecisionSchema(Schema):
    """One project's entry of the meeting: every present unit's opinion and the meeting's decision."""

    project_id = fields.Integer(required=True)
    opinions = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(JOINT_REVIEW_OPINIONS)),
                           required=True)
    decision = fields.String(required=True, validate=validate.OneOf(JOINT_REVIEW_DECISIONS))
    approved_budget = fields.Float(load_default=None, allow_none=True)   # decision "adjusted"
    note = fields.String(load_default="")


class MeetingBodySchema(Schema):
    """Body of the joint review's record: the year, attendees, the member units present and the decisions."""

    year = fields.Integer(required=True)
    attendees = fields.String(required=True)
    present = fields.List(fields.String(), required=True, validate=validate.Length(max=100))
    decisions = fields.List(fields.Nested(ProjectDecisionSchema), required=True,
                            validate=validate.Length(min=1, max=500))


class ProjectSchema(Schema):
    """A project with its budget, status and the review's outcome."""

    id = fields.Integer()
    county_id = fields.Integer()
    department = fields.String()
    department_zh = fields.String()
    department_en = fields.Function(lambda row: department_name_en(row["department"]))
    year = fields.Integer()
    name = fields.String()
    description = fields.String()
    budget = fields.Float()
    beneficiaries = fields.Integer(allow_none=True)
    status = fields.String(metadata={"enum": sorted(JOINT_REVIEW_STATUS)})
    status_zh = fields.String()
    status_en = fields.Function(lambda row: in_english(project_status, row["status"]))
    review_note = fields.String(allow_none=True)
    approved_budget = fields.Float(allow_none=True)
    meeting_id = fields.Integer(allow_none=True)
    submitted_by = fields.String(allow_none=True)
    submitted_at = fields.DateTime()


class ProjectsSchema(Schema):
    """Projects the caller may see (at most 500)."""

    items = fields.List(fields.Nested(ProjectSchema))


class MemberSchema(Schema):
    """A member unit of the 联席会议."""

    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    department = fields.String(allow_none=True)


class AgendaSchema(Schema):
    """The meeting's agenda: the member units and the projects passed to the joint review of a year."""

    year = fields.Integer()
    members = fields.List(fields.Nested(MemberSchema))
    items = fields.List(fields.Nested(ProjectSchema))


class MeetingSchema(Schema):
    """A joint review: its numbers, attendees, the signed record and (one meeting read) the report as issued."""

    id = fields.Integer()
    number = fields.String()
    report_number = fields.String()
    year = fields.Integer()
    held_at = fields.DateTime()
    attendees = fields.String()
    signature = fields.String()
    record = fields.Dict()
    report = fields.String()   # HTML, only when one meeting is read


class MeetingsSchema(Schema):
    """Recent joint reviews of the counties the caller's office holds or supervises."""

    items = fields.List(fields.Nested(MeetingSchema))


SCHEMAS = (ProjectBodySchema, InitialReviewBodySchema, ProjectDecisionSchema, MeetingBodySchema, ProjectSchema,
           ProjectsSchema, MemberSchema, AgendaSchema, MeetingSchema, MeetingsSchema)


def _year(default: bool = True) -> int | None:
    this_year = clock().today().year
    return int_arg(request.args, "year", this_year if default else None, this_year - 10, this_year + 1)


def _project(project_id: int) -> dict:
    with db().unit_of_work() as uow:
        row = next((p for p in joint_review_projects(uow.session, current_principal()) if p["id"] == project_id), None)
    return ProjectSchema().dump(row)


@requires_role(*LIAISON_ROLES, OFFICE, SUPERVISOR)
def list_projects():
    """The projects the caller may see, filtered by ``year`` and ``status``."""
    status = request.args.get("status") or None
    if status and status not in JOINT_REVIEW_STATUS:
        raise InputRefused("unknown status", "未知的项目状态")
    with db().unit_of_work() as uow:
        rows = joint_review_projects(uow.session, current_principal(), _year(default=False), status)
    return ProjectsSchema().dump({"items": rows})


def _submit(project_id: int | None) -> int:
    body = json_body(ProjectBodySchema())
    with db().unit_of_work(write=True) as uow:
        project_id = submit_project(uow.session, current_principal(), clock(), body, project_id)
        uow.commit()
    return project_id


@requires_role(*LIAISON_ROLES, OFFICE)
def create_project():
    """Submit a planned project of the caller's department (the office: a 民政 project)."""
    return _project(_submit(None)), 201


@requires_role(*LIAISON_ROLES, OFFICE)
def change_project(project_id: int):
    """Change a project of the caller's department not yet reviewed, or returned: it is submitted again."""
    return _project(_submit(project_id))


@requires_role(OFFICE)
def initial_review(project_id: int):
    """初审 by the 联席会议办公室: pass the project to the meeting, or return it to its department."""
    body = json_body(InitialReviewBodySchema())
    with db().unit_of_work(write=True) as uow:
        review_project(uow.session, current_principal(), clock(), project_id, body["decision"], body["note"])
        uow.commit()
    return _project(project_id)


@requires_role(OFFICE)
def agenda():
    """The member units and the projects awaiting the joint review of ``year``."""
    year = _year()
    with db().unit_of_work() as uow:
        members = joint_review_members(uow.session, current_principal())
        rows = joint_review_agenda(uow.session, current_principal(), year)
    return AgendaSchema().dump({"year": year, "members": [m.__dict__ for m in members], "items": rows})


@requires_role(OFFICE)
def hold_meeting():
    """Record the joint review: all or nothing, signed once, with the report to the government."""
    body = json_body(MeetingBodySchema())
    decisions = {d["project_id"]: d for d in body["decisions"]}
    if len(decisions) != len(body["decisions"]):
        raise InputRefused("a project decided twice", "同一项目只能作出一次会审决定")
    with db().unit_of_work(write=True) as uow:
        meeting_id = hold_joint_review(uow.session, current_principal(), clock(), body["year"], body["attendees"],
                                       body["present"], decisions)
        uow.commit()
    return _meeting(meeting_id), 201


@requires_role(OFFICE, SUPERVISOR)
def list_meetings():
    """Recent joint reviews (without their reports)."""
    with db().unit_of_work() as uow:
        rows = joint_review_meetings(uow.session, current_principal())
    return MeetingsSchema().dump({"items": [r._asdict() for r in rows]})


def _meeting(meeting_id: int) -> dict:
    with db().unit_of_work() as uow:
        row = joint_review_meeting(uow.session, current_principal(), meeting_id)
    return MeetingSchema().dump(row._asdict())


@requires_role(OFFICE, SUPERVISOR)
def get_meeting(meeting_id: int):
    """One joint review with its signed record and the report to the government."""
    return _meeting(meeting_id)


def joint_review_paths(spec: APISpec, err: dict) -> None:
    """The joint review's entries of the OpenAPI document."""
    csrf = {"in": "header", "name": "X-CSRFToken", "required": True, "schema": {"type": "string"}}
    year = {"in": "query", "name": "year", "schema": {"type": "integer"}}
    refusals = {"400": {"description": "a query argument or the body is not acceptable", **err},
                "403": {"description": "your role may not do this", **err},
                "404": {"description": "not found or outside your area", **err},
                "422": {"description": "the body is invalid (each field's message in errors)", **err}}
    conflict = {"409": {"description": "the project was reviewed or decided meanwhile", **err}}

    def ok(schema: str, code: str = "200") -> dict:
        return {code: {"description": "done", "content": {"application/json": {"schema": schema}}}}

    def body(schema: str) -> dict:
        return {"content": {"application/json": {"schema": schema}}}

    def path_id(name: str) -> dict:
        return {"in": "path", "name": name, "required": True, "schema": {"type": "integer"}}
    base = "/api/v1/joint-review"
    spec.path(path=f"{base}/projects", operations={
        "get": {"summary": "Projects I may see (会审项目)", "parameters": [
            year, {"in": "query", "name": "status", "schema": {"type": "string", "enum": sorted(JOINT_REVIEW_STATUS)}}],
            "responses": {**ok("Projects"), "400": refusals["400"], "403": refusals["403"]}},
        "post": {"summary": "Submit a project of my department with its budget", "parameters": [csrf],
                 "requestBody": body("ProjectBody"), "responses": {**ok("Project", "201"), **refusals}}})
    spec.path(path=f"{base}/projects/{{project_id}}", operations={"put": {
        "summary": "Change a project not yet reviewed, or returned (submitted again)",
        "parameters": [path_id("project_id"), csrf], "requestBody": body("ProjectBody"),
        "responses": {**ok("Project"), **refusals, **conflict}}})
    spec.path(path=f"{base}/projects/{{project_id}}/initial-review", operations={"post": {
        "summary": "The office's initial review (初审): pass or return", "parameters": [path_id("project_id"), csrf],
        "requestBody": body("InitialReviewBody"), "responses": {**ok("Project"), **refusals, **conflict}}})
    spec.path(path=f"{base}/agenda", operations={"get": {
        "summary": "The member units and the projects awaiting the joint review", "parameters": [year],
        "responses": {**ok("Agenda"), "400": refusals["400"], "403": refusals["403"]}}})
    spec.path(path=f"{base}/meetings", operations={
        "get": {"summary": "Recent joint reviews", "responses": {**ok("Meetings"), "403": refusals["403"]}},
        "post": {"summary": "Record the joint review (会审): opinions and decisions, signed, with the report",
                 "parameters": [csrf], "requestBody": body("MeetingBody"),
                 "responses": {**ok("Meeting", "201"), **refusals, **conflict}}})
    spec.path(path=f"{base}/meetings/{{meeting_id}}", operations={"get": {
        "summary": "A joint review with its record and the report to the government",
        "parameters": [path_id("meeting_id")], "responses": {**ok("Meeting"), "403": refusals["403"],
                                                             "404": refusals["404"]}}})


def register(bp: Blueprint) -> None:
    """Add the joint review's routes to the API blueprint."""
    bp.add_url_rule("/joint-review/projects", "joint_review_projects", list_projects)
    bp.add_url_rule("/joint-review/projects", "joint_review_submit", create_project, methods=["POST"])
    bp.add_url_rule("/joint-review/projects/<int:project_id>", "joint_review_change", change_project,
                    methods=["PUT"])
    bp.add_url_rule("/joint-review/projects/<int:project_id>/initial-review", "joint_review_initial",
                    initial_review, methods=["POST"])
    bp.add_url_rule("/joint-review/agenda", "joint_review_agenda", agenda)
    bp.add_url_rule("/joint-review/meetings", "joint_review_meetings", list_meetings)
    bp.add_url_rule("/joint-review/meetings", "joint_review_hold", hold_meeting, methods=["POST"])
    bp.add_url_rule("/joint-review/meetings/<int:meeting_id>", "joint_review_meeting", get_meeting)
