"""SQLite, the default backend: a file, built beside the target and renamed over it; the API opens it read-only
and follows each atomic replacement. Also what a request's connection is, on either backend."""

import logging
import math
import os
import sqlite3
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session

from app.backend import LoadError
from app.lanes import INLINE_BUDGET, Overtime
from app.models import DatasetInfo
from app.problems import ProblemError
from app.schema import migrate
from app.settings import get_settings

log = logging.getLogger("article_facts")
RETRY_SOON = {"Retry-After": "1"}


def sqlite_url(path: Path, read_only: bool = False) -> str:
    if read_only:
        return f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"
    return f"sqlite:///{path.resolve()}"


def _read_only_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def open_engine(path: Path, read_only: bool = False) -> Engine:
    # Read-only is how the app serves: every request in progress holds a connection (those waiting for the slow
    # lane too, ``lanes``), so the pool holds as many as there may be requests. A request must never wait for
    # one: the wait would block the event loop, and with it the requests that would give one back.
    pool = {"pool_size": get_settings().max_concurrency, "max_overflow": 16} if read_only else {}
    engine = create_engine(sqlite_url(path, read_only), connect_args={"check_same_thread": False}, **pool)
    if read_only:
        event.listen(engine, "connect", _read_only_pragmas)
    else:
        event.listen(engine, "connect", lambda conn, _rec: conn.execute("PRAGMA foreign_keys = ON"))
    return engine


# SQLite virtual-machine instructions between two looks at the clock: about every 10-50 µs of query work, so
# the check costs nothing measurable and a runaway statement is stopped within a fraction of a millisecond.
PROGRESS_INTERVAL = 1000
# The same off the event loop (the slow lane), where each look takes the GIL from the event loop's thread: ten
# times less often, about every 0.1-0.5 ms.
LANE_PROGRESS_INTERVAL = 10_000


class QueryBudget:
    """A time budget for every SQL statement on SQLite, enforced by SQLite's progress handler (PostgreSQL has
    ``statement_timeout``, see ``backend``): the full one, or the short inline one on the event loop (``lanes``).

    Each statement gets a deadline when it starts (``before_cursor_execute``); the handler, which SQLite calls
    every ``PROGRESS_INTERVAL`` instructions (``LANE_PROGRESS_INTERVAL`` off the event loop) while the statement
    runs or its rows are fetched, interrupts it
    once the deadline has passed. SQLite then raises ``OperationalError('interrupted')``, which becomes a 503
    problem with ``Retry-After`` (``handle_error``), wherever the statement ran; the connection itself is
    unharmed and serves the next request.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds  # read at every statement, so a test may change it on a running app

    def install(self, engine: Engine) -> None:
        event.listen(engine, "connect", self._connect)
        event.listen(engine, "before_cursor_execute", self._start)
        event.listen(engine, "handle_error", self._interrupted)

    def _connect(self, _dbapi_connection: Any, record: Any) -> None:
        deadline, clock = [math.inf], [time.monotonic]
        record.info["deadline"], record.info["clock"] = deadline, clock
        record.info["over"] = lambda: clock[0]() >= deadline[0]
        record.info["interval"] = None

    def _start(self, conn: Any, *_args: Any) -> None:
        inline = INLINE_BUDGET.get()
        interval = LANE_PROGRESS_INTERVAL if inline is None else PROGRESS_INTERVAL
        if conn.info["interval"] != interval:
            conn.connection.dbapi_connection.set_progress_handler(conn.info["over"], interval)
            conn.info["interval"] = interval
        # The full budget is wall-clock time; the inline one (never longer) is the statement's own CPU time, so a
        # busy machine that delays a cheap statement does not send it to the slow lane.
        clock = time.monotonic if inline is None else time.thread_time
        conn.info["clock"][0] = clock
        conn.info["deadline"][0] = clock() + (self.seconds if inline is None else min(inline, self.seconds))

    def _interrupted(self, context: ExceptionContext) -> None:
        error = context.original_exception
        if isinstance(error, sqlite3.OperationalError) and str(error) == "interrupted":
            if INLINE_BUDGET.get() is not None:
                raise Overtime  # on the event loop: app/lanes.py runs the request again in the slow lane
            log.warning("query stopped by its time budget", extra={"budget_ms": round(self.seconds * 1000)})
            raise ProblemError(503, "Try again: the query took longer than its time budget.", headers=RETRY_SOON)


class Database:
    """The served database file. When a load swaps in a new file, the next request opens it.

    Requests already running keep the connection (and so the file) they started with; SQLite holds the old
    inode open until they finish, so they complete on the old data. Every statement runs under ``budget``.
    """

    inline = True  # a statement can be budgeted on the event loop (``lanes``): the progress handler stops it

    def __init__(self, path: Path, query_timeout_s: float | None = None) -> None:
        self.path = path
        self.budget = QueryBudget(query_timeout_s or get_settings().query_timeout_ms / 1000)
        self._lock = threading.Lock()
        self._identity: tuple[int, int] | None = None
        self._engine: Engine | None = None
        self._info: DatasetInfo | None = None
        self._totals = Totals()

    def engine(self) -> Engine:
        identity = self._stat()
        if identity != self._identity or self._engine is None:
            with self._lock:
                if identity != self._identity or self._engine is None:
                    engine = open_engine(self.path, read_only=True)
                    self.budget.install(engine)
                    old, self._engine = self._engine, engine
                    self._identity = identity
                    self._info = None
                    if old is not None:
                        _retire(old)
        return self._engine

    def info(self) -> DatasetInfo:
        """The dataset-info row of the file being served (read once per file)."""
        engine = self.engine()
        info = self._info
        if info is None:
            with Session(engine) as session:
                info = session.get(DatasetInfo, 1)
            if info is None:
                raise unavailable("the database was not built by `article-facts load`")
            self._info = info
        return info

    def totals(self) -> "Totals":
        """Cached ``count=true`` totals, keyed by dataset version (``listing._count``)."""
        return self._totals

    def _stat(self) -> tuple[int, int]:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise unavailable(f"there is no database at {self.path.name}; run `article-facts load`") from None
        return stat.st_ino, stat.st_mtime_ns


class Totals:
    """A bounded least-recently-used map from a count query to its result (a total, a facet's counted values)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: Hashable, total: Any) -> Any:
        with self._lock:
            self._items[key] = total
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return total


def _retire(engine: Engine) -> None:
    """Close a replaced file's connections: the idle ones now, each one still in use when its request returns it.

    Left to the garbage collector, each would keep the replaced file (and a file descriptor) open for as long
    as the old pool lingers: one more open file per reload (tests/test_reload.py checks it is closed).
    """
    event.listen(engine.pool, "checkin", _close_on_checkin)
    engine.dispose()


def _close_on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.invalidate()


def unavailable(why: str) -> ProblemError:
    return ProblemError(503, f"The data is not available: {why}.", headers={"Retry-After": "30"})


class SQLite:
    """The SQLite backend (``app/backend.py`` has the interface)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    def engine(self, read_only: bool = False) -> Engine:
        return open_engine(self.path, read_only)

    def exists(self) -> bool:
        return self.path.exists()

    def built_at(self, loaded_at: datetime) -> float:
        return self.path.stat().st_mtime

    def publish(self, fill: Callable[[Connection], None]) -> None:
        """A new file beside the target (migrations, then every row in one transaction, planner statistics,
        integrity and foreign-key checks), renamed over the target only when all of that passed."""
        replace_atomically(self.path, lambda tmp: _build(tmp, fill))

    def served(self) -> Database:
        return Database(self.path)

    def install(self, app: Any) -> None:
        """SQLite's errors are answered where they happen (``QueryBudget``); nothing to add."""


def _build(path: Path, fill: Callable[[Connection], None]) -> None:
    engine = open_engine(path)
    try:
        with engine.begin() as connection:
            migrate(connection)
        with engine.begin() as connection:
            fill(connection)
            analyze(connection)
        with engine.connect() as connection:
            check(connection)
    finally:
        engine.dispose()


def replace_atomically(target: Path, build: Callable[[Path], None]) -> None:
    """Run ``build`` on a new file beside ``target``, then rename it over ``target``; on any error, leave no trace.

    Shared by the loader and ``tools.synth``: whatever writes a database, the served file is only ever swapped
    whole.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".loading", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        try:
            build(tmp)
        except (SQLAlchemyError, sqlite3.Error, OverflowError, ValueError) as exc:  # what SQLite refuses of rows
            raise LoadError(str(exc).splitlines()[0]) from exc
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); the server may run as another user (the Docker image does).
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            leftover.unlink(missing_ok=True)


def analyze(connection: Connection) -> None:
    """Statistics for the query planner (``sqlite_stat1``): whether an index narrows a query enough depends on
    how many rows share a value, which SQLite only knows after ANALYZE. Sampled (``analysis_limit``), so it takes
    a moment even on a million rows; the data never changes afterwards."""
    connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
    connection.exec_driver_sql("ANALYZE")


def check(connection: Connection, quick: bool = False) -> None:
    """Refuse a database that SQLite finds corrupt or whose references dangle (LoadError).

    ``quick`` runs ``quick_check``, which skips matching every index entry against its row: O(N), not O(N log N).
    """
    pragma = "quick_check" if quick else "integrity_check"
    problems = [row[0] for row in connection.exec_driver_sql(f"PRAGMA {pragma}")]
    if problems != ["ok"]:
        raise LoadError(f"integrity check failed: {problems[:5]}")
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise LoadError(f"foreign key check failed: {broken[:5]}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
