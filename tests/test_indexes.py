"""Every column the API filters or sorts on has an index that starts with it."""

import pytest
from sqlalchemy import Column

from app.listing import ListParams, Resource
from app.routers import articles, entities, events, pledges, quotes

RESOURCES = [articles.RESOURCE, entities.RESOURCE, quotes.RESOURCE, pledges.RESOURCE, events.RESOURCE]


def indexed_first_columns(column: Column[object]) -> set[str]:
    table = column.table
    firsts = {index.columns[0].name for index in table.indexes}
    firsts |= {table.primary_key.columns[0].name}
    return firsts


def columns(resource: Resource) -> list[tuple[str, Column[object]]]:
    named = [(f"filter {name}", f.column) for name, f in resource.filters.items()]
    named += [(f"sort {name}", col) for name, col in resource.sorts.items()]
    return [(label, col.property.columns[0] if hasattr(col, "property") else col) for label, col in named]


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_filter_and_sort_columns_are_indexed(resource: Resource) -> None:
    for label, column in columns(resource):
        assert column.name in indexed_first_columns(column), f"{resource.name}: {label} ({column})"


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_every_declared_parameter_has_a_filter(resource: Resource) -> None:
    router = {"articles": articles, "entities": entities, "quotes": quotes, "pledges": pledges, "events": events}
    model = next(
        value
        for value in vars(router[resource.name]).values()
        if isinstance(value, type) and issubclass(value, ListParams) and value is not ListParams
    )
    declared = set(model.model_fields) - set(ListParams.model_fields) | {"article"}
    assert declared == set(resource.filters)
