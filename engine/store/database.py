"""Database engines, sessions and the unit of work.

The caller owns the transaction: one unit of work per request, per scheduler
batch, per CLI command, committed once by that caller; use cases never commit.
Nothing is created at import time.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.store.memo import watch_engines
from engine.store.sessions import UnitSession

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "instance" / "jiuzhu.sqlite3"


def default_database_url() -> str:
    """The embedded SQLite store used when DATABASE_URL is not set."""
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and route them to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


SQLITE_PAGE_SIZE = 16384


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers run beside one writer; NORMAL is durable across app crashes.
    cursor = dbapi_connection.cursor()
    # A new store's pages are 16 KB (SQLite's default is 4 KB): a case row rewritten at every step leaves
    # less of a page empty, and more rows share one (issue 14). Only a file with no table yet takes it; an
    # existing store keeps its page size (a restore brings the backup's).
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _begin(conn) -> None:
    # A writing unit of work takes the write lock at BEGIN, so two writers queue
    # (busy_timeout) instead of one failing when its read snapshot goes stale. The
    # option comes from the writers' engine, so it holds for every transaction of
    # the session, not only its first.
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_json_text = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine for the given URL (default: the embedded SQLite file)."""
    url = normalise_url(url or default_database_url())
    # Statement parameters (ID numbers among them) stay out of error messages and echo logs.
    kwargs.setdefault("hide_parameters", True)
    # JSON columns as UTF-8, not \uXXXX escapes: a Chinese name or address stored in half the bytes (SQLite keeps
    # the text as written; PostgreSQL's JSONB is the same either way).
    kwargs.setdefault("json_serializer", _json_text)
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "isolation_level": None}, **kwargs)
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # No parallel query: every statement of a page reads a few thousand index entries at most, and starting
    # parallel workers costs more than that (over 100 ms a statement on a loaded 2-core server, measured by
    # bench/province.py). JIUZHU_PG_PARALLEL_WORKERS allows them (e.g. for a big server's scheduler).
    workers = int(os.environ.get("JIUZHU_PG_PARALLEL_WORKERS") or 0)
    kwargs.setdefault("connect_args", {"options": f"-c max_parallel_workers_per_gather={workers}"})
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkin", _note_idle)
        event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
    return engine


# A pooled connection idle this long is pinged before use (a server restart or a proxy's idle cut would have
# closed it); one used less than this ago is not: a request opens two or three units of work, and SQLAlchemy's
# pool_pre_ping would send a round trip before each. A connection lost within the window fails its statement,
# SQLAlchemy invalidates the pool on that disconnect, and the next unit of work connects afresh.
PING_AFTER_IDLE_S = float(os.environ.get("JIUZHU_PG_PING_AFTER_IDLE_S") or 10)


def _note_idle(_dbapi_connection, record) -> None:
    record.info["jiuzhu_idle_since"] = time.monotonic()


def _ping_if_idle(dialect, dbapi_connection, record, _proxy) -> None:
    since = record.info.get("jiuzhu_idle_since")
    if since is not None and time.monotonic() - since < PING_AFTER_IDLE_S:
        return
    try:
        alive = dialect.do_ping(dbapi_connection)
    except Exception as exc:  # the pool retries the checkout with a new connection
        raise DisconnectionError("the pooled connection did not answer") from exc
    if alive is False:
        raise DisconnectionError("the pooled connection did not answer")


def is_postgres(engine: Engine) -> bool:
    """True when the store is PostgreSQL (row locks with SKIP LOCKED available)."""
    return engine.dialect.name == "postgresql"


class ReadOnlyUnitOfWork(RuntimeError):
    """commit() was called on a unit of work opened for reading."""


class UnitOfWork:
    """One unit of work: use cases run on ``session``; the caller keeps their writes with ``commit()``.

    Leaving the ``with`` block without ``commit()``, or by an exception, rolls
    everything back. A unit of work may commit more than once (a scheduler job,
    batch by batch); each commit ends a transaction and the next statement begins
    a new one, with the same write intent.
    """

    def __init__(self, session: Session, write: bool) -> None:
        self.session = session
        self.write = write

    def commit(self) -> None:
        """Make the work so far durable, as one transaction."""
        if not self.write:
            raise ReadOnlyUnitOfWork("a reading unit of work cannot commit; open it with write=True")
        self.session.commit()


class Database:
    """An engine plus its session factories; one per app, scheduler or CLI process.

    Two session factories share one connection pool. Writers: on SQLite every
    transaction begins with BEGIN IMMEDIATE (the write lock from the start); on
    PostgreSQL an ordinary READ COMMITTED transaction whose use cases lock the
    rows they change (FOR UPDATE). Readers: on SQLite a deferred BEGIN (readers
    never wait for the write lock); on PostgreSQL a READ ONLY transaction, so a
    reading unit of work cannot write even by mistake.
    """

    def __init__(self, url: str | None = None, **engine_kwargs) -> None:
        self.engine = make_engine(url, **engine_kwargs)
        watch_engines()
        writing, reading = ({}, {"postgresql_readonly": True}) if self.is_postgres else ({"sqlite_immediate": True}, {})
        factory = partial(sessionmaker, class_=UnitSession, expire_on_commit=False, autoflush=False)
        self._writers = factory(self.engine.execution_options(**writing))
        self._reading_engine = self.engine.execution_options(**reading)
        self._readers = factory(self._reading_engine)

    @property
    def is_postgres(self) -> bool:
        """True when backed by PostgreSQL."""
        return is_postgres(self.engine)

    @contextmanager
    def unit_of_work(self, write: bool = False) -> Iterator[UnitOfWork]:
        """``with db.unit_of_work(write=True) as uow: ...; uow.commit()`` — nothing is kept without commit().

        ``write=False`` (reading) refuses ``commit()``.
        """
        session = (self._writers if write else self._readers)()
        try:
            yield UnitOfWork(session, write)
        finally:
            # close() rolls back whatever was not committed; unlike rollback() it
            # leaves loaded objects readable (detached, not expired).
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A Core connection in a reading transaction (as a reading unit of work's), for one lone read that
        loads no ORM object — the log-in session row at every request — without building a Session; the
        transaction is rolled back at the end."""
        with self._reading_engine.connect() as connection:
            yield connection

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
