"""The one list mechanism: filters, sort, keyset cursors and the page envelope, shared by every resource.

A router declares *what* it offers (a ``Resource``: which parameters filter which columns, which sort keys
exist); this module knows *how*: it turns the parsed query model into SQL with bound parameters only, pages
by keyset (never by offset) and signs cursors so a tampered or foreign cursor is refused.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, cast, get_args, get_origin, get_type_hints
from urllib.parse import urlencode

from annotated_types import MinLen
from fastapi import Query, Request, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlmodel import Session, SQLModel

from app import fts
from app.problems import bad_parameter
from app.settings import get_settings

MAX_LIMIT = 200
MAX_QUERY_LENGTH = 200


def _split_commas(value: Any) -> Any:
    """``a,b`` and repeated ``x=a&x=b`` both mean the list ``[a, b]``."""
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        return value
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


T = TypeVar("T")
# A list parameter given as ``a,b`` (or repeated); at least one value.
CommaList = Annotated[list[T], BeforeValidator(_split_commas), MinLen(1)]


class ListParams(BaseModel):
    """Query parameters every list accepts."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.", examples=[10])
    cursor: str | None = Field(None, description="Opaque cursor from a previous page's `next_cursor`.")
    sort: str | None = Field(
        None,
        min_length=1,
        description="Comma-separated sort keys from the resource's allow-list; `-` for descending "
        "(e.g. `-said_on,speaker`). The id is always the final tie-breaker.",
        examples=["-id"],
    )
    count: bool = Field(False, description="Also return `total`, the number of matching items.")
    q: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_QUERY_LENGTH,
        description="Full-text filter: plain words, case- and accent-insensitive, the last word matched as a prefix.",
        examples=["central"],
    )
    article: str | None = Field(None, description="Only items from (or, for entities, mentioned in) this article.")


class NoParams(BaseModel):
    """Routes without query parameters still refuse unknown ones (400), like the lists do."""

    model_config = ConfigDict(extra="forbid")


NoQuery = Annotated[NoParams, Query()]


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is list:
        return True
    if origin in (Annotated, Union, UnionType):
        return any(_is_list(arg) for arg in get_args(annotation))
    return False


@cache
def _query_parameters(endpoint: Callable[..., Any]) -> tuple[frozenset[str], frozenset[str]]:
    """An endpoint's query parameters, and those of them that are lists (which may be given more than once)."""
    names: set[str] = set()
    lists: set[str] = set()
    for hint in get_type_hints(endpoint, include_extras=True).values():
        model = get_args(hint)[0] if get_origin(hint) is Annotated else hint
        if isinstance(model, type) and issubclass(model, BaseModel):
            names |= set(model.model_fields)
            lists |= {name for name, info in model.model_fields.items() if _is_list(info.annotation)}
    return frozenset(names), frozenset(lists)


def reject_repeated_parameters(request: Request) -> None:
    """``?speaker=a&speaker=b`` is ambiguous for a single-valued parameter: a 400, not a silent last-wins."""
    route = request.scope.get("route")
    if route is None:
        return
    known, lists = _query_parameters(route.endpoint)
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen and name in known and name not in lists:
            raise bad_parameter(name, "given more than once; give it once (list parameters take a,b)")
        seen.add(name)


@dataclass(frozen=True)
class Filter:
    """One filter parameter: the column it looks at (which must be indexed) and the condition it builds."""

    column: Any
    condition: Callable[[Any], ColumnElement[bool]]


def eq(col: Any) -> Filter:
    return Filter(col, lambda value: col == value)


def one_of(col: Any) -> Filter:
    return Filter(col, lambda values: col.in_(values))


def gte(col: Any) -> Filter:
    return Filter(col, lambda value: col >= value)


def lte(col: Any) -> Filter:
    return Filter(col, lambda value: col <= value)


def gt(col: Any) -> Filter:
    return Filter(col, lambda value: col > value)


def lt(col: Any) -> Filter:
    return Filter(col, lambda value: col < value)


def date_range(name: str, earliest: Any, latest: Any) -> dict[str, Filter]:
    """``name__gte/gt/lte/lt`` for a fact dated by a range: a bound matches when the range could reach it."""
    return {
        f"{name}__gte": gte(latest),
        f"{name}__gt": gt(latest),
        f"{name}__lte": lte(earliest),
        f"{name}__lt": lt(earliest),
    }


def linked(key: Any, link_key: Any, link_value: Any) -> Filter:
    """Rows whose ``key`` appears in a link table next to the given value (e.g. quotes mentioning X)."""
    return Filter(link_value, lambda value: key.in_(select(link_key).where(link_value == value)))


@dataclass
class Resource:
    name: str  # the path segment, e.g. "quotes"
    table: type[SQLModel]
    filters: dict[str, Filter]
    sorts: dict[str, Any]  # sort key -> column; "id" is implied
    default_sort: str
    search_kind: str
    id_column: Any = field(init=False)

    def __post_init__(self) -> None:
        self.id_column = cast(Any, self.table).id
        self.sorts = {**self.sorts, "id": self.id_column}

    def url(self, item_id: str) -> str:
        return f"/v1/{self.name}/{item_id}"


@dataclass
class PageResult:
    rows: Sequence[Any]
    next_cursor: str | None
    next_url: str | None
    total: int | None

    def envelope(self, data: list[Any], response: Response) -> dict[str, Any]:
        if self.next_url:
            response.headers["Link"] = f'<{self.next_url}>; rel="next"'
        page: dict[str, Any] = {"data": data, "next_cursor": self.next_cursor, "next_url": self.next_url}
        if self.total is not None:
            page["total"] = self.total
        return page


# --- Sort and cursors ----------------------------------------------------------------------------------------


def parse_sort(resource: Resource, sort: str | None) -> list[tuple[str, bool]]:
    """``"-said_on,speaker"`` -> ``[("said_on", True), ("speaker", False), ("id", False)]``."""
    keys: list[tuple[str, bool]] = []
    for raw in (sort or resource.default_sort).split(","):
        name = raw.strip()
        descending = name.startswith("-")
        name = name.removeprefix("-")
        if name not in resource.sorts:
            allowed = ", ".join(sorted(resource.sorts))
            raise bad_parameter("sort", f"unknown sort key {name!r}; use one of: {allowed}")
        if any(name == seen for seen, _ in keys):
            raise bad_parameter("sort", f"sort key {name!r} given twice")
        keys.append((name, descending))
    if keys[-1][0] != "id" and all(name != "id" for name, _ in keys):
        keys.append(("id", False))
    return keys


def _sign(resource: str, payload: bytes) -> str:
    key = get_settings().cursor_secret.encode()
    return hmac.new(key, resource.encode() + b"\0" + payload, hashlib.sha256).hexdigest()[:16]


def encode_cursor(resource: str, sort: list[tuple[str, bool]], values: list[Any]) -> str:
    spec = ",".join(("-" if desc else "") + name for name, desc in sort)
    payload = json.dumps([spec, [v.isoformat() if isinstance(v, date) else v for v in values]], separators=(",", ":"))
    raw = payload.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + _sign(resource, raw)


def decode_cursor(resource: Resource, cursor: str, sort: list[tuple[str, bool]]) -> list[Any]:
    """The sort values a cursor resumes after; 400 for anything this server did not issue for this list.

    The signature is checked first, but the payload is still checked for shape and type: the signing key may be
    the public default, and a value that cannot be bound must never reach SQL.
    """
    invalid = bad_parameter("cursor", "not a cursor issued by this list; start again without it")
    body, _, signature = cursor.partition(".")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii") + b"=" * (-len(body) % 4))
        if not hmac.compare_digest(_sign(resource.name, raw).encode(), signature.encode("ascii")):
            raise invalid
        spec, values = json.loads(raw)
    except (ValueError, TypeError):  # bad base64, non-ASCII, not JSON, not a pair
        raise invalid from None
    if spec != ",".join(("-" if desc else "") + name for name, desc in sort):
        raise bad_parameter("cursor", "the cursor belongs to another sort order; keep `sort` as it was")
    columns = [resource.sorts[name] for name, _ in sort]
    if not isinstance(values, list) or len(values) != len(columns):
        raise invalid
    try:
        return [_from_json(col, value) for col, value in zip(columns, values, strict=True)]
    except (ValueError, TypeError):
        raise invalid from None


def _from_json(col: Any, value: Any) -> Any:
    """A cursor value as the column's Python type; ValueError/TypeError when it cannot be one."""
    kind = col.type.python_type
    if kind is date:
        return date.fromisoformat(value)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    if kind in (str, object) and isinstance(value, str):  # sqlmodel's AutoString reports `object`
        return value
    raise TypeError(f"{value!r} is not a {kind.__name__}")


def _after(columns: list[tuple[Any, bool]], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``columns``: (a > x) or (a = x and b > y) or ..."""
    clauses = []
    for i, (col, descending) in enumerate(columns):
        equal = [c == v for (c, _), v in zip(columns[:i], values[:i], strict=True)]
        beyond = col < values[i] if descending else col > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


# --- Running a list query ------------------------------------------------------------------------------------


def fetch(session: Session, resource: Resource, params: ListParams, request: Request) -> PageResult:
    """One page of ``resource`` for ``params``: 1 query for the page (+1 for ``count=true``)."""
    conditions: list[ColumnElement[bool]] = []
    for name, value in params:
        is_filter = name == "article" or name not in ListParams.model_fields
        if is_filter and value is not None:
            conditions.append(resource.filters[name].condition(value))
    if params.q is not None:
        ids = fts.matching_ids(session, resource.search_kind, params.q)
        conditions.append(resource.id_column.in_(ids) if ids is not None else false())

    sort = parse_sort(resource, params.sort)
    columns = [(resource.sorts[name], desc) for name, desc in sort]
    query = select(resource.table).where(*conditions)
    if params.cursor:
        query = query.where(_after(columns, decode_cursor(resource, params.cursor, sort)))
    query = query.order_by(*(col.desc() if desc else col.asc() for col, desc in columns)).limit(params.limit + 1)
    rows = list(session.scalars(query).all())

    next_cursor = next_url = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        values = [getattr(last, col.key) for col, _ in columns]
        next_cursor = encode_cursor(resource.name, sort, values)
        query_params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        next_url = f"{request.url.path}?{urlencode([*query_params, ('cursor', next_cursor)])}"

    total = None
    if params.count:
        total = session.scalar(select(func.count()).select_from(resource.table).where(*conditions))
    return PageResult(rows, next_cursor, next_url, total)
