"""The schema's revision: Alembic (``migrations/``) owns the schema, on either backend."""

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from app.settings import PROJECT_ROOT


def alembic_config() -> Config:
    return Config(toml_file=PROJECT_ROOT / "pyproject.toml")


def migrate(connection: Connection) -> None:
    """Bring the database behind ``connection`` to the newest revision (inside the caller's transaction)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
