"""The compiled CSV row writer writes exactly what the definition (``formats.csv_row``) writes: for every stored
document of the corpus, whole and cut to fields, and for documents that are not the shape of their model."""

import csv
import io
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from app.backend import Target, backend_for
from app.formats import Column, csv_columns, csv_row, row_writer
from app.resources import QUOTES, RESOURCES


@pytest.fixture(scope="module")
def documents(database: Target) -> dict[str, list[dict[str, Any]]]:
    """Every stored document of the corpus, by list."""
    engine = backend_for(database).engine(read_only=True)
    try:
        with engine.connect() as connection:
            return {
                resource.name: [
                    orjson.loads(doc) if isinstance(doc, str) else doc
                    for doc in connection.execute(select(resource.table.doc)).scalars()  # type: ignore[attr-defined]
                ]
                for resource in RESOURCES
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.name)
def test_every_stored_document_is_written_as_the_definition_writes_it(
    resource: Any, documents: dict[str, list[dict[str, Any]]]
) -> None:
    columns = csv_columns(resource.model)
    some = tuple(column for column in columns if column.path[0] in {"id", "evidence", "speaker", "amount", "date"})
    assert documents[resource.name]
    for chosen in (columns, some):
        write = row_writer(chosen)
        for document in documents[resource.name]:
            assert write(document) == csv_row(document, chosen)


# Documents that are not the shape of the quote model: the compiled writer gives way to the definition.
ODD = [
    {"id": "no-other-key"},
    {"id": "x", "speaker": None, "evidence": None, "mentions": [None, {"id": "a;b\\c", "name": None, "type": True}]},
    {"id": "x", "speaker": {"id": "s"}, "evidence": [], "mentions": []},
    {"id": "x", "speaker": {"id": ["a", "list"], "name": 1.5, "type": False}, "evidence": {"not": "a list"}},
    {"id": "x", "evidence": [{"start": [1, 2], "text": "nested; list"}], "mentions": {"id": "m"}},
]


@pytest.mark.parametrize("document", ODD, ids=range(len(ODD)))
def test_a_document_of_another_shape_is_written_as_the_definition_writes_it(document: dict[str, Any]) -> None:
    columns = tuple(column for column in csv_columns(QUOTES.model) if column.path[0] in document)
    assert row_writer(columns)(document) == csv_row(document, columns)


def test_a_list_inside_a_list_is_joined_item_by_item() -> None:
    column = Column("a.b", ("a", "b"), (0, 1))
    document = {"a": [{"b": ["x;y", "z"]}, {"b": []}, None]}
    assert row_writer((column,))(document) == csv_row(document, (column,)) == ["x\\;y;z;"]


@pytest.mark.anyio
@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.name)
async def test_a_csv_page_of_whole_items_sends_the_stored_rows_which_the_definition_would_write(
    resource: Any, client: httpx.AsyncClient, sql_statements: list[str]
) -> None:
    """Without ``fields`` a CSV page (or a streamed export) reads the rows the loader stored; they are what
    ``csv_row`` writes from the items' JSON, in the order of the JSON page."""
    columns = csv_columns(resource.model)
    items = (await client.get(f"/v1/{resource.name}?limit=200")).json()["data"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(column.name for column in columns)
    writer.writerows(csv_row(item, columns) for item in items)
    for query in ("format=csv&limit=200", "format=csv&stream=true"):
        sql_statements.clear()
        response = await client.get(f"/v1/{resource.name}?{query}")
        assert response.status_code == 200
        assert response.text == out.getvalue()
        assert any(f"{resource.table.__tablename__}.csv" in statement for statement in sql_statements)
