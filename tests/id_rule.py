"""The second rule the OpenAPI document cannot state, for the Schemathesis runs: a filter on an id names an id
that exists.

A filter naming an id that does not exist is a 400 that suggests the closest ids (app/references.py): a client's
mistake, like an amount bound without its currency (tests/amount_rule.py). The document says an id is a slug; it
cannot say which slugs exist (that changes with every load), so a valid request drawn from it may name one that
does not. ``with_existing_ids`` gives such a value an id that exists (the first of its kind), as a client that
took it from the API would. A value that is not a slug is left as drawn, so a negative case stays negative; the
400 itself is tested whole in tests/test_errors.py.
"""

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from app.params import is_slug
from app.resources import RESOURCES

# path -> {filter parameter -> the table whose ids its values are}: the lists' (app/resources.py), and the
# annotations' `entity` (app/routers/articles.py)
REFERENCES = {
    f"/v1/{resource.name}": {name: column.table.name for name, column in resource.references.items()}
    for resource in RESOURCES
} | {"/v1/articles/{article_id}/annotations": {"entity": "entity"}}
Ids = dict[str, list[str]]


def existing_ids(db: Path) -> Ids:
    """table -> its ids in order, for every table a filter refers to, read from the SQLite file served."""
    tables = sorted({table for references in REFERENCES.values() for table in references.values()})
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return {
            table: [id_ for (id_,) in connection.execute(f"SELECT id FROM {table} ORDER BY id")] for table in tables
        }


def with_existing_ids(path: str, query: dict[str, Any] | None, ids: Ids) -> dict[str, Any] | None:
    references = REFERENCES.get(path)
    if not query or not references:
        return query
    fixed = dict(query)
    for name, table in references.items():
        if name in fixed:
            fixed[name] = _existing(fixed[name], set(ids[table]), ids[table][0])
    return fixed


def _existing(value: Any, known: set[str], first: str) -> Any:
    if isinstance(value, list):
        return [_existing(item, known, first) for item in value]
    if isinstance(value, str) and "," in value:  # a comma-separated list
        return ",".join(_existing(item, known, first) for item in value.split(","))
    if isinstance(value, str) and is_slug(value) and value not in known:
        return first
    return value
