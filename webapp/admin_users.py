"""The admin's users pages: the list with roles in units (filtered by unit, role and state), a new user,
and one user's page — deactivate or reactivate, a new password, a role added or taken away. Each change
is audited and effective at once: a deactivation or a role change ends the user's open sessions."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import (ASSIGNABLE_ROLES, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NAME_MAX, ROLE_LEVELS, USERS_PAGE_SIZE,
                    add_role, change_password, create_user, deactivate_user, generate_password, list_users,
                    reactivate_user, remove_role, user_detail)
from engine.errors import FormInvalid

from .admin import bp
from .auth import current_principal, requires_role
from .db import clock, db
from .limits import MAX_PAGE, InputRefused, int_arg
from .pages import is_zh

# A province (2 digits), county (6), township (9) or village (12): the codes the places page links to.
UNIT_CODE = re.compile(r"[0-9]{2}([0-9]{4}([0-9]{3}([0-9]{3})?)?)?")
ACTIVE = {"": None, "yes": True, "no": False}


def _unit_filter(raw: str) -> str:
    if raw and not UNIT_CODE.fullmatch(raw):
        raise InputRefused(f"unit {raw[:20]!r} is not a unit code", "单位代码应为 2、6、9 或 12 位数字")
    return raw


@bp.route("/users")
@requires_role("admin")
def users():
    """Users with their roles in units; ``unit`` (a code: that unit and every unit inside it), ``role``,
    ``active`` (yes, no) and ``page`` filter and page the list."""
    unit = _unit_filter((request.args.get("unit") or "").strip())
    role = request.args.get("role") or ""
    active = request.args.get("active") or ""
    if (role and role not in ASSIGNABLE_ROLES) or active not in ACTIVE:
        raise InputRefused("unknown role or state", "角色或状态不在可选范围内")
    page = int_arg(request.args, "page", 1, minimum=1, maximum=MAX_PAGE)
    with db().unit_of_work() as uow:
        rows, total = list_users(uow.session, unit or None, role or None, ACTIVE[active], page)
    return render_template("admin/users.html", rows=rows, total=total, page=page, page_size=USERS_PAGE_SIZE,
                           filters={"unit": unit, "role": role, "active": active}, roles=ASSIGNABLE_ROLES)


def _new_user_page(values: dict, errors: dict | None = None, status: int = 200):
    return render_template("admin/user_new.html", values=values, errors=errors or {}, roles=ASSIGNABLE_ROLES,
                           role_levels=ROLE_LEVELS, name_max=NAME_MAX, password_min=MIN_PASSWORD_LENGTH,
                           password_max=MAX_PASSWORD_LENGTH), status


@bp.route("/users/new", methods=["GET", "POST"])
@requires_role("admin")
def new_user():
    """Create a user with a first role in a unit; without a typed password one is generated and shown once."""
    if request.method == "GET":
        unit = _unit_filter((request.args.get("unit") or "").strip())
        role = request.args.get("role") or ""
        if role not in ASSIGNABLE_ROLES:  # the staff role of the unit's level, by the length of its code
            role = {2: "province_supervisor", 6: "county", 9: "township", 12: "village"}.get(len(unit), "")
        return _new_user_page({"unit": unit, "role": role})
    form = {k: (request.form.get(k) or "").strip() for k in ("username", "display_name", "role", "unit")}
    password = request.form.get("password") or ""
    generated = None if password else generate_password()
    try:
        with db().unit_of_work(write=True) as uow:
            user_id = create_user(uow.session, current_principal(), clock().now(), form["username"],
                                  form["display_name"], password or generated, [(form["role"], form["unit"])])
            uow.commit()
    except FormInvalid as exc:
        return _new_user_page(form, exc.errors_in(is_zh()), 422)
    flash(_("Created %(username)s.", username=form["username"]), "success")
    if generated:  # shown on this response only, never kept in the cookie or a log
        return _user_page(user_id, generated=generated)
    return redirect(url_for("admin.user", user_id=user_id))


def _user_page(user_id: int, errors: dict | None = None, values: dict | None = None, generated: str | None = None,
               status: int = 200):
    with db().unit_of_work() as uow:
        user, trail = user_detail(uow.session, user_id)
    return render_template("admin/user.html", user=user, trail=trail, errors=errors or {}, values=values or {},
                           generated=generated, roles=ASSIGNABLE_ROLES, role_levels=ROLE_LEVELS,
                           password_min=MIN_PASSWORD_LENGTH, password_max=MAX_PASSWORD_LENGTH,
                           is_self=current_principal().user_id == user.id), status


@bp.route("/users/<int:user_id>")
@requires_role("admin")
def user(user_id: int):
    """One user: their roles in units, their account's state and audit trail, and the forms that change them."""
    return _user_page(user_id)


def _change(user_id: int, action, *args, values: dict | None = None):
    """Run one user-administration use case on the user and commit; their page with the errors (HTTP 422)
    when refused. Returns (username, result) or a response."""
    with db().unit_of_work() as uow:
        username = user_detail(uow.session, user_id, events=0)[0].username
    try:
        with db().unit_of_work(write=True) as uow:
            result = action(uow.session, current_principal(), clock().now(), username, *args)
            uow.commit()
    except FormInvalid as exc:
        return None, _user_page(user_id, exc.errors_in(is_zh()), values, status=422)
    return username, result


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@requires_role("admin")
def deactivate(user_id: int):
    """Stop the user from logging in; their open sessions end now."""
    username, result = _change(user_id, deactivate_user)
    if username is None:
        return result
    flash(_("Deactivated %(username)s; %(count)s open session(s) ended.", username=username, count=result), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@requires_role("admin")
def reactivate(user_id: int):
    """Let a deactivated user log in again."""
    username, result = _change(user_id, reactivate_user)
    if username is None:
        return result
    flash(_("Reactivated %(username)s.", username=username) if result else
          _("%(username)s is already active.", username=username), "success" if result else "info")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires_role("admin")
def reset_password(user_id: int):
    """Set the password the admin typed, or a generated one shown once; the user's sessions end."""
    password = request.form.get("password") or ""
    generated = None if password else generate_password()
    username, result = _change(user_id, change_password, password or generated)
    if username is None:
        return result
    flash(_("New password set for %(username)s; %(count)s open session(s) ended.", username=username, count=result),
          "success")
    if generated:  # shown on this response only, never kept in the cookie or a log
        return _user_page(user_id, generated=generated)
    return redirect(url_for("admin.user", user_id=user_id))


def _role_form() -> tuple[str, str]:
    role, unit = (request.form.get("role") or "").strip(), (request.form.get("unit") or "").strip()
    if len(role) > 40 or len(unit) > 20:
        raise InputRefused("role or unit too long", "角色或单位代码过长")
    return role, unit


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@requires_role("admin")
def add_role_view(user_id: int):
    """Give the user a role in a unit (it must fit the unit's level); their sessions end."""
    role, unit = _role_form()
    username, result = _change(user_id, add_role, role, unit, values={"role": role, "unit": unit})
    if username is None:
        return result
    flash(_("Role added; %(count)s open session(s) of %(username)s ended.", username=username, count=result),
          "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/roles/remove", methods=["POST"])
@requires_role("admin")
def remove_role_view(user_id: int):
    """Take a role in a unit from the user; their sessions end."""
    role, unit = _role_form()
    if role not in ASSIGNABLE_ROLES or not UNIT_CODE.fullmatch(unit):
        abort(400)
    username, result = _change(user_id, remove_role, role, unit)
    if username is None:
        return result
    flash(_("Role removed; %(count)s open session(s) of %(username)s ended.", username=username, count=result),
          "success")
    return redirect(url_for("admin.user", user_id=user_id))
