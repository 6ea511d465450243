"""The two backends behind one small interface: a SQLite file (``app/db.py``, the default) or a PostgreSQL database
(``app/postgres.py``, when ``DATABASE_URL`` names one). ``backend_for`` is the one place that tells them apart;
PostgreSQL's module, and so its driver, is imported only when a PostgreSQL URL is given.
"""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection, Engine

from app.models import DatasetInfo

if TYPE_CHECKING:
    from fastapi import FastAPI

    from app.db import Totals


class LoadError(Exception):
    """A load that could not be published; the data served before is untouched."""


# What to serve or load: a SQLite file, or a PostgreSQL URL (settings: ``ARTICLE_FACTS_DB`` / ``DATABASE_URL``).
Target = Path | str


class ServedDatabase(Protocol):
    """The database a running app reads: it follows new loads, and knows the dataset version it serves."""

    inline: bool  # whether requests may read on the event loop under a short budget (``app/lanes.py``)

    def engine(self) -> Engine: ...
    def info(self) -> DatasetInfo: ...
    def totals(self) -> "Totals": ...


class Backend(Protocol):
    def describe(self) -> str:
        """The target for messages (a URL without its password)."""

    def engine(self, read_only: bool = False) -> Engine:
        """An engine for one job (the caller disposes of it): the loader's, or a read-only one."""

    def exists(self) -> bool:
        """Whether there is anything at the target to read (a file; a server is assumed)."""

    def built_at(self, loaded_at: datetime) -> float:
        """When the data was published (a timestamp), to compare with the seed files' modification times."""

    def publish(self, fill: Callable[[Connection], None]) -> None:
        """Replace the whole dataset: migrate, ``fill`` the tables, then make it visible in one atomic step (on
        any error, the data served before is untouched)."""

    def served(self) -> ServedDatabase:
        """The database an app serves."""

    def install(self, app: "FastAPI") -> None:
        """Whatever the app needs to answer this backend's errors."""


class MissingDriver(RuntimeError):
    """A PostgreSQL URL was given, but the PostgreSQL driver (the optional ``postgres`` extra) is not installed."""


def backend_for(target: Target) -> Backend:
    if isinstance(target, str):
        try:
            from app.postgres import Postgres
        except ModuleNotFoundError as exc:
            if exc.name != "psycopg":
                raise
            raise MissingDriver(
                "a PostgreSQL URL needs the PostgreSQL driver, which serving SQLite does not: "
                "pip install 'psycopg[binary]' (the `postgres` extra; `make test` installs it)"
            ) from None
        return Postgres(target)
    from app.db import SQLite

    return SQLite(target)
