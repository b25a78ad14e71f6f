"""The REST API's entries for the one-window intake (一门受理): registration (受理登记), a registration with its
items, the liaison's referrals and their answer (the feedback to the window), the charity referral's feedback,
and the ledger (登记表): marshmallow bodies and results, the routes (``register``) and their OpenAPI entries
(``window_paths``). ID numbers are masked in every answer."""
from __future__ import annotations

from apispec import APISpec
from flask import Blueprint, request
from marshmallow import Schema, fields, validate

from engine import (REFERRAL_ANSWERS, WINDOW_OUTCOMES, WINDOW_STATUS_ZH, Applicant, RequestedItem, answer_referral,
                    mask_id_number, record_charity_feedback, referral_for, referrals_inbox, register as register_request,
                    registration_view, window_ledger, window_rules)

from .api_operations import json_body
from .auth import current_principal, requires_role
from .db import clock, db
from .limits import int_arg
from .window import LEDGER_ROLES, LIAISON_ROLES, WINDOW_ROLES, ledger_filters
from .window_labels import department_name_en, in_english, item_status


class ApplicantSchema(Schema):
    """Who asks."""

    name = fields.String(required=True)
    id_number = fields.String(required=True)
    address = fields.String(required=True)
    phone = fields.String(load_default="")
    monthly_income = fields.Float(load_default=None, allow_none=True)
    authorises_check = fields.Boolean(load_default=False)


class RequestedItemSchema(Schema):
    """An item asked for, the window's outcome, what the applicant was told, and for a 民政 item its own part of
    the route's application form (the fields of the route's start form the registration does not fill)."""

    code = fields.String(required=True)
    outcome = fields.String(load_default="accept", validate=validate.OneOf(WINDOW_OUTCOMES))
    note = fields.String(load_default="")
    data = fields.Dict(keys=fields.String(), load_default=dict)


class RegistrationBodySchema(Schema):
    """Body of 受理登记."""

    village_id = fields.Integer(required=True)
    applicant = fields.Nested(ApplicantSchema, required=True)
    difficulty = fields.String(required=True)
    items = fields.List(fields.Nested(RequestedItemSchema), required=True, validate=validate.Length(max=40))


class WindowItemSchema(Schema):
    """One item of a registration (a ledger row): its case or referral, deadlines, answers and feedback."""

    id = fields.Integer()
    registration_id = fields.Integer()
    registration_number = fields.String()
    registered_on = fields.Date()
    applicant_name = fields.String()
    applicant_id_number = fields.String()   # masked
    item_code = fields.String()
    item_name = fields.String()
    department = fields.String()
    department_zh = fields.String()
    department_en = fields.Function(lambda row: department_name_en(row["department"]))
    status = fields.String()
    status_zh = fields.String()
    status_en = fields.Function(lambda row: in_english(item_status, row["status"]))
    case_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    transfer_number = fields.String(allow_none=True)
    referred_on = fields.Date(allow_none=True)
    notice_due_on = fields.Date(allow_none=True)
    initial_due_on = fields.Date(allow_none=True)
    answered_on = fields.Date(allow_none=True)
    answer_note = fields.String(allow_none=True)
    finish_due_on = fields.Date(allow_none=True)
    finished_on = fields.Date(allow_none=True)
    result = fields.String(allow_none=True)
    fed_back_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)
    due_provisional = fields.Boolean()
    late = fields.Boolean()
    clerk = fields.String(allow_none=True)


class RegistrationSchema(Schema):
    """A registration with its items (the 受理单's content)."""

    id = fields.Integer()
    number = fields.String()
    registered_on = fields.Date()
    applicant_name = fields.String()
    applicant_id_number = fields.String()   # masked
    address = fields.String()
    difficulty = fields.String()
    point = fields.String()                 # township_window | village_point
    household_id = fields.Integer(allow_none=True)
    open = fields.Integer()                 # referrals not yet answered in full
    items = fields.List(fields.Nested(WindowItemSchema))


class LedgerSchema(Schema):
    """The 受理、转办、办理结果登记表 rows (at most 500, newest registration first)."""

    items = fields.List(fields.Nested(WindowItemSchema))


class AnswerBodySchema(Schema):
    """Body of a department's answer: not eligible (written notice), eligible (initial handling) or finished."""

    answer = fields.String(required=True, validate=validate.OneOf(REFERRAL_ANSWERS))
    note = fields.String(required=True)


class FeedbackBodySchema(Schema):
    """Body of an organisation's feedback on a 转介, as the window records it."""

    feedback = fields.String(required=True)


SCHEMAS = (ApplicantSchema, RequestedItemSchema, RegistrationBodySchema, WindowItemSchema, RegistrationSchema,
           LedgerSchema, AnswerBodySchema, FeedbackBodySchema)


def _registration(registration_id: int) -> dict:
    with db().unit_of_work() as uow:
        view = registration_view(uow.session, current_principal(), registration_id, clock().today())
    row = view["registration"]
    return RegistrationSchema().dump({**row._asdict(), "applicant_id_number": mask_id_number(row.applicant_id_number),
                                      "open": view["open"], "items": view["items"]})  # items masked


@requires_role(*WINDOW_ROLES)
def create_registration():
    """受理登记: register a request; 民政 items start their routes, the others are referred."""
    body = json_body(RegistrationBodySchema())
    a = body["applicant"]
    applicant = Applicant(a["name"], a["id_number"], a["address"], a["phone"], a["monthly_income"],
                          a["authorises_check"])
    items = [RequestedItem(i["code"], i["outcome"], i["note"], i["data"]) for i in body["items"]]
    with db().unit_of_work(write=True) as uow:
        registration_id = register_request(uow.session, current_principal(), clock(), body["village_id"], applicant,
                                           body["difficulty"], items)
        uow.commit()
    return _registration(registration_id), 201


@requires_role(*LEDGER_ROLES)
def get_registration(registration_id: int):
    """A registration of the caller's windows (or county) with its items."""
    return _registration(registration_id)


@requires_role(*LIAISON_ROLES)
def list_referrals():
    """The liaison's referrals, the most urgent first (``all=1``: answered ones too)."""
    show_all = int_arg(request.args, "all", 0, 0, 1) == 1
    with db().unit_of_work() as uow:
        rows = referrals_inbox(uow.session, current_principal(), open_only=not show_all)
    return LedgerSchema().dump({"items": [_referral(r) for r in rows]})


def _referral(row) -> dict:
    departments = window_rules().departments
    return {**row._asdict(), "applicant_id_number": mask_id_number(row.applicant_id_number),
            "status_zh": WINDOW_STATUS_ZH.get(row.status, row.status),
            "department_zh": departments.get(row.department, {}).get("name_zh", row.department)}


@requires_role(*LIAISON_ROLES)
def answer(item_id: int):
    """The department's answer to a referral: the feedback to the window, the day it is recorded."""
    body = json_body(AnswerBodySchema())
    principal = current_principal()
    with db().unit_of_work(write=True) as uow:
        answer_referral(uow.session, principal, clock(), item_id, body["answer"], body["note"])
        uow.commit()
    with db().unit_of_work() as uow:
        row = referral_for(uow.session, principal, item_id)
    return WindowItemSchema().dump(_referral(row))


@requires_role(*WINDOW_ROLES)
def charity_feedback(charity_referral_id: int):
    """Record what the organisation of a 转介 reported back."""
    body = json_body(FeedbackBodySchema())
    with db().unit_of_work(write=True) as uow:
        record_charity_feedback(uow.session, current_principal(), clock(), charity_referral_id, body["feedback"])
        uow.commit()
    return {"ok": True}


@requires_role(*LEDGER_ROLES)
def ledger():
    """The ledger's rows, filtered like the page (department, status, since, until, mine)."""
    department, status, since, until, mine = ledger_filters()
    with db().unit_of_work() as uow:
        rows = window_ledger(uow.session, current_principal(), clock().today(), department, status, since, until,
                             mine)
    return LedgerSchema().dump({"items": rows})


def window_paths(spec: APISpec, err: dict) -> None:
    """The one-window entries of the OpenAPI document."""
    csrf = {"in": "header", "name": "X-CSRFToken", "required": True, "schema": {"type": "string"}}
    refusals = {"403": {"description": "your role may not do this", **err},
                "404": {"description": "not found or outside your area", **err},
                "422": {"description": "the body is invalid (each field's message in errors)", **err}}

    def ok(schema: str, code: str = "200") -> dict:
        return {code: {"description": "done", "content": {"application/json": {"schema": schema}}}}
    spec.path(path="/api/v1/window/registrations", operations={"post": {
        "summary": "Register a request for help (受理登记)", "parameters": [csrf],
        "requestBody": {"content": {"application/json": {"schema": "RegistrationBody"}}},
        "responses": {**ok("Registration", "201"), **refusals}}})
    spec.path(path="/api/v1/window/registrations/{registration_id}", operations={"get": {
        "summary": "A registration with its items", "parameters": [
            {"in": "path", "name": "registration_id", "required": True, "schema": {"type": "integer"}}],
        "responses": {**ok("Registration"), "404": refusals["404"]}}})
    spec.path(path="/api/v1/window/referrals", operations={"get": {
        "summary": "My department's referrals (转办)", "parameters": [
            {"in": "query", "name": "all", "schema": {"type": "integer", "enum": [0, 1]}}],
        "responses": {**ok("Ledger"), "403": refusals["403"]}}})
    spec.path(path="/api/v1/window/referrals/{item_id}/answer", operations={"post": {
        "summary": "Answer a referral: the feedback to the window", "parameters": [
            {"in": "path", "name": "item_id", "required": True, "schema": {"type": "integer"}}, csrf],
        "requestBody": {"content": {"application/json": {"schema": "AnswerBody"}}},
        "responses": {**ok("WindowItem"), **refusals,
                      "409": {"description": "already answered this way", **err}}}})
    spec.path(path="/api/v1/window/charity-referrals/{charity_referral_id}/feedback", operations={"post": {
        "summary": "Record an organisation's feedback on a 转介", "parameters": [
            {"in": "path", "name": "charity_referral_id", "required": True, "schema": {"type": "integer"}}, csrf],
        "requestBody": {"content": {"application/json": {"schema": "FeedbackBody"}}},
        "responses": {"200": {"description": "recorded"}, **refusals}}})
    date = {"type": "string", "format": "date"}
    spec.path(path="/api/v1/window/ledger", operations={"get": {
        "summary": "The 受理、转办、办理结果登记表", "parameters": [
            {"in": "query", "name": "department", "schema": {"type": "string"}},
            {"in": "query", "name": "status", "schema": {"type": "string", "enum": sorted(WINDOW_STATUS_ZH)}},
            {"in": "query", "name": "since", "schema": date}, {"in": "query", "name": "until", "schema": date},
            {"in": "query", "name": "mine", "schema": {"type": "integer", "enum": [0, 1]}}],
        "responses": {**ok("Ledger"), "403": refusals["403"]}}})


def register(bp: Blueprint) -> None:
    """Add the one-window routes to the API blueprint."""
    bp.add_url_rule("/window/registrations", "window_register", create_registration, methods=["POST"])
    bp.add_url_rule("/window/registrations/<int:registration_id>", "window_registration", get_registration)
    bp.add_url_rule("/window/referrals", "window_referrals", list_referrals)
    bp.add_url_rule("/window/referrals/<int:item_id>/answer", "window_answer", answer, methods=["POST"])
    bp.add_url_rule("/window/charity-referrals/<int:charity_referral_id>/feedback", "window_charity_feedback",
                    charity_feedback, methods=["POST"])
    bp.add_url_rule("/window/ledger", "window_ledger", ledger)

