"""Each fact's JSON, rendered once at load time and stored beside its row.

The data only changes when a load replaces the whole database, so the API need not assemble a fact from five
tables on every request: the loader renders every article, entity, quote, pledge and event with the routers'
own ``shape`` functions (one code path for the shape, whether rendered now or at load) into the row's ``doc``
column, and a list page is then one indexed query whose documents go into the response as they are.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select, update

from app.listing import Resource
from app.routers import articles, entities, events, pledges, quotes

RENDERERS: list[tuple[Resource, Callable[[Connection, Sequence[Any]], list[dict[str, Any]]]]] = [
    (articles.RESOURCE, articles.shape),
    (entities.RESOURCE, entities.shape),
    (quotes.RESOURCE, quotes.shape),
    (pledges.RESOURCE, pledges.shape),
    (events.RESOURCE, events.shape),
]
BATCH = 500


def render(connection: Connection, progress: Callable[[int], object] | None = None) -> None:
    """Fill the ``doc`` column of every fact (inside the loader's transaction)."""
    for resource, shape in RENDERERS:
        table = resource.table.__table__  # type: ignore[attr-defined]
        store = update(table).where(table.c.id == bindparam("_id")).values(doc=bindparam("_doc"))
        for rows in _batches(connection, resource):
            docs = shape(connection, rows)
            connection.execute(store, [{"_id": doc["id"], "_doc": orjson.dumps(doc).decode()} for doc in docs])
            if progress:
                progress(len(docs))


def _batches(connection: Connection, resource: Resource) -> Iterator[Sequence[Any]]:
    ids = connection.execute(select(resource.id_column).order_by(resource.id_column)).scalars().all()
    columns = [column for column in resource.columns if column.key != "doc"]
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        yield connection.execute(select(*columns).where(resource.id_column.in_(chunk))).all()
