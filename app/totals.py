"""Counts that a request would otherwise repeat: totals and facet counts, kept per dataset version, and the
totals fixed at load time."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

import orjson
from fastapi import Request
from sqlalchemy import Connection, select

from app.db import Totals
from app.models import DatasetInfo
from app.sql import Prepared

T = TypeVar("T")

DATASET_INFO = cast(Any, DatasetInfo).__table__.c
DATASET_VERSION = Prepared(lambda: select(DATASET_INFO.version).where(DATASET_INFO.id == 1))
DATASET_COUNTS = Prepared(lambda: select(DATASET_INFO.counts).where(DATASET_INFO.id == 1))


def stored_count(connection: Connection, kind: str) -> int:
    """An unfiltered list's total (``kind``: "quotes"): fixed at load time (``dataset_info.counts``, as ``/v1``
    shows), never counted."""
    counts = DATASET_COUNTS(connection)[0][0]
    return int((orjson.loads(counts) if isinstance(counts, str | bytes) else counts)[kind])


def cached(
    request: Request,
    connection: Connection,
    key: tuple[str, dict[str, Any]],
    compute: Callable[[], T],
    store: Totals | None = None,
) -> T:
    """A count (a total, a facet's values) for one statement and its bound values, counted once per dataset.

    Counting a filter that matches much of a large table reads every matching index entry; paging through it
    would repeat that on every page. The data is immutable between loads, so a count is kept for the dataset
    version that this request's own connection reads (a tiny query): a load that lands mid-request can never
    file the old data's count under the new data. ``store``: where to keep it (default: the database's totals).
    """
    version = DATASET_VERSION(connection)[0][0]
    sql, bound = key
    full_key = (version, sql, tuple(sorted((k, repr(v)) for k, v in bound.items())))
    totals: Totals = store or request.app.state.database.totals()
    found = totals.get(full_key)
    if found is None:
        found = totals.put(full_key, compute())
    return cast(T, found)
