"""Representations: the same items as JSON (the default), CSV or NDJSON, whole or cut to the ``fields`` asked for.

A list or an item is chosen by ``format=`` when given (a link in a browser cannot set ``Accept``), else by the
``Accept`` header with its q-values (python-mimeparse), else JSON. Nothing acceptable is a 406 naming the types
on offer. The ETag middleware keys each response by the representation ``Accept`` selects (``from_accept``), so
every representation has its own tag.

The CSV columns of a resource are the leaves of its public model (``app/schemas.py``), declared nowhere else:
nested objects become dotted columns (``speaker.id``, ``said_on.earliest``); a list becomes one column per leaf,
its items joined with ``;`` (``evidence.start`` = ``3323;3357``), a ``;`` or ``\\`` inside an item escaped with
``\\``; null is an empty cell; booleans are ``true``/``false``.

Documents are stored rendered, and so is each one's CSV row (``csv_line``, at load time): a JSON, NDJSON or CSV
page without ``fields`` goes out as stored. With ``fields`` each document is parsed and cut in Python; as CSV,
through a row writer compiled once per column set (``row_writer``), a few tens of microseconds an item
(docs/performance.md). Items (details) as CSV are written the same way: one item, and a detail may add fields.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from operator import itemgetter
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

import mimeparse  # type: ignore[import-untyped]  # one untyped module
import orjson
from pydantic import BaseModel

from app.problems import ProblemError


class Format(StrEnum):
    json = "json"
    csv = "csv"
    ndjson = "ndjson"


MEDIA_TYPES = {
    Format.json: "application/json",
    Format.csv: "text/csv; charset=utf-8",
    Format.ndjson: "application/x-ndjson",
}
# Least preferred first, as mimeparse wants them: on a tie (``*/*``, ``application/*``) JSON wins.
_OFFERED = [MEDIA_TYPES[Format.ndjson], "text/csv", MEDIA_TYPES[Format.json]]
_BY_TYPE = {media.split(";")[0]: fmt for fmt, media in MEDIA_TYPES.items()}


@lru_cache(maxsize=256)  # few distinct Accept headers in practice; the cache is bounded all the same
def from_accept(accept: str | None) -> Format | None:
    """The representation an ``Accept`` header selects; None when it accepts none of them. A header that cannot
    be parsed is ignored (RFC 9110 allows it), as if absent: JSON."""
    if not accept or not accept.strip():
        return Format.json
    try:
        best = mimeparse.best_match(_OFFERED, accept)
    except ValueError:  # mimeparse.MimeTypeParseException
        return Format.json
    return _BY_TYPE.get(best)


def negotiate(accept: str | None, format: Format | None) -> Format:
    """``format=`` wins; else ``Accept``; a 406 problem when neither names something on offer."""
    if format is not None:
        return format
    chosen = from_accept(accept)
    if chosen is None:
        offered = ", ".join(media.split(";")[0] for media in MEDIA_TYPES.values())
        raise ProblemError(
            406,
            f"None of the types in Accept is available here; ask for one of: {offered} "
            "(or give format=json|csv|ndjson).",
        )
    return chosen


# --- CSV columns from the public models ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # dotted: "speaker.id"
    path: tuple[str, ...]
    lists: tuple[int, ...] = ()  # the steps of ``path`` that are lists (its items joined with ";" in the cell)

    @property
    def many(self) -> bool:
        return bool(self.lists)


def _inner(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model inside ``annotation`` (through Optional and list), and whether a list was crossed."""
    origin = get_origin(annotation)
    if origin is list:
        model, _ = _inner(get_args(annotation)[0])
        return model, True
    if origin in (Union, UnionType):
        found = [_inner(arg) for arg in get_args(annotation) if arg is not NoneType]
        return (found[0] if len(found) == 1 else (None, any(many for _, many in found))) if found else (None, False)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _columns(model: type[BaseModel], prefix: tuple[str, ...], lists: tuple[int, ...]) -> Iterator[Column]:
    for name, info in model.model_fields.items():
        inner, is_list = _inner(info.annotation)
        path = (*prefix, name)
        crossed = (*lists, len(prefix)) if is_list else lists
        if inner is None:
            yield Column(".".join(path), path, crossed)
        else:
            yield from _columns(inner, path, crossed)


@cache
def csv_columns(model: type[BaseModel]) -> tuple[Column, ...]:
    """The CSV columns of ``model``, in the order of its fields."""
    return tuple(_columns(model, (), ()))


def field_names(model: type[BaseModel]) -> tuple[str, ...]:
    """What ``fields=`` may name: the top-level fields of the model."""
    return tuple(model.model_fields)


def _values(value: Any, path: tuple[str, ...]) -> list[Any]:
    if isinstance(value, list):
        return [found for item in value for found in _values(item, path)]
    if not path:
        return [value]
    if value is None:
        return [None]
    return _values(value.get(path[0]), path[1:])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _item(value: Any) -> str:
    return _cell(value).replace("\\", "\\\\").replace(";", "\\;")


def csv_row(document: dict[str, Any], columns: Iterable[Column]) -> list[str]:
    row = []
    for column in columns:
        found = _values(document, column.path)
        row.append(";".join(_item(v) for v in found) if column.many else _cell(found[0]))
    return row


# --- The same rows, compiled -------------------------------------------------------------------------------
# ``csv_row`` is the definition, and slow: ~100 µs an item (a recursive walk per column). A row writer compiled
# once per column set reads the same cells with one chain of ``itemgetter`` lookups per column, passes strings
# through as they are, and joins a list's items in one comprehension. A document without its model's shape (a key
# missing, a list where an object was declared) makes it raise, and ``csv_row`` writes that row: never other output.


def _plain(value: Any) -> str:
    """``_cell`` for a value where a list cannot be (a list there means the shape is not the model's)."""
    if value.__class__ is str:
        return value
    if isinstance(value, list):
        raise TypeError("a list where the model has none")
    return _cell(value)


def _escaped(value: Any) -> str:
    """``_item``: one item of a list cell."""
    text = _plain(value)
    return text.replace("\\", "\\\\").replace(";", "\\;") if "\\" in text or ";" in text else text


def _reader(path: tuple[str, ...]) -> Callable[[Any], Any]:
    """The value at ``path`` through objects, None once a step is None (KeyError, TypeError: not the shape)."""
    first = itemgetter(path[0])
    if len(path) == 1:
        return first
    rest = _reader(path[1:])

    def read(value: Any) -> Any:
        inner = first(value)
        return None if inner is None else rest(inner)

    return read


def _compiled(column: Column) -> Callable[[Any], str]:
    if not column.lists:
        read = _reader(column.path)
        return lambda document: _plain(read(document))
    if len(column.lists) > 1:  # a list in a list: the definition
        return lambda document: ";".join(_item(v) for v in _values(document, column.path))
    at = column.lists[0] + 1
    items_at = _reader(column.path[:at])
    leaf = _reader(column.path[at:]) if at < len(column.path) else None

    def joined(document: Any) -> str:
        items = items_at(document)
        if items is None:
            return ""
        if items.__class__ is not list:
            raise TypeError("not a list where the model has one")
        if leaf is None:
            return ";".join([_escaped(item) for item in items])
        return ";".join([_escaped(None if item is None else leaf(item)) for item in items])

    return joined


@lru_cache(maxsize=128)  # one per model and ``fields``: a handful
def row_writer(columns: tuple[Column, ...]) -> Callable[[dict[str, Any]], list[str]]:
    """``csv_row`` for ``columns``, compiled."""
    cells = [_compiled(column) for column in columns]

    def row(document: dict[str, Any]) -> list[str]:
        try:
            return [cell(document) for cell in cells]
        except (KeyError, TypeError):
            return csv_row(document, columns)

    return row


def split_cell(cell: str) -> list[str]:
    """A list cell back into its items (the inverse of the joining above); for clients and the tests."""
    items, current, escaped = [], [], False
    for char in cell:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ";":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [] if items == [""] else items


# --- Bodies ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Representation:
    """How to write items: the format, and the fields kept (None: all)."""

    format: Format
    model: type[BaseModel]
    fields: frozenset[str] | None = None

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    def columns(self) -> tuple[Column, ...]:
        columns = csv_columns(self.model)
        return columns if self.fields is None else tuple(c for c in columns if c.path[0] in self.fields)

    def parsed(self, stored: Any) -> dict[str, Any]:
        """A stored document as a dict, cut to the fields (SQLite hands back text; PostgreSQL the value)."""
        document: dict[str, Any] = orjson.loads(stored) if isinstance(stored, str | bytes) else stored
        if self.fields is None:
            return document
        return {key: value for key, value in document.items() if key in self.fields}

    def json_item(self, stored: Any) -> Any:
        """One document to embed in a JSON body: as stored when whole (no parse), else cut."""
        if self.fields is None:
            return orjson.Fragment(stored) if isinstance(stored, str | bytes) else stored
        return self.parsed(stored)

    @property
    def stored_csv(self) -> bool:
        """Whole items as CSV: the rows the loader stored (``csv_line``) are these rows, so they go out as stored."""
        return self.format is Format.csv and self.fields is None

    def csv_header(self) -> bytes:
        return self._csv([[column.name for column in self.columns()]])

    def head(self) -> bytes:
        """What comes before the items of a non-JSON body: the CSV header; nothing for NDJSON."""
        return self.csv_header() if self.format is Format.csv else b""

    def lines(self, documents: Iterable[Any]) -> bytes:
        """CSV rows (no header), NDJSON lines, or JSON items joined by commas, for the stored documents."""
        if self.format is Format.csv:
            row = row_writer(self.columns())  # the columns are those of the fields: no need to cut the documents
            return self._csv(
                row(orjson.loads(stored) if isinstance(stored, str | bytes) else stored) for stored in documents
            )
        items = (orjson.dumps(self.json_item(stored)) for stored in documents)
        return b",".join(items) if self.format is Format.json else b"".join(item + b"\n" for item in items)

    def body(self, documents: Iterable[Any]) -> bytes:
        """A whole non-JSON body: the CSV header and rows, or the NDJSON lines."""
        return self.head() + self.lines(documents)

    @staticmethod
    def _csv(rows: Iterable[list[str]]) -> bytes:
        return _csv_text(rows).encode()


def _csv_text(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)  # RFC 4180 line ends
    return out.getvalue()


def csv_line(document: dict[str, Any], model: type[BaseModel]) -> str:
    """The CSV row of a whole ``document`` of ``model``, with its line end: what a CSV page without ``fields``
    sends for it. The loader stores it beside the document, so such a page is read, not written, per request."""
    return _csv_text([row_writer(csv_columns(model))(document)])
