"""Sort keys and keyset cursors: ``sort=`` parsed into columns and directions, the signed cursor that resumes a
list after the last row's values, and the condition that seeks past them (``listing.fetch`` uses all three)."""

import base64
import hashlib
import hmac
import json
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, tuple_

from app.params import MAX_CURSOR_LENGTH, is_cursor, sort_columns
from app.problems import ProblemError, bad_parameter
from app.resources import Resource
from app.schemas import ParameterError
from app.settings import get_settings


def parse_sort(resource: Resource, sort: str | None) -> list[tuple[str, bool]]:
    """``"-said_on,speaker"`` -> ``[("said_on", True), ("speaker", False), ("id", False)]``; ``"-said_on"`` ->
    ``[("said_on", True), ("id", True)]``."""
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
    if all(name != "id" for name, _ in keys):
        # The tie-breaker runs the way the last key does, so that a one-direction order pages by seeking into
        # its (key, id) index; see after.
        keys.append(("id", keys[-1][1]))
    return keys


def ordered_by(resource: Resource, sort: list[tuple[str, bool]]) -> list[tuple[Any, bool]]:
    """The columns the sort orders by, each with its direction (a ``SortKey`` has its own per direction); the
    cursor holds the last row's value of each."""
    return [(column, desc) for name, desc in sort for column in sort_columns(resource.sorts[name], desc)]


def sign(resource: str, payload: bytes) -> str:
    key = get_settings().cursor_secret.encode()
    return hmac.new(key, resource.encode() + b"\0" + payload, hashlib.sha256).hexdigest()[:16]


def encode_cursor(resource: str, sort: list[tuple[str, bool]], values: list[Any]) -> str:
    spec = ",".join(("-" if desc else "") + name for name, desc in sort)
    payload = [spec, [v.isoformat() if isinstance(v, date) else v for v in values]]
    # UTF-8 rather than \u escapes: a name in another script costs 2-4 bytes a character, not 6 or 12.
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + sign(resource, raw)


def decode_cursor(resource: Resource, cursor: str, sort: list[tuple[str, bool]]) -> list[Any]:
    """The sort values a cursor resumes after.

    A cursor not of the documented form (``params.CURSOR``) is a bad parameter, a 400. One of that form names a
    position in one list's order, which this list in this order may not have, like an id that does not exist:
    a 404 when the signature does not verify (another list, a forged cursor, a key changed since) or the sort
    differs. The payload is still checked for shape and type: the signing key may be the public default, and a
    value that cannot be bound must never reach SQL.
    """
    if len(cursor) > MAX_CURSOR_LENGTH or not is_cursor(cursor):
        raise bad_parameter("cursor", "not a cursor issued by this list; start again without it")
    not_found = _no_page(
        "it was not issued by this list, or the server's key has changed since; start again without it"
    )
    body, _, signature = cursor.partition(".")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if not hmac.compare_digest(sign(resource.name, raw), signature):
            raise not_found
        spec, values = json.loads(raw)
    except (ValueError, TypeError, RecursionError):  # not JSON, nested too deep, not a pair
        raise not_found from None
    if spec != ",".join(("-" if desc else "") + name for name, desc in sort):
        raise _no_page(f"the cursor is a position in the order `sort={spec}`; keep `sort` as it was")
    columns = [column for column, _ in ordered_by(resource, sort)]
    if not isinstance(values, list) or len(values) != len(columns):
        raise not_found
    try:
        return [_from_json(col, value) for col, value in zip(columns, values, strict=True)]
    except (ValueError, TypeError):
        raise not_found from None


def _no_page(detail: str) -> ProblemError:
    return ProblemError(
        404, f"There is no page at this cursor: {detail}", [ParameterError(parameter="cursor", detail=detail)]
    )


def _from_json(col: Any, value: Any) -> Any:
    """A cursor value as the column's Python type; ValueError/TypeError when it cannot be one."""
    kind = col.type.python_type
    if kind is date:
        return date.fromisoformat(value)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    if kind in (str, object) and isinstance(value, str) and "\x00" not in value:  # AutoString reports `object`
        return value
    raise TypeError(f"{value!r} is not a {kind.__name__}")


def after(columns: list[tuple[Any, bool]]) -> ColumnElement[bool]:
    """Rows strictly after the cursor's values ``:after_0, :after_1...`` in the order of ``columns``.

    All keys in one direction: a row-value comparison ``(a, b) > (x, y)``, which the database answers by seeking
    into the (a, b) index. Mixed directions: (a > x) or (a = x and b < y) or ..., which no index can seek with by
    itself, so the first key's bound is stated alone too (``a >= x and (...)``, which changes no result): the index
    on ``a`` then seeks to the cursor's group instead of walking every row before it.
    """
    after: list[Any] = [bindparam(f"after_{i}") for i in range(len(columns))]
    directions = {descending for _, descending in columns}
    if len(directions) == 1:
        keys, values = tuple_(*(col for col, _ in columns)), tuple_(*after)
        return keys < values if directions == {True} else keys > values
    clauses = []
    for i, (col, descending) in enumerate(columns):
        equal = [c == v for (c, _), v in zip(columns[:i], after[:i], strict=True)]
        beyond = col < after[i] if descending else col > after[i]
        clauses.append(and_(*equal, beyond))
    first, descending = columns[0]
    return and_(first <= after[0] if descending else first >= after[0], or_(*clauses))
