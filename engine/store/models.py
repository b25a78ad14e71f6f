"""SQLAlchemy 2.0 typed models: places, people, log-in sessions, process versions, cases, inbox, audit."""
from __future__ import annotations

import functools
from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, MetaData, Numeric, String, Text,
    TypeDecorator, UniqueConstraint, case as sql_case, event, text, type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.functions import FunctionElement, func

from engine.store.compression import compress, decompress

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Schema version of what we store in case.state, beside SpiffWorkflow's own serializer version.
STATE_SCHEMA_VERSION = 1
# case.timer_plan: the facts of the firing as JSON, this separator, then the state after it.
PLAN_SEPARATOR = "\n"


# Percent of each "case" page filled by inserts on PostgreSQL (the rest is room for HOT updates; see Case).
CASE_FILLFACTOR = 80


class _Position(FunctionElement):
    """The 1-based position of a string in a text, 0 if absent: ``instr`` (SQLite), ``strpos`` (PostgreSQL)."""

    type = Integer()
    inherit_cache = True


@compiles(_Position)
def _position_sqlite(element, compiler, **kw):
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_Position, "postgresql")
def _position_postgresql(element, compiler, **kw):
    return f"strpos({compiler.process(element.clauses, **kw)})"


def plan_separator_at(plan):
    """SQL: where the separator is in a stored timer plan (0: a plan of the old one-object layout)."""
    return _Position(plan, PLAN_SEPARATOR)

JsonType = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both stores (SQLite keeps no zone, so we re-attach it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class CompressedText(TypeDecorator):
    """Long text written once and read whole (a workflow state, a document's body): on SQLite stored
    zlib-compressed as a BLOB with the preset dictionary of its ``kind`` (engine/store/compression.py: a state
    ~8.4 KB → ~1 KB; SQLite compresses nothing itself), on PostgreSQL as text that TOAST compresses (lz4 for the
    state, migration 0024_e). Reading takes every form, so text written by SQL (a fired plan's empty state,
    migration 0025_a's downgrade), values compressed without a dictionary and rows stored before compression
    read as they are."""

    impl = Text
    cache_ok = True

    def __init__(self, kind: str | None = None) -> None:
        super().__init__()
        self.kind = kind

    def process_bind_param(self, value, dialect):
        if value is not None and dialect.name == "sqlite":
            return compress(value, self.kind)
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, bytes):
            return decompress(value)
        return value


class Base(DeclarativeBase):
    """Declarative base with the constraint naming convention Alembic relies on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Unit(Base):
    """An administrative unit: (province →) county/district → township/street → village/community."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))  # province | county | township | village
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    parent: Mapped[Optional["Unit"]] = relationship(remote_side=[id])


class User(Base):
    """A person who logs in; holds roles in units through RoleAssignment."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When they last opened the notification centre: newer notifications count as unread.
    notifications_seen_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    roles: Mapped[list["RoleAssignment"]] = relationship(back_populates="user", lazy="selectin")


class RoleAssignment(Base):
    """A user holds a role in a unit (role × place decides what they see and do)."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id", name="role_assignment_user_role_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit] = relationship(lazy="joined")


class ProcessVersion(Base):
    """One immutable deployed version of a process; identified by its content hash."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "content_hash", name="process_version_process_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    source_path: Mapped[str] = mapped_column(String(300))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    spec_json: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict[str, Any]] = mapped_column(JsonType)
    tasks: Mapped[dict[str, Any]] = mapped_column(JsonType)  # user task facts: title, lane, form, deadline
    serializer_version: Mapped[str] = mapped_column(String(10))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Who deployed it from the designer's workbench, and why (None: `jiuzhu deploy` from the files).
    deployed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[Optional[str]] = mapped_column(Text)
    # decision id → the DMN text deployed with the version (the workbench opens it; the hash covers it)
    decisions: Mapped[Optional[dict[str, Any]]] = mapped_column(JsonType)


class ProcessDraft(Base):
    """A designer's unsaved work on a route: the BPMN as the modeler last saved it (one draft per designer and
    route). A draft runs nothing; deploying it makes a version."""

    __tablename__ = "process_draft"
    __table_args__ = (UniqueConstraint("process_id", "author_id", name="process_draft_process_author"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    based_on_version_id: Mapped[Optional[int]] = mapped_column(ForeignKey("process_version.id"))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict[str, Any]] = mapped_column(JsonType)  # form key → JSON Schema edited with the draft
    decisions: Mapped[Optional[dict[str, Any]]] = mapped_column(JsonType)  # decision id → DMN edited with it
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())


def current_state_sql(table):
    """SQL of a case's current state: its stored state, or its timer plan's tail once the plan was applied."""
    plan = table.c.timer_plan
    return type_coerce(sql_case((table.c.plan_applied, func.substr(plan, plan_separator_at(plan) + 1)),
                                else_=table.c.state), CompressedText("workflow"))


@functools.cache
def _current_state_label(table):
    """``current_state_sql`` labelled "state", built once per table (every ``Case.state`` in a statement asks)."""
    return current_state_sql(table).label("state")


def case_state(row) -> str:
    """A case's current state from a case row (ORM object or a row of ``select(CASE)``): the stored state,
    or, after a timer fired from the plan, the plan's tail."""
    if row.plan_applied:
        return row.timer_plan.split(PLAN_SEPARATOR, 1)[1]
    return row.stored_state if isinstance(row, Case) else row.state


class Case(Base):
    """One application or review cycle: its place, its workflow state and where it is."""

    __tablename__ = "case"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    process_id: Mapped[str] = mapped_column(String(100))
    assistance_type: Mapped[Optional[str]] = mapped_column(String(40))
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_id_number: Mapped[str] = mapped_column(String(18))
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))  # None: a township's own case
    status: Mapped[str] = mapped_column(String(20))  # running | completed
    outcome: Mapped[Optional[str]] = mapped_column(String(60))
    current_step: Mapped[Optional[str]] = mapped_column(String(200))
    summary: Mapped[dict[str, Any]] = mapped_column(JsonType)
    # The workflow state as written. Once a timer fired from the case's plan (``plan_applied``) the state is
    # the plan's tail (the successor state stored with it), never copied; this column then keeps the state
    # before the firing, untouched, so the firing neither rewrites nor frees its TOAST chunks. Read it through
    # ``Case.state`` (the SQL expression, or the attribute of an ORM object) or ``case_state(row)`` for a
    # row of ``select(CASE)``.
    stored_state: Mapped[str] = mapped_column("state", CompressedText("workflow"))
    # The writes that firing the next timer will call for, worked out when the timer was set (same state):
    # facts JSON, PLAN_SEPARATOR, the state after the firing. Kept after it fired, while state is ''.
    timer_plan: Mapped[Optional[str]] = mapped_column(Text)
    # True from the firing of the plan until the next write of a state (writer.state_columns clears it).
    plan_applied: Mapped[bool] = mapped_column(default=False, server_default="0")

    @hybrid_property
    def state(self) -> str:
        """The case's current workflow state (see ``stored_state``)."""
        return case_state(self)

    @state.inplace.setter
    def _state_setter(self, value: str) -> None:
        self.stored_state, self.plan_applied = value, False

    @state.inplace.expression
    @classmethod
    def _state_expression(cls):
        return _current_state_label(cls.__table__)

    @state.inplace.update_expression
    @classmethod
    def _state_update(cls, value):
        return [(cls.stored_state, value), (cls.plan_applied, False)]
    serializer_version: Mapped[str] = mapped_column(String(10))
    schema_version: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    next_due_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    timer_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    due_on: Mapped[Optional[date]] = mapped_column(Date)  # overall limit (办结时限), from acceptance
    # Working days of that limit counted from acceptance (county limit + extensions + excluded 公示), so
    # the date can be recomputed when a year's holiday notice is loaded.
    limit_workdays: Mapped[Optional[int]] = mapped_column(Integer)
    # 暂定: due_on rests on a year whose holiday notice is not loaded yet (estimated from the statutory rules).
    due_provisional: Mapped[bool] = mapped_column(default=False, server_default="0")
    extension_reason: Mapped[Optional[str]] = mapped_column(String(500))
    # The new-application form's one-time token: a second identical POST (a double click) finds this case.
    request_token: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    accepted_on: Mapped[Optional[date]] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    started_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))  # None: the scheduler
    # The household (户) the case is about; None for a township's own case (the monthly cut-off).
    household_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("household.id"), index=True)
    # "<household or person>:<type>" while an application of a type is open: unique, so two lodgings of
    # the same type for the same subject cannot both succeed, whichever commits first (cleared at the end).
    open_key: Mapped[Optional[str]] = mapped_column(String(80), unique=True)
    # 挂起: while set, nothing can be done on the case and its time limits stand still (see cases.operations).
    suspended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    suspended_reason: Mapped[Optional[str]] = mapped_column(String(500))
    # 隐私保护 (吉林: 艾滋病病人或感染者): set when a step declaring ``privacy`` records it; from then on the
    # community (村/居委会) that lodged the case no longer sees it (engine.people.scope), only the street and county.
    privacy: Mapped[bool] = mapped_column(default=False, server_default="0")

    __table_args__ = (
        Index("ix_case_county_status", "county_id", "status", "created_at"),
        Index("ix_case_township_status", "township_id", "status", "created_at"),
        Index("ix_case_village", "village_id", "created_at"),
        Index("ix_case_applicant_id_number", "applicant_id_number"),  # search by ID, the register's links
        Index("ix_case_number_pattern", "number", postgresql_ops={"number": "varchar_pattern_ops"}),
        # A county's running cases by township, read without the table (the supervisor's overdue counts).
        Index("ix_case_running_place", "county_id", "township_id", "id", postgresql_where=text("status = 'running'"),
              sqlite_where=text("status = 'running'")),
        # Room on each page for a row's next version, so that an UPDATE touching no indexed column (a timer
        # firing: next_due_at is indexed in case_timer, not here) is a HOT update and writes no index entry.
        {"postgresql_with": {"fillfactor": CASE_FILLFACTOR}},
    )


class CaseTimer(Base):
    """The due time of a case's next timer (``case.next_due_at``), kept in a table of its own so the index
    the sweep reads by time is not on "case": a firing moves the due time without writing an entry in each
    of the case's indexes (on PostgreSQL its UPDATE is then HOT). Written only by the triggers in
    CASE_TIMER_DDL, from every INSERT and UPDATE of case.next_due_at; a case's row goes with the case."""

    __tablename__ = "case_timer"
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

# The triggers that keep case_timer equal to case.next_due_at (schema revision 0029_a). PostgreSQL: one
# statement-level trigger for inserts (a bulk load sends one statement), a row trigger for updates that
# fires only when the due time changes (decided in C, so other updates of a case pay nothing).
CASE_TIMER_DDL = {
    "postgresql": [
        """CREATE FUNCTION case_timer_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO case_timer (case_id, due_at) SELECT id, next_due_at FROM inserted WHERE next_due_at IS NOT NULL;
  RETURN NULL;
END $$""",
        """CREATE FUNCTION case_timer_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.next_due_at IS NULL THEN
    DELETE FROM case_timer WHERE case_id = NEW.id;
  ELSE
    INSERT INTO case_timer (case_id, due_at) VALUES (NEW.id, NEW.next_due_at)
      ON CONFLICT (case_id) DO UPDATE SET due_at = EXCLUDED.due_at;
  END IF;
  RETURN NULL;
END $$""",
        'CREATE TRIGGER case_timer_insert AFTER INSERT ON "case" REFERENCING NEW TABLE AS inserted '
        "FOR EACH STATEMENT EXECUTE FUNCTION case_timer_inserted()",
        'CREATE TRIGGER case_timer_update AFTER UPDATE OF next_due_at ON "case" FOR EACH ROW '
        "WHEN (OLD.next_due_at IS DISTINCT FROM NEW.next_due_at) EXECUTE FUNCTION case_timer_moved()",
    ],
    "sqlite": [
        'CREATE TRIGGER case_timer_insert AFTER INSERT ON "case" WHEN NEW.next_due_at IS NOT NULL BEGIN '
        "INSERT INTO case_timer (case_id, due_at) VALUES (NEW.id, NEW.next_due_at); END",
        'CREATE TRIGGER case_timer_update AFTER UPDATE OF next_due_at ON "case" '
        "WHEN OLD.next_due_at IS NOT NEW.next_due_at BEGIN "
        "DELETE FROM case_timer WHERE case_id = NEW.id; "
        "INSERT INTO case_timer (case_id, due_at) SELECT NEW.id, NEW.next_due_at WHERE NEW.next_due_at IS NOT NULL; "
        "END",
    ],
}


@event.listens_for(CaseTimer.__table__, "after_create")
def _case_timer_triggers(table, connection, **kw) -> None:
    """``metadata.create_all`` (a scratch store) gets the triggers the migrations create."""
    for statement in CASE_TIMER_DDL.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


class HumanTask(Base):
    """An inbox row: one READY user task, rewritten in the same transaction as the state."""

    __tablename__ = "human_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"), index=True)
    task_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    form_key: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # open | completed | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[Optional[date]] = mapped_column(Date)
    # 暂定: due_on rests on a year whose holiday notice is not loaded yet (estimated from the statutory rules).
    due_provisional: Mapped[bool] = mapped_column(default=False, server_default="0")
    reminded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    completed_by: Mapped[Optional[User]] = relationship(lazy="raise", foreign_keys=[completed_by_id])
    # 认领: the one person of the (role, unit) who holds the task; only they complete it (None: the shared queue).
    claimed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    claimed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    # 委派: the colleague who fills the task in for its holder (delegated_by_id) and returns it; only they act
    # on it meanwhile.
    delegated_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    delegated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))

    __table_args__ = (
        Index("ix_human_task_inbox", "role", "unit_id", "created_at",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        Index("ix_human_task_urgency", "role", "unit_id", "due_on", "created_at",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        Index("ix_human_task_due", "due_on", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'")),
        # A case's open tasks and their due dates (is it overdue? the supervisor's list asks per case).
        Index("ix_human_task_open_case", "case_id", "due_on", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'")),
    )


class TaskCosigner(Base):
    """加签/会签: a colleague who must sign off an open task (an opinion) before it may be completed."""

    __tablename__ = "task_cosigner"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    opinion: Mapped[Optional[str]] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("task_id", "user_id", name="task_cosigner_once"),)


class StandingProxy(Base):
    """代理: while ``user_id`` is away (from ``starts_on`` to ``ends_on``, both included) ``proxy_id``, a
    colleague of the same role and unit, acts on the tasks held by them in that (role, unit)."""

    __tablename__ = "standing_proxy"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    proxy_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())


class CaseEvent(Base):
    """The audit trail: who did what to a case, when, with what data."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    task_name: Mapped[Optional[str]] = mapped_column(String(100))
    title: Mapped[Optional[str]] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)

    __table_args__ = (Index("ix_case_event_case_at", "case_id", "id"),
                      Index("ix_case_event_at", "at"))  # the county's operation log, newest first


class Document(Base):
    """A numbered document (文书) issued by a step and kept with the case."""

    __tablename__ = "document"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    number: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(CompressedText("document"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The human task whose completion issued it: undoing that completion (退回, 撤回, a 公示 objection
    # reopening the investigation) voids it (作废) with who, when and why; it is kept, never deleted.
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    voided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    voided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    voided_reason: Mapped[Optional[str]] = mapped_column(String(500))


class Recipient(Base):
    """A benefit (在册救助) of a household or one of its members: registered when a case grants it,
    reviewed periodically, adjusted or stopped by dynamic-management cases; a one-off payment (临时救助)
    is registered as ``paid``. Source of the monthly report, the payment roll and the dossier."""

    __tablename__ = "recipient"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    assistance_type: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id"), unique=True)  # the granting case
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_id_number: Mapped[str] = mapped_column(String(18))
    household_size: Mapped[int] = mapped_column(Integer)
    monthly_amount: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))
    payment_from: Mapped[date] = mapped_column(Date)
    stopped_from: Mapped[Optional[date]] = mapped_column(Date)
    review_class: Mapped[str] = mapped_column(String(1))
    next_review_on: Mapped[date] = mapped_column(Date)
    review_case_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("case.id"))
    status: Mapped[str] = mapped_column(String(20))  # active | stopped | paid (a one-off payment)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    household_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("household.id"), index=True)
    person_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("person.id"), index=True)  # the beneficiary
    payment: Mapped[str] = mapped_column(String(10), default="monthly", server_default="monthly")  # monthly | once
    care_level: Mapped[Optional[str]] = mapped_column(String(40))  # 特困: 全自理 / 半护理 / 全护理
    category: Mapped[Optional[str]] = mapped_column(String(40))  # within the type, as the route declares: 特困 孤儿
    # 社会化发放 (57号第二十五条): the account paid into, and who keeps it — self, family, or village/township
    # staff (代管, which needs a written agreement filed with the county, 第二十六条).
    payment_account: Mapped[Optional[str]] = mapped_column(String(40))
    account_keeper: Mapped[Optional[str]] = mapped_column(String(20))
    # 代领人: who collects the benefit on the recipient's behalf, when the application names one (ID masked
    # wherever shown; nobody recorded as dead).
    collector_name: Mapped[Optional[str]] = mapped_column(String(50))
    collector_id_number: Mapped[Optional[str]] = mapped_column(String(18))
    # "<h|p><id>:<type>" while the benefit is active: one active benefit of a type per subject, in the database.
    active_key: Mapped[Optional[str]] = mapped_column(String(80), unique=True)

    __table_args__ = (
        Index("ix_recipient_review_due", "next_review_on", postgresql_where=text("status = 'active'"),
              sqlite_where=text("status = 'active'")),
        Index("ix_recipient_county_type", "county_id", "assistance_type", "status"),
        Index("ix_recipient_county_review", "county_id", "status", "next_review_on", "review_case_id"),
        # The benefit a review is running for (apply_outcome, release_review): only linked rows are indexed.
        Index("ix_recipient_review_case", "review_case_id", postgresql_where=text("review_case_id IS NOT NULL"),
              sqlite_where=text("review_case_id IS NOT NULL")),
    )


class RecipientChange(Base):
    """The history of a benefit: registered, amount or class changed, continued, stopped (who, when, why)."""

    __tablename__ = "recipient_change"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(BigId, ForeignKey("recipient.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("case.id"))
    effect: Mapped[str] = mapped_column(String(20))  # register | update | continue | stop | review_ended
    on: Mapped[date] = mapped_column(Date)
    monthly_amount: Mapped[Optional[float]] = mapped_column(Numeric(12, 2, asdecimal=False))
    review_class: Mapped[Optional[str]] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    # The dashboard job's approved / refused tests look a case's changes up by case (an index, not a scan
    # of the register's history per case).
    __table_args__ = (Index("ix_recipient_change_case", "case_id", "effect"),)


class Household(Base):
    """A household (户, 一户一档): its place and address. Its members are people whose ``household_id``
    is this one; ``HouseholdEvent`` keeps who joined and left when."""

    __tablename__ = "household"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 户编号: village code + sequence
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    address: Mapped[Optional[str]] = mapped_column(String(200))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    head_id: Mapped[Optional[int]] = mapped_column(BigId)  # the person who heads it (户主 / 申请人)
    # A privacy case of this household was recorded: its file, members and scans are hidden from the village.
    privacy: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_household_village", "village_id"), Index("ix_household_county", "county_id", "id"),
                      Index("ix_household_address", "county_id", "address"))


class Person(Base):
    """A person known to the registry, in at most one household at a time. Sex and birth date come from
    the ID number; the place columns are the household's, kept here so scoped search needs no join."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    id_tail: Mapped[str] = mapped_column(String(6))  # last six characters, for "search by last digits"
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[Optional[str]] = mapped_column(String(1))  # M | F
    birth_date: Mapped[Optional[date]] = mapped_column(Date)
    household_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("household.id"), index=True)
    relation: Mapped[Optional[str]] = mapped_column(String(20))  # to the applicant/head: self, spouse, child …
    disability_level: Mapped[Optional[str]] = mapped_column(String(10))
    hukou_place: Mapped[Optional[str]] = mapped_column(String(200))      # 户籍地
    residence_place: Mapped[Optional[str]] = mapped_column(String(200))  # 居住地
    county_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_person_county_name", "county_id", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
        Index("ix_person_county_tail", "county_id", "id_tail"),
    )


class HouseholdEvent(Base):
    """The household's history: a member joined or left (with the date and the case that recorded it)."""

    __tablename__ = "household_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    household_id: Mapped[int] = mapped_column(BigId, ForeignKey("household.id", ondelete="CASCADE"))
    person_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(20))  # created | joined | left | changed | died | archived
    on: Mapped[date] = mapped_column(Date)
    case_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("case.id"))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType)

    __table_args__ = (
        Index("ix_household_event_household", "household_id", "id"),
        # Whether a person is recorded as dead (registry.died_on_of): lodgings and the window refuse them.
        Index("ix_household_event_died", "person_id", postgresql_where=text("kind = 'died'"),
              sqlite_where=text("kind = 'died'")),
    )


class EconomicRecord(Base):
    """One statement of a household's economic situation (家庭经济状况): what it declared at lodging or
    what a check found (source, report number, date), with incomes by member and source, assets, and
    until when it is valid. The latest valid record is where the next application of any type starts."""

    __tablename__ = "economic_record"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    household_id: Mapped[int] = mapped_column(BigId, ForeignKey("household.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # declaration | verification
    # 申请人申报, 省核对平台, 区社会救助中心, 入户调查, 邻里访问, 信函索证
    source: Mapped[str] = mapped_column(String(40))
    report_number: Mapped[Optional[str]] = mapped_column(String(60))
    result: Mapped[Optional[str]] = mapped_column(String(40))  # eligible | ineligible | … (a check's finding)
    findings: Mapped[Optional[str]] = mapped_column(Text)
    checked_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    incomes: Mapped[list[Any]] = mapped_column(JsonType)  # [{person_id, name, source, monthly}]
    assets: Mapped[dict[str, Any]] = mapped_column(JsonType)  # housing, vehicles, deposits, securities, note
    monthly_income: Mapped[Optional[float]] = mapped_column(Numeric(12, 2, asdecimal=False))  # the household's total
    household_size: Mapped[Optional[int]] = mapped_column(Integer)
    case_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("case.id"))
    task_name: Mapped[Optional[str]] = mapped_column(String(100))
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_economic_record_household", "household_id", "checked_on"),)


class Attachment(Base):
    """A scan (申请材料) uploaded to a household, an application or one of its steps. The bytes are stored
    content-addressed (by SHA-256) outside the static root; the place columns scope who may fetch it."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(40))  # sniffed from the content, never the file name
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for display only
    material: Mapped[str] = mapped_column(String(40))  # 户口簿, 身份证, 收入证明 … (checklist key)
    household_id: Mapped[int] = mapped_column(BigId, ForeignKey("household.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"), index=True)
    task_name: Mapped[Optional[str]] = mapped_column(String(100))
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseFlag(Base):
    """A duplicate or overlap found for a case (another benefit, a repeated 临时救助): shown to the approver,
    whose decision on it (proceed or not, and why) is recorded here."""

    __tablename__ = "case_flag"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # excluded_combination | limited_combination | repeat
    rule: Mapped[str] = mapped_column(String(60))  # the rule's key in processes/overlaps.toml
    message: Mapped[str] = mapped_column(String(500))
    other_case_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("case.id"))
    other_recipient_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("recipient.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decision: Mapped[Optional[str]] = mapped_column(String(20))  # proceed | refuse
    decision_note: Mapped[Optional[str]] = mapped_column(String(500))
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())


class PanelMeeting(Base):
    """One review-panel (评审小组) meeting: several cases decided, one signed record."""

    __tablename__ = "panel_meeting"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    chaired_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attendees: Mapped[str] = mapped_column(String(500))
    record: Mapped[dict[str, Any]] = mapped_column(JsonType)   # each case: decision, votes, opinion
    signature: Mapped[str] = mapped_column(String(64))         # sha256 of the record, chair and time


class SupervisionItem(Base):
    """A 督办 item: an overdue task raised to the county supervisor (one per task)."""

    __tablename__ = "supervision_item"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), ForeignKey("human_task.id", ondelete="CASCADE"), unique=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"))
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    step: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_supervision_item_county", "county_id", "resolved_at"),)


class Notification(Base):
    """An in-app message to the holders of a (role, unit): reminders before a task falls due."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    role: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    case_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"))
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    # Addressed to one person (a task reassigned to them) rather than to everyone of the (role, unit).
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    # The Chinese text as written; with ``params`` (its values by name) the page renders the kind's text in the
    # reader's language (webapp.notification_texts). Rows from before 0023 have no params: their message is shown.
    message: Mapped[str] = mapped_column(String(500))
    params: Mapped[Optional[dict[str, Any]]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_notification_role_unit", "role", "unit_id", "created_at"),
                      UniqueConstraint("task_id", "kind", name="notification_task_kind"))


class Incident(Base):
    """Work the scheduler could not do after its retries; an admin sees and retries it."""

    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())


class Sequence(Base):
    """Per-key counters for case numbers and document numbers (文号)."""

    __tablename__ = "number_sequence"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class LoginSession(Base):
    """A server-side log-in session. The cookie carries a random token; this row is keyed by its SHA-256,
    holds the principal loaded once at log-in, and is revoked at log-out, deactivation, password or role change."""

    __tablename__ = "login_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    principal: Mapped[dict[str, Any]] = mapped_column(JsonType)
    address: Mapped[Optional[str]] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())  # updated at most once a minute
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[Optional[str]] = mapped_column(String(40))


class LoginThrottle(Base):
    """Failed log-ins of one account name or one client address, and until when further tries are refused."""

    __tablename__ = "login_throttle"
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)  # account | address
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    locked: Mapped[bool] = mapped_column(default=False)  # a lock (until an admin unlocks or it ends), not a backoff


class SecurityEvent(Base):
    """The security audit trail: log-in throttling and locks, unlocks, user administration."""

    __tablename__ = "security_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    username: Mapped[Optional[str]] = mapped_column(String(64))  # the account concerned
    address: Mapped[Optional[str]] = mapped_column(String(45))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType)


class IdReveal(Base):
    """One view or download of full ID numbers: who, when, what, how many rows, of which county."""

    __tablename__ = "id_reveal"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[str] = mapped_column(String(40))  # payment_roll
    description: Mapped[str] = mapped_column(String(200))
    row_count: Mapped[int] = mapped_column(Integer)
    address: Mapped[Optional[str]] = mapped_column(String(45))

    __table_args__ = (Index("ix_id_reveal_county_at", "county_id", "at"),)


# The supervisor's dashboard reads only these summary tables, rewritten by the scheduler's dashboard job
# (engine.oversight.dashboard.refresh): a page view never scans the cases.

class DashCaseMonth(Base):
    """Cases of one township, assistance type and month of lodging: how many, how they ended, how fast."""

    __tablename__ = "dash_case_month"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_id: Mapped[int] = mapped_column(Integer)
    township_id: Mapped[int] = mapped_column(Integer)
    assistance_type: Mapped[str] = mapped_column(String(40))  # "" for a case without a type
    month: Mapped[date] = mapped_column(Date)  # first day of the month the case was lodged
    running: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)  # completed on or before the overall limit (or without one)
    approved: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
    decision_days: Mapped[int] = mapped_column(BigInteger)  # sum over completed cases of days lodged → done

    __table_args__ = (Index("ix_dash_case_month_county", "county_id", "month"),)


class DashBacklog(Base):
    """Open tasks now, per township, type and step, with how many are overdue."""

    __tablename__ = "dash_backlog"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_id: Mapped[int] = mapped_column(Integer, index=True)
    township_id: Mapped[int] = mapped_column(Integer)
    assistance_type: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(200))
    open: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)


class DashStepTime(Base):
    """Time spent in one user task of one process version in a county: completed tasks' median and 90th
    percentile (hours), and how many wait there now."""

    __tablename__ = "dash_step_time"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_id: Mapped[int] = mapped_column(Integer, index=True)
    process_version_id: Mapped[int] = mapped_column(Integer)
    task_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    completed: Mapped[int] = mapped_column(Integer)
    median_hours: Mapped[Optional[float]] = mapped_column(Numeric(12, 2, asdecimal=False))
    p90_hours: Mapped[Optional[float]] = mapped_column(Numeric(12, 2, asdecimal=False))
    waiting: Mapped[int] = mapped_column(Integer)


class DashTownship(Base):
    """A township's supervision figures now: overdue tasks, open 督办 items, periodic reviews."""

    __tablename__ = "dash_township"
    township_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_id: Mapped[int] = mapped_column(Integer, index=True)
    overdue_tasks: Mapped[int] = mapped_column(Integer)
    supervision_open: Mapped[int] = mapped_column(Integer)
    reviews_due: Mapped[int] = mapped_column(Integer)
    reviews_running: Mapped[int] = mapped_column(Integer)
    reviews_done: Mapped[int] = mapped_column(Integer)  # review outcomes recorded this calendar year


class DashRefresh(Base):
    """When the dashboard's tables were last rewritten, and how long it took (one row)."""

    __tablename__ = "dash_refresh"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)


class SavedFilter(Base):
    """A named filter of a list: the supervisor's case list of the county (``kind`` "cases": shared ones are
    offered to every supervisor of the county) or a clerk's inbox ("inbox": shared ones to every colleague of
    ``unit_id``)."""

    __tablename__ = "saved_filter"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[str] = mapped_column(String(20), default="cases", server_default="cases")
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))  # an inbox filter's unit
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[dict[str, Any]] = mapped_column(JsonType)  # the list's query parameters, validated on save
    shared: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_saved_filter_county", "county_id", "shared"),
                      Index("ix_saved_filter_unit", "unit_id", "kind", "shared"),
                      UniqueConstraint("owner_id", "name", name="saved_filter_owner_name"))


class SchedulerRun(Base):
    """When each scheduler job last finished and how long it took (one row per job; /healthz, /metrics)."""

    __tablename__ = "scheduler_run"
    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)

# --- the one-window intake (一门受理、协同办理, seed 001): registrations, their items, 督办 of referrals ---
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
    # An open referral ended without the department's answer: its only subject died (engine.cases.deaths).
    ended_on: Mapped[Optional[date]] = mapped_column(Date)
    end_reason: Mapped[Optional[str]] = mapped_column(Text)

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


class WindowCharityReferral(Base):
    """A 转介: the window refers the applicant to a charity's or social organisation's project, and records its
    feedback."""

    __tablename__ = "window_charity_referral"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    registration_id: Mapped[int] = mapped_column(BigId, ForeignKey("window_registration.id", ondelete="CASCADE"),
                                                 index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    organisation: Mapped[str] = mapped_column(String(100))
    project: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    note: Mapped[Optional[str]] = mapped_column(Text)
    referred_on: Mapped[date] = mapped_column(Date)
    referred_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    feedback: Mapped[Optional[str]] = mapped_column(Text)
    fed_back_on: Mapped[Optional[date]] = mapped_column(Date)


class SamplingRun(Base):
    """A county's monthly 抽查 of the approvals its townships decided under delegation in a month: the share,
    the seed, the population drawn from and the cases chosen, so anyone can redo the draw."""

    __tablename__ = "sampling_run"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    month: Mapped[str] = mapped_column(String(7))             # the month the approvals were decided in, YYYY-MM
    share: Mapped[float] = mapped_column(Numeric(4, 3, asdecimal=False))
    seed: Mapped[str] = mapped_column(String(40))             # "<county code>:<YYYY-MM>"
    population: Mapped[list[str]] = mapped_column(JsonType)   # case numbers eligible, in the order drawn from
    selected: Mapped[list[str]] = mapped_column(JsonType)     # case numbers chosen
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("uq_sampling_run_county_month", "county_id", "month", unique=True),)


class SupervisionReview(Base):
    """A county review of a case: a 抽查 of a township's approval, or the county 入户调查 that a 投诉/举报 during
    审核确认 calls for (57号第二十条②). The review is its own case on the county's review route."""

    __tablename__ = "supervision_review"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))             # sampling | complaint
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id", ondelete="CASCADE"), index=True)
    review_case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case.id"), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    run_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("sampling_run.id"))
    # "sampled:<case id>" for a 抽查: unique, so no case is ever sampled twice; None for a complaint.
    sample_key: Mapped[Optional[str]] = mapped_column(String(40), unique=True)
    complaint_kind: Mapped[Optional[str]] = mapped_column(String(20))  # complaint 投诉 | report 举报
    complaint: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))  # None: the scheduler

    __table_args__ = (Index("ix_supervision_review_county", "county_id", "kind", "created_at"),)


class CountyRuleEntry(Base):
    """A dated county rule entry an admin added in the browser, laid over processes/counties.toml: a delegation
    model (``kind`` model) or the parameters (``kind`` rules) of a county or one township from a date, with the
    source or assumption of each value (inside ``entry``, as the file writes them) and the change note. Never
    deleted: an entry is retired from a date (``retired_from``), and the entry before it is in force again."""

    __tablename__ = "county_rule_entry"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    township_code: Mapped[Optional[str]] = mapped_column(String(9))
    kind: Mapped[str] = mapped_column(String(10))                  # model | rules
    effective_from: Mapped[date] = mapped_column(Date)
    entry: Mapped[dict[str, Any]] = mapped_column(JsonType)        # the values as counties.toml writes an entry
    note: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_from: Mapped[Optional[date]] = mapped_column(Date)
    retired_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    retired_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    retire_note: Mapped[Optional[str]] = mapped_column(Text)


class JointReviewProject(Base):
    """A department's planned assistance project for a year with its budget (seed 004 三(六)): submitted by
    its liaison, initially reviewed by the 联席会议办公室 (county 民政), decided at a joint review meeting."""

    __tablename__ = "joint_review_project"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    beneficiaries: Mapped[Optional[int]] = mapped_column(Integer)     # planned number of people helped
    budget: Mapped[float] = mapped_column(Numeric(14, 2, asdecimal=False))          # requested, 元
    status: Mapped[str] = mapped_column(String(20))   # submitted | returned | passed | approved | rejected
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    review_note: Mapped[Optional[str]] = mapped_column(Text)          # the office's initial review
    meeting_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("joint_review_meeting.id"))
    approved_budget: Mapped[Optional[float]] = mapped_column(Numeric(14, 2, asdecimal=False))

    __table_args__ = (Index("ix_joint_review_project_place", "county_id", "year", "department", "status"),)


class JointReviewMeeting(Base):
    """One 联席会议 joint review (会审): every member unit's opinion and the decision on each project, one
    signed record, and the report to the county (district) government as issued."""

    __tablename__ = "joint_review_meeting"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)        # the record's number
    report_number: Mapped[str] = mapped_column(String(60), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    chaired_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attendees: Mapped[str] = mapped_column(String(500))
    record: Mapped[dict[str, Any]] = mapped_column(JsonType)   # members present; per project opinions, decision
    signature: Mapped[str] = mapped_column(String(64))         # sha256 of the record, chair and time
    report: Mapped[str] = mapped_column(Text)                  # the 专题汇报 to the government, as issued


class JointReviewEvent(Base):
    """The audit trail of the joint review: who submitted, reviewed or decided what, and when."""

    __tablename__ = "joint_review_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    project_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("joint_review_project.id"), index=True)
    meeting_id: Mapped[Optional[int]] = mapped_column(BigId, ForeignKey("joint_review_meeting.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(30))   # submitted | resubmitted | passed | returned | decided
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType)
