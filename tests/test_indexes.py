"""Every column the API filters or sorts on has an index that starts with it."""

import pytest
from sqlalchemy import Column

from app.params import ListParams, SortKey, sort_columns
from app.resources import RESOURCES, Resource


def indexed_first_columns(column: Column[object]) -> set[str]:
    table = column.table
    firsts = {index.columns[0].name for index in table.indexes}
    firsts |= {table.primary_key.columns[0].name}
    return firsts


def columns(resource: Resource) -> list[tuple[str, Column[object]]]:
    named = [(f"filter {name}", f.column) for name, f in resource.filters.items()]
    named += [(f"sort {name}", col) for name, col in resource.sorts.items() if not isinstance(col, SortKey)]
    return [(label, col.property.columns[0] if hasattr(col, "property") else col) for label, col in named]


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_filter_and_sort_columns_are_indexed(resource: Resource) -> None:
    for label, column in columns(resource):
        assert column.name in indexed_first_columns(column), f"{resource.name}: {label} ({column})"


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_a_sort_key_of_several_columns_has_an_index_for_each_direction(resource: Resource) -> None:
    """A ``SortKey``'s columns, then the id, are exactly the leading columns of an index, in each direction: the
    keyset condition ``(a, b, id) > (...)`` seeks into it."""
    table = resource.table.__table__  # type: ignore[attr-defined]
    indexes = {tuple(column.name for column in index.columns) for index in table.indexes}
    for name, key in resource.sorts.items():
        for descending in (False, True):
            if isinstance(key, SortKey):
                wanted = (*(c.name for c in sort_columns(key, descending)), "id")
                assert wanted in indexes, f"{resource.name}: sort {'-' * descending}{name} needs an index {wanted}"


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_every_declared_parameter_has_a_filter(resource: Resource) -> None:
    """A parameter a list accepts beyond the common ones must say which column it filters (``Eq(...)``...)."""
    declared = set(resource.query.model_fields) - set(ListParams.model_fields)
    assert declared == set(resource.filters)
    assert "article" in resource.filters
