"""Shared by every page: template filters, the helpers templates see, the fields a form's page adds."""
from __future__ import annotations


from flask import render_template, request

from engine import ROLE_NAMES_ZH
from engine import DEFAULT_MAX_LENGTH, change_html_rows, html_row_layout
from engine import CalendarYearMissing, WorkingCalendar, missing_notice
from engine.errors import FormInvalid

from .auth import current_principal
from .db import clock


# The button of a list's row (add:members, remove:members:3): posted without JavaScript, see render_rows_changed.
ROWS_CONTROL = "_rows"
FORM_CONTROL_FIELDS = frozenset({"csrf_token", "village_id", "assistance_type", "submit", "request_token",
                                 ROWS_CONTROL})


def init_app(app) -> None:
    """Register the template filters and the context every page sees."""
    app.add_template_filter(mask_id_filter, "mask_id")
    app.add_template_filter(local_dt, "local_dt")
    app.context_processor(inject_helpers)



def mask_id_filter(value):
    """Mask an ID number for display."""
    from engine import mask_id_number
    return mask_id_number(value)


def local_dt(value):
    """An aware datetime as China local time text."""
    from engine import CHINA_TZ
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def inject_helpers():
    principal = current_principal()
    return {"principal": principal, "role_names": ROLE_NAMES_ZH, "remaining_workdays": remaining_workdays,
            "text_max": DEFAULT_MAX_LENGTH,  # the server's bound on a text field whose schema sets none
            "html_row_layout": html_row_layout,
            "calendar_missing_year": (missing_notice(WorkingCalendar.load(), clock().today())
                                      if principal and principal.has_role("admin") else None)}


def render_rows_changed(template: str, ctx: dict, schema):
    """The posted form again with a row more or less (a list's add/remove button without JavaScript),
    what was typed kept: nothing is validated, saved or lodged."""
    try:
        ctx["values"] = change_html_rows(schema or {}, request.form, request.form[ROWS_CONTROL])
    except FormInvalid as exc:  # a full list, or a button no page shows
        ctx["errors"] = exc.errors
        return render_template(template, **ctx), 422
    return render_template(template, **ctx)


def remaining_workdays(due_on):
    """Working days left until a due date (negative when overdue); None when unknown."""
    if due_on is None:
        return None
    try:
        return WorkingCalendar.load().workdays_between(clock().today(), due_on)
    except CalendarYearMissing:
        return None


def is_zh() -> bool:
    from .i18n import select_locale
    return select_locale() == "zh_CN"


def bound_view(view, **fixed):
    """``view`` with some arguments fixed, as a named function (CSRF exemption checks and url_for need the
    view's module and name): one rule per operation, so every operation has its own endpoint and URL."""
    def bound(**kwargs):
        return view(**fixed, **kwargs)
    bound.__module__, bound.__doc__ = view.__module__, view.__doc__
    bound.__name__ = bound.__qualname__ = "_".join([view.__name__, *(str(v).replace("-", "_") for v in fixed.values())])
    return bound
