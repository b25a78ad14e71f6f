"""Database engines, sessions and the unit of work.

One session per request, per scheduler job, per CLI command; nothing is
created at import time.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
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


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers run beside one writer; NORMAL is durable across app crashes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _begin(conn) -> None:
    # A writing unit of work takes the write lock at BEGIN, so two writers queue
    # (busy_timeout) instead of one failing when its read snapshot goes stale.
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine for the given URL (default: the embedded SQLite file)."""
    url = normalise_url(url or default_database_url())
    # Statement parameters (ID numbers among them) stay out of error messages and echo logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "isolation_level": None}, **kwargs)
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def is_postgres(engine: Engine) -> bool:
    """True when the store is PostgreSQL (row locks with SKIP LOCKED available)."""
    return engine.dialect.name == "postgresql"


class Database:
    """An engine plus its session factory; one per app, scheduler or CLI process."""

    def __init__(self, url: str | None = None, **engine_kwargs) -> None:
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @property
    def is_postgres(self) -> bool:
        """True when backed by PostgreSQL."""
        return is_postgres(self.engine)

    @contextmanager
    def unit_of_work(self, write: bool = False) -> Iterator[Session]:
        """A session that rolls back unless the use case commits it.

        ``write=True`` declares the intent to write: on SQLite the write lock is
        taken when the transaction begins.
        """
        session = self.sessions()
        if write and not self.is_postgres:
            session.connection(execution_options={"sqlite_immediate": True})
        try:
            yield session
        finally:
            # close() rolls back whatever was not committed; unlike rollback() it
            # leaves loaded objects readable (detached, not expired).
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
