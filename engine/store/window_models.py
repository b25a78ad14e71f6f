"""Tables of the one-window intake (一门受理、协同办理, seed 001): registrations, their items (a 民政 case or a
referral to a department's liaison) and the 督办 items of overdue referrals. Imported by engine.store.models,
so they share its metadata."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base, BigId, UTCDateTime


class WindowRegistration(Base):
    """One 受理登记 at a township window or a village service point: who asked, for which household, what
    difficulty they met; the clerk who registered it owns the follow-up (首问负责人)."""

    __tablename__ = "window_registration"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)   # the 受理单's number
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    household_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("household.id"), index=True)
    point: Mapped[str] = mapped_column(String(20))                  # township_window | village_point
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_id_number: Mapped[str] = mapped_column(String(18), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(200))
    difficulty: Mapped[str] = mapped_column(Text)                   # 遭遇困难情况
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registered_on: Mapped[date] = mapped_column(Date)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    receipt: Mapped[str] = mapped_column(Text)                      # the 社会救助申请受理单 as issued

    __table_args__ = (Index("ix_window_registration_place", "county_id", "township_id", "registered_on"),)


class WindowItem(Base):
    """One item requested in a registration: a 民政 item's case, or another department's referral (转办) with
    its working-day deadlines, the department's answers and the feedback dates."""

    __tablename__ = "window_item"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    registration_id: Mapped[int] = mapped_column(BigId, ForeignKey("window_registration.id", ondelete="CASCADE"),
                                                 index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    item_name: Mapped[str] = mapped_column(String(60))
    department: Mapped[str] = mapped_column(String(40))
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(String(30))
    case_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("case.id", ondelete="SET NULL"))
    note: Mapped[Optional[str]] = mapped_column(Text)               # 一次性告知, 政策解释, a refused duplicate
    referred_on: Mapped[Optional[date]] = mapped_column(Date)
    referral_due_on: Mapped[Optional[date]] = mapped_column(Date)
    transfer_number: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    transfer: Mapped[Optional[str]] = mapped_column(Text)          # the 社会救助申请转办单 as issued
    notice_due_on: Mapped[Optional[date]] = mapped_column(Date)    # not eligible: notice and feedback by then
    initial_due_on: Mapped[Optional[date]] = mapped_column(Date)   # eligible: initial check and handling by then
    answered_on: Mapped[Optional[date]] = mapped_column(Date)
    answer_note: Mapped[Optional[str]] = mapped_column(Text)
    finish_due_on: Mapped[Optional[date]] = mapped_column(Date)    # the item's own limit after the initial answer
    finished_on: Mapped[Optional[date]] = mapped_column(Date)
    result: Mapped[Optional[str]] = mapped_column(Text)
    feedback_due_on: Mapped[Optional[date]] = mapped_column(Date)
    fed_back_on: Mapped[Optional[date]] = mapped_column(Date)
    due_on: Mapped[Optional[date]] = mapped_column(Date)           # the open referral's current deadline
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))

    __table_args__ = (Index("ix_window_item_department", "department", "county_id", "status"),
                      Index("ix_window_item_due", "status", "due_on"))


class WindowSupervisionItem(Base):
    """A 督办 item of the county 民政: a referral past its deadline (one per referral and deadline)."""

    __tablename__ = "window_supervision_item"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    window_item_id: Mapped[int] = mapped_column(BigId, ForeignKey("window_item.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))                 # initial | finish
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    department: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_window_supervision_item_county", "county_id", "resolved_at"),
                      Index("uq_window_supervision_item_stage", "window_item_id", "stage", unique=True))
