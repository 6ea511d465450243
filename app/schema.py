"""The schema's revision: Alembic (``migrations/``) owns the schema, on either backend.

Alembic is imported only to migrate: ``head_revision`` reads the newest revision off the migration files'
``revision``/``down_revision`` lines, which tells ``article-facts serve`` whether a database is current in a few
milliseconds instead of the 0.2 s that importing Alembic and every migration takes (tests/test_migrations.py
checks it gives Alembic's own answer).
"""

import re
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from app.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

VERSIONS = PROJECT_ROOT / "migrations" / "versions"
_REVISION = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*(?:None|[\"']([0-9a-f]+)[\"'])\s*$", re.MULTILINE)


def alembic_config() -> "Config":
    from alembic.config import Config

    return Config(toml_file=PROJECT_ROOT / "pyproject.toml")


def migrate(connection: Connection) -> None:
    """Bring the database behind ``connection`` to the newest revision (inside the caller's transaction)."""
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def head_revision() -> str | None:
    """The one revision no other revises; Alembic's answer whenever the files are not that simple (a merge
    revision's tuple of parents, a branch)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            if value:
                (revisions if name == "revision" else revised).add(value)
    heads = revisions - revised
    if len(heads) == 1 and revised <= revisions:
        return next(iter(heads))
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
