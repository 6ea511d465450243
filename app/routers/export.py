"""The bulk downloads: the data package built at load time (``app/export.py``) and, on SQLite, the database file.

Each is a file opened once and sent from that open file: a load that swaps in new files meanwhile (a rename)
changes neither what a download in progress sends nor its length, and the file it replaced lives until the
download ends. The ETag is the one every GET has (``app/middleware.py``): the dataset version and the request,
so a revalidation is a 304 without opening anything, and a new load gives a new tag.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, BinaryIO

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from starlette.types import Receive, Scope, Send

from app.backend import ServedDatabase
from app.db import unavailable
from app.export import package_path
from app.listing import NoQuery
from app.middleware import HEAD_ONLY
from app.problems import PROBLEM_RESPONSES, ProblemError

ZIP = "application/zip"
SQLITE = "application/vnd.sqlite3"
router = APIRouter(prefix="/v1/export", tags=["export"], responses=PROBLEM_RESPONSES)


class OpenFileResponse(FileResponse):
    """``FileResponse`` for a file already open: its length from that file, its bytes from that file. Whole files
    only: no ranges (a range error would be plain text, not a problem document) and no ``pathsend`` (which would
    send the file at the path, perhaps a newer one)."""

    def __init__(self, file: BinaryIO, media_type: str, filename: str) -> None:
        super().__init__(file.name, media_type=media_type, filename=filename, stat_result=os.fstat(file.fileno()))
        self.file = file
        for validator in ("etag", "last-modified", "accept-ranges"):  # the ETag is the dataset's (middleware)
            del self.headers[validator]

    @asynccontextmanager
    async def _open_file(self) -> AsyncIterator[anyio.AsyncFile[bytes]]:
        yield anyio.wrap_file(self.file)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extensions = {
            name: value for name, value in scope.get("extensions", {}).items() if name != "http.response.pathsend"
        }
        headers = [(name, value) for name, value in scope["headers"] if name not in (b"range", b"if-range")]
        method = "HEAD" if scope.get(HEAD_ONLY) else scope["method"]  # HEAD: the headers, no reading
        try:
            await super().__call__(
                {**scope, "extensions": extensions, "headers": headers, "method": method}, receive, send
            )
        finally:
            self.file.close()


def _responses(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    """A file's 200 in the OpenAPI document: its media type and the headers that describe the file."""
    schema = {"type": "string", "contentMediaType": media_type}
    headers = {
        "Content-Disposition": {
            "description": '`attachment; filename="article-facts-<dataset version>.<extension>"`.',
            "schema": {"type": "string"},
            "required": True,
        },
        "Content-Length": {"description": "The file's size in bytes.", "schema": {"type": "integer"}, "required": True},
    }
    return {200: {"description": what, "content": {media_type: {"schema": schema}}, "headers": headers}}


@router.get("/datapackage.zip", response_class=Response, responses=_responses(ZIP, "The data package (a zip)."))
async def download_datapackage(request: Request, _params: NoQuery) -> Response:
    """The whole dataset as a [Frictionless Data Package](https://datapackage.org/): a zip of
    `datapackage.json` (a Table Schema per table, with primary and foreign keys) and one CSV per table —
    articles with their text, entities, aliases, affiliations, mentions, quotes, pledges (with their US dollar
    equivalents), recipients, initiatives, events, participants and evidence spans (`start`/`end` in code
    points into the article's `text`). Built when the data is loaded; the ETag changes with the dataset
    version. How to open it (frictionless, pandas, sqlite3, Datasette): docs/api.md, "Bulk download"."""
    database: ServedDatabase = request.app.state.database
    version = database.info().version
    path = package_path(request.app.state.target, version)
    try:
        file = path.open("rb")
    except FileNotFoundError:
        raise ProblemError(
            404,
            f"No data package was built for dataset {version} here: `article-facts load` builds it (on PostgreSQL, "
            "into ARTICLE_FACTS_EXPORT_DIR of the machine that loads; share that folder with every server).",
        ) from None
    return OpenFileResponse(file, ZIP, f"article-facts-{version}.datapackage.zip")


@router.get(
    "/article-facts.sqlite3", response_class=Response, responses=_responses(SQLITE, "The SQLite database file.")
)
async def download_database(request: Request, _params: NoQuery) -> Response:
    """The SQLite database being served, as a file: every table, indexes and the full-text index, ready for
    `sqlite3` or Datasette. Only when the API is served from SQLite (on PostgreSQL: 404; take the data package,
    or `pg_dump`)."""
    target = request.app.state.target
    if not isinstance(target, Path):
        raise ProblemError(
            404,
            "This server reads PostgreSQL, so there is no SQLite file to download; take the data package: "
            "/v1/export/datapackage.zip.",
        )
    version = request.app.state.database.info().version
    try:
        file = target.open("rb")
    except FileNotFoundError:
        raise unavailable(f"there is no database at {target.name}; run `article-facts load`") from None
    return OpenFileResponse(file, SQLITE, f"article-facts-{version}.sqlite3")
