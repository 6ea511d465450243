"""PostgreSQL, the scale-out backend: engines, loads, the served database and what its errors mean to a client.

Imported only when a PostgreSQL URL is given (``backend.backend_for``), so psycopg is needed only then. The app
reads PostgreSQL in read-only ``REPEATABLE READ`` transactions (one snapshot per request, so a load committed
meanwhile never shows half) under a ``statement_timeout``; the loader publishes in one transaction. Full-text
SQL is in ``app/fts.py``.
"""

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg
from fastapi import FastAPI, Request, Response
from sqlalchemy import URL, Connection, Engine, create_engine, delete, func, make_url, pool, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, SQLModel

from app.backend import LoadError
from app.db import Totals, unavailable
from app.models import DatasetInfo
from app.problems import ProblemError
from app.schema import migrate
from app.settings import get_settings

# SQLSTATEs a client can do nothing about but try again: the statement ran over its budget (57014), or a replica
# cancelled it to apply a change from the primary (40001).
SERVER_GONE = {"57P01", "57P02", "57P03"}  # shut down by an administrator, crashed, still starting
RETRY_LATER = {"57014": "the query took longer than its time budget", "40001": "the query met a data reload"}


def postgres_url(url: str) -> URL:
    """``postgres://`` and ``postgresql://`` (as hosting providers write them) mean the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def postgres_engine(url: str, read_only: bool = False, **pool_options: Any) -> Engine:
    """The app's engine (``read_only``): read-only transactions, a statement timeout, one snapshot per request;
    or the loader's: one connection, no pool to keep."""
    if not read_only:
        return create_engine(postgres_url(url), poolclass=pool.NullPool)
    timeout = get_settings().query_timeout_ms
    return create_engine(
        postgres_url(url),
        **pool_options,
        isolation_level="REPEATABLE READ",
        pool_pre_ping=True,  # a restarted or failed-over server costs no failed request
        connect_args={
            "options": f"-c default_transaction_read_only=on -c statement_timeout={timeout}",
            "application_name": "article-facts",
        },
    )


class PostgresDatabase:
    """The served PostgreSQL database, with the same interface as ``db.Database``.

    A load commits a new dataset in one transaction; every worker re-reads the dataset version at most every
    ``reload_check_s`` seconds (setting), so ETags change soon after a load without a restart and without a query
    per request. It does so on a connection of its own: the ETag middleware asks from the event loop, which must
    never wait for a connection that busy requests hold (they need the loop to finish).
    """

    inline = False  # every statement is a network round trip: requests run in threads (``lanes``)

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = postgres_engine(url, read_only=True)
        self._version_engine = postgres_engine(url, read_only=True, pool_size=1, max_overflow=0)
        self._lock = threading.Lock()
        self._info: DatasetInfo | None = None
        self._checked_at = float("-inf")
        self.reload_check_s = get_settings().reload_check_s
        self._totals = Totals()

    def engine(self) -> Engine:
        return self._engine

    def info(self) -> DatasetInfo:
        """The dataset-info row, re-read when older than ``reload_check_s``."""
        info = self._info
        if info is not None and time.monotonic() - self._checked_at < self.reload_check_s:
            return info
        with self._lock:
            now = time.monotonic()
            try:
                with Session(self._version_engine) as session:
                    info = session.get(DatasetInfo, 1)
            except DBAPIError as exc:
                problem = problem_for(exc)
                if problem is None:
                    raise
                raise problem from exc
            if info is None:
                raise unavailable("the database was not built by `article-facts load`")
            self._info, self._checked_at = info, now
        return info

    def totals(self) -> Totals:
        """Cached ``count=true`` totals, keyed by dataset version (``listing._count``)."""
        return self._totals


def problem_for(exc: SQLAlchemyError) -> ProblemError | None:
    """What a PostgreSQL error means to the client: 503 with ``Retry-After`` for what passes (a timeout, a
    reload, an unreachable or unloaded database); None for anything else, which is a bug."""
    error = getattr(exc, "orig", None)
    if not isinstance(error, psycopg.Error):
        return None
    if error.sqlstate in RETRY_LATER:
        return ProblemError(503, f"Try again: {RETRY_LATER[error.sqlstate]}.", headers={"Retry-After": "1"})
    if error.sqlstate == "42P01":  # undefined table: nothing migrated yet
        return unavailable("the database was not built by `article-facts load`")
    no_connection = isinstance(error, psycopg.OperationalError) and (error.sqlstate or "08").startswith("08")
    if no_connection or error.sqlstate in SERVER_GONE:
        return unavailable("the database cannot be reached")
    return None


async def _busy(request: Request, exc: Exception) -> Response:
    """Every pooled connection stayed busy for ``pool_timeout`` (30 s): the worker is overloaded."""
    return ProblemError(503, "Try again: the server is busy.", headers={"Retry-After": "1"}).response()


async def _database_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    problem = problem_for(exc)
    if problem is None:
        raise exc  # a bug: logged and answered 500 by the catch-all handler in app/problems.py
    return problem.response()


# Held by a load until it commits, so that two loads into one PostgreSQL database take turns.
LOAD_LOCK = 0x61727466  # "artf"


class Postgres:
    """The PostgreSQL backend (``app/backend.py`` has the interface)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def describe(self) -> str:
        return postgres_url(self.url).render_as_string(hide_password=True)

    def engine(self, read_only: bool = False) -> Engine:
        return postgres_engine(self.url, read_only)

    def exists(self) -> bool:
        return True

    def built_at(self, loaded_at: datetime) -> float:
        return loaded_at.timestamp()

    def publish(self, fill: Callable[[Connection], None]) -> None:
        """One transaction under an advisory lock: migrate, delete every row, ``fill``, commit. Readers keep the
        snapshot they started with until the commit; a failure rolls everything back."""
        engine = postgres_engine(self.url)
        try:
            with engine.begin() as connection:
                connection.execute(select(func.pg_advisory_xact_lock(LOAD_LOCK)))
                migrate(connection)
                # DELETE, not TRUNCATE: TRUNCATE would make readers wait for the commit, and is not MVCC-safe.
                connection.execute(text("DELETE FROM search_index"))
                for table in reversed(SQLModel.metadata.sorted_tables):
                    connection.execute(delete(table))
                fill(connection)
        except (SQLAlchemyError, OverflowError, ValueError) as exc:  # what PostgreSQL refuses of validated rows
            raise LoadError(str(exc).splitlines()[0]) from exc
        finally:
            engine.dispose()

    def served(self) -> PostgresDatabase:
        return PostgresDatabase(self.url)

    def install(self, app: FastAPI) -> None:
        app.add_exception_handler(DBAPIError, _database_error)
        app.add_exception_handler(PoolTimeout, _busy)
