"""Finding households and cases (查询) and my cases (我的案件): staff only, within their places."""
from __future__ import annotations

from engine import CASE_STATUSES, SearchRefused, my_cases, search
from engine.errors import Forbidden
from flask import Blueprint, render_template, request

from .auth import current_principal
from .db import db
from .limits import InputRefused, page_arg
from .pages import is_zh

bp = Blueprint("search", __name__)
PAGE_SIZE = 20
VIEWS = ("mine", "unit")  # lodged by me | every case of my places


def staff_principal():
    """The principal, if they work on cases somewhere; else Forbidden."""
    principal = current_principal()
    if not principal.staff_units:
        raise Forbidden("search is for staff")
    return principal


def search_results(query: str):
    """The search of this request's ``q`` / ``kind`` / ``page`` (shared with the API)."""
    kind, page = request.args.get("kind") or "all", page_arg()
    with db().unit_of_work() as uow:
        return search(uow.session, staff_principal(), query, kind=kind, limit=PAGE_SIZE,
                      offset=(page - 1) * PAGE_SIZE), kind, page


def my_cases_page():
    """My cases of this request's ``view`` / ``status`` / ``type`` / ``page`` (shared with the API)."""
    view = request.args.get("view") or "mine"
    if view not in VIEWS:
        raise InputRefused("view must be mine or unit", "参数「view」应为 mine 或 unit")
    status, assistance_type = request.args.get("status") or None, request.args.get("type") or None
    with db().unit_of_work() as uow:
        return my_cases(uow.session, staff_principal(), mine=view == "mine", status=status,
                        assistance_type=assistance_type, page=page_arg()), view, status, assistance_type


@bp.route("/search")
def search_page():
    """Households and cases by name, ID number (whole or its last 4–6 characters), number or address."""
    query = request.args.get("q", "")
    staff_principal()
    if not query.strip():
        return render_template("search/search.html", query="", results=None, error=None, kind="all", page=1)
    try:
        results, kind, page = search_results(query)
    except SearchRefused as exc:
        return render_template("search/search.html", query=query, results=None, kind="all", page=1,
                               error=exc.message_zh if is_zh() else exc.message), 422
    return render_template("search/search.html", query=query, results=results, error=None, kind=kind, page=page,
                           page_size=PAGE_SIZE)


@bp.route("/my-cases")
def my_cases_view():
    """Cases I lodged, or every case of my places, by status and type."""
    result, view, status, assistance_type = my_cases_page()
    return render_template("search/my_cases.html", result=result, view=view, status=status,
                           assistance_type=assistance_type, statuses=CASE_STATUSES)
