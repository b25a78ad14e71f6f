"""Shared by every page: template filters, the helpers templates see, the fields a form's page adds."""
from __future__ import annotations


from engine import ROLE_NAMES_ZH
from engine import DEFAULT_MAX_LENGTH
from engine import CalendarYearMissing, WorkingCalendar, missing_notice

from .auth import current_principal
from .db import clock


FORM_CONTROL_FIELDS = frozenset({"csrf_token", "village_id", "assistance_type", "submit", "request_token"})


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
            "calendar_missing_year": (missing_notice(WorkingCalendar.load(), clock().today())
                                      if principal and principal.has_role("admin") else None)}


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
