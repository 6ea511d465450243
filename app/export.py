"""The bulk download: the whole dataset as a Frictionless Data Package, built at load time and served as a file.

The package is a zip of ``datapackage.json`` (a Table Schema per table: types, primary and foreign keys) and one
CSV per table, join tables included. Both are derived from the SQLAlchemy tables (``app/models.py``), declared
nowhere else: a new column or table is in the next package without a change here. Left out is only what the
load derives from the rest: each fact's rendered JSON and CSV row (``doc``, ``csv``), a pledge's ``usd`` as a
never-null sort key (``usd_sort``, ``usd_missing``), the annotations (evidence and mentions again, in reading
order), the dataset-info row (its version is the package's ``version``) and the hashes of the seed files the load
read (``seed_part``).

Where it goes: ``<export dir>/<name>.<dataset version>.datapackage.zip``, the export dir being the SQLite file's
folder (or ``ARTICLE_FACTS_EXPORT_DIR``) and the name the file's stem (for PostgreSQL, the database's name). The
loader writes it inside the load, before the database is swapped in (SQLite) or committed (PostgreSQL), so the
moment the new dataset is served its package is there; the packages of other versions are removed after that
(a download in progress keeps its open file). The content depends only on the dataset (rows in key order, fixed
timestamps in the zip), so a version names one exact file and its ETag can be strong. On PostgreSQL, every
server that serves the download needs the export dir of the machine that loaded (a shared volume); a server
without it answers 404 with what to do (docs/api.md, "Bulk download").
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import JSON, Column, Connection, Table, TypeDecorator, make_url, select
from sqlmodel import SQLModel

from app.backend import Target
from app.db import replace_atomically
from app.settings import get_settings

PACKAGE_SUFFIX = ".datapackage.zip"
# Derived at load time from the other tables, so not data of their own (see the module docstring), and the
# hashes of the seed files the load read (``seed_part``: for the next load, not data).
DERIVED_TABLES = frozenset({"annotation", "dataset_info", "seed_part"})
DERIVED_COLUMNS = frozenset({"doc", "csv", "usd_sort", "usd_missing"})  # the last two: `usd` as a sort key
# Table Schema field types of the columns' Python types (exact type: a datetime is also a date).
FIELD_TYPES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dt.date: "date",
    dt.datetime: "datetime",
}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: same rows, same bytes
BATCH = 1000  # rows fetched at a time, so memory stays that of a batch on either backend


def tables() -> list[Table]:
    """The tables in the package, parents before children (so a reader may load them in order)."""
    return [table for table in SQLModel.metadata.sorted_tables if table.name not in DERIVED_TABLES]


def columns(table: Table) -> list[Column[Any]]:
    return [column for column in table.columns if column.key not in DERIVED_COLUMNS]


def _is_json(column: Column[Any]) -> bool:
    return isinstance(column.type, JSON)


def _python_type(column: Column[Any]) -> type:
    kind = column.type
    while isinstance(kind, TypeDecorator):  # SQLModel's AutoString, UTCDateTime: what they store is the impl's
        kind = kind.impl_instance
    return kind.python_type


def field(column: Column[Any]) -> dict[str, Any]:
    kind = "object" if _is_json(column) else FIELD_TYPES[_python_type(column)]  # JSON here: always an object
    spec: dict[str, Any] = {"name": column.key, "type": kind}
    if not column.nullable:
        spec["constraints"] = {"required": True}
    return spec


def table_schema(table: Table) -> dict[str, Any]:
    """The Table Schema of ``table``: its fields with their types, its primary key and its foreign keys."""
    schema: dict[str, Any] = {
        "fields": [field(column) for column in columns(table)],
        "primaryKey": [column.key for column in table.primary_key.columns],
    }
    references = [
        {
            "fields": [element.parent.key for element in key.elements],
            "reference": {"resource": key.referred_table.name, "fields": [e.column.key for e in key.elements]},
        }
        for key in sorted(table.foreign_key_constraints, key=lambda key: [e.parent.key for e in key.elements])
    ]
    if references:
        schema["foreignKeys"] = references
    return schema


def descriptor(version: str) -> dict[str, Any]:
    """``datapackage.json``."""
    resources = []
    for table in tables():
        resource: dict[str, Any] = {
            "name": table.name,
            "path": f"{table.name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": table_schema(table),
        }
        model = _model(table)
        if model is not None and model.__doc__:
            resource["description"] = " ".join(model.__doc__.split())
        resources.append(resource)
    return {
        "profile": "tabular-data-package",
        "name": "article-facts",
        "title": "Article Facts",
        "description": "The facts inside news articles (entities, quotes, pledges, events), each with the "
        "[start, end) code-point offsets of the article text that supports it (evidence.csv, mention.csv).",
        "version": version,
        "resources": resources,
    }


def _model(table: Table) -> type[SQLModel] | None:
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.local_table is table:
            model: type[SQLModel] = mapper.class_
            return model
    return None


def _cell(column: Column[Any]) -> Callable[[Any], Any]:
    """How a value of ``column`` goes into a CSV cell: JSON as JSON text, booleans as true/false; csv.writer
    writes the rest (None as an empty cell, dates in ISO form)."""
    if _is_json(column):
        return lambda value: None if value is None else orjson.dumps(value).decode()
    if _python_type(column) is bool:
        return lambda value: None if value is None else ("true" if value else "false")
    return lambda value: value


def write_package(connection: Connection, path: Path, version: str) -> None:
    """The package of the data ``connection`` sees, written to ``path``."""
    with zipfile.ZipFile(path, "w") as archive:
        _write(archive, "datapackage.json", orjson.dumps(descriptor(version), option=orjson.OPT_INDENT_2))
        for table in tables():
            chosen = columns(table)
            cells = [_cell(column) for column in chosen]
            rows = connection.execute(
                select(*chosen).order_by(*table.primary_key.columns).execution_options(yield_per=BATCH)
            )
            with _open(archive, f"{table.name}.csv") as raw, io.TextIOWrapper(raw, "utf-8", newline="") as out:
                writer = csv.writer(out, lineterminator="\r\n")
                writer.writerow(column.key for column in chosen)
                for batch in rows.partitions():
                    writer.writerows([cell(value) for cell, value in zip(cells, row, strict=True)] for row in batch)


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    archive.writestr(_info(name), data)


def _open(archive: zipfile.ZipFile, name: str) -> Any:
    return archive.open(_info(name), "w", force_zip64=True)  # a table may pass 4 GiB on a large corpus


# --- Where the files are --------------------------------------------------------------------------------------


def export_dir(target: Target) -> Path:
    configured = get_settings().export_dir
    if configured is not None:
        return configured
    return target.parent if isinstance(target, Path) else get_settings().db.parent


def _stem(target: Target) -> str:
    return target.stem if isinstance(target, Path) else str(make_url(target).database or "postgresql")


def package_path(target: Target, version: str) -> Path:
    """The package of dataset ``version`` of ``target``."""
    return export_dir(target) / f"{_stem(target)}.{version}{PACKAGE_SUFFIX}"


class PackageBuild:
    """The loader's side: the package written inside a load, removed if the load fails, and those of other
    versions removed once it has succeeded."""

    def __init__(self, target: Target, version: str) -> None:
        self.target = target
        self.version = version
        self.path = package_path(target, version)
        # Already there: the package of these very seeds (the same bytes), perhaps being served; never removed.
        self.existed = self.path.exists()

    def write(self, connection: Connection) -> None:
        replace_atomically(self.path, lambda tmp: write_package(connection, tmp, self.version))

    def discard(self) -> None:
        if not self.existed:
            self.path.unlink(missing_ok=True)

    def prune(self) -> None:
        """Remove the packages of the target's other versions (a download in progress keeps its open file)."""
        own = re.compile(re.escape(_stem(self.target)) + r"\.[^.]+" + re.escape(PACKAGE_SUFFIX))
        for path in self.path.parent.glob(f"*{PACKAGE_SUFFIX}"):
            if path != self.path and own.fullmatch(path.name):
                path.unlink(missing_ok=True)
