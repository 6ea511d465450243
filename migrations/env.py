"""Alembic environment: the schema is ``SQLModel.metadata`` from ``app.models``.

The database comes from, in order: a connection handed over by the loader (``config.attributes``), a URL
given as ``alembic -x url=...``, ``DATABASE_URL`` (PostgreSQL), or the configured database file
(``ARTICLE_FACTS_DB``).
"""

from alembic import context
from sqlalchemy import Connection, create_engine, pool
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables)
from app.db import sqlite_url
from app.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata

# The full-text index (an FTS5 virtual table with shadow tables, or a table with a tsvector on PostgreSQL) is
# created by the migration; the models do not describe it.
FTS_TABLES = ("search_index",)


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLES))


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    settings = get_settings()
    url = context.get_x_argument(as_dictionary=True).get("url") or settings.database_url or sqlite_url(settings.db)
    if "postgres" in url.split("://")[0]:
        from app.postgres import postgres_url  # only for PostgreSQL: its driver is an optional extra

        url = postgres_url(url)
    with create_engine(url, poolclass=pool.NullPool).connect() as conn:
        run(conn)
