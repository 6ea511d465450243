"""The bulk downloads: the data package (valid for `frictionless`, keys that resolve, the counts of /v1, evidence
that slices the article text), the SQLite file, their ETags, 304 and HEAD, and what loads do to the package."""

import csv
import io
import os
import sqlite3
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
import pytest
from fastapi import FastAPI
from frictionless import Package, validate

from app.backend import LoadError
from app.export import PACKAGE_SUFFIX, package_path
from app.loader import load
from app.main import create_app
from app.resources import RESOURCES
from app.routers.export import OpenFileResponse
from tests.conftest import COUNTS, asgi_client

pytestmark = pytest.mark.anyio

PACKAGE = "/v1/export/datapackage.zip"
DATABASE = "/v1/export/article-facts.sqlite3"
# The table behind each count of /v1.
COUNTED = {resource.name: str(resource.table.__tablename__) for resource in RESOURCES}


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory, app: FastAPI) -> Path:
    """The package of the test corpus as downloaded, unzipped."""

    async def download() -> bytes:
        async with asgi_client(app) as client:
            response = await client.get(PACKAGE)
            assert response.status_code == 200, response.text
            return response.content

    folder = tmp_path_factory.mktemp("package")
    with zipfile.ZipFile(io.BytesIO(anyio.run(download))) as archive:
        archive.extractall(folder)
    return folder


def _descriptor(folder: Path) -> dict[str, Any]:
    descriptor: dict[str, Any] = orjson.loads((folder / "datapackage.json").read_bytes())
    return descriptor


def _rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_frictionless_finds_the_package_valid(package_dir: Path) -> None:
    report = validate(package_dir / "datapackage.json")
    assert report.valid, report.flatten(["title", "message"])[:10]
    package = Package(package_dir / "datapackage.json")
    assert {resource.name for resource in package.resources} >= {
        *COUNTED.values(),
        "entity_alias",
        "entity_affiliation",
        "quote_mention",
        "pledge_recipient",
        "pledge_initiative",
        "event_participant",
        "evidence",
    }


def test_frictionless_would_find_a_dangling_reference(package_dir: Path, tmp_path: Path) -> None:
    """The validation above can fail: a quote whose speaker is not an entity is a foreign-key error."""
    for path in package_dir.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    rows = _rows(tmp_path, "quote")
    rows[0]["speaker_id"] = "nobody-at-all"
    with open(tmp_path / "quote.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = validate(tmp_path / "datapackage.json")
    assert not report.valid
    assert "foreign-key" in {error.type for task in report.tasks for error in task.errors}


def test_every_foreign_key_resolves(package_dir: Path) -> None:
    resources = _descriptor(package_dir)["resources"]
    keys: dict[tuple[str, tuple[str, ...]], set[tuple[str, ...]]] = defaultdict(set)
    checked = 0
    for resource in resources:
        for key in resource["schema"].get("foreignKeys", []):
            target = (key["reference"]["resource"], tuple(key["reference"]["fields"]))
            if target not in keys:
                keys[target] = {tuple(row[f] for f in target[1]) for row in _rows(package_dir, target[0])}
            for row in _rows(package_dir, resource["name"]):
                value = tuple(row[f] for f in key["fields"])
                if all(value):  # an empty cell is null: no reference
                    assert value in keys[target], f"{resource['name']}.{key['fields']} = {value} resolves to nothing"
                    checked += 1
    assert checked > 500  # every quote, pledge, event, mention, evidence span... points somewhere


def test_each_table_has_a_primary_key_and_the_types_of_its_columns(package_dir: Path) -> None:
    by_name = {resource["name"]: resource["schema"] for resource in _descriptor(package_dir)["resources"]}
    assert by_name["quote_mention"]["primaryKey"] == ["quote_id", "entity_id"]
    assert all(schema["primaryKey"] for schema in by_name.values())
    types = {field["name"]: field["type"] for field in by_name["pledge"]["fields"]}
    assert types["amount_minor"] == "integer"
    assert types["usd"] == "number"
    assert types["usd_equivalent"] == "object"
    assert types["announced_on_earliest"] == "date"
    assert "doc" not in types  # the rendered JSON is derived from the rest


async def test_the_tables_hold_what_v1_counts(package_dir: Path, client: httpx.AsyncClient) -> None:
    counts = (await client.get("/v1")).json()["counts"]
    assert counts == COUNTS
    assert {name: len(_rows(package_dir, table)) for name, table in COUNTED.items()} == counts


def test_pledges_carry_their_us_dollar_equivalents(package_dir: Path) -> None:
    pledges = [row for row in _rows(package_dir, "pledge") if row["currency"] and row["currency"] != "USD"]
    assert pledges
    for pledge in pledges:
        if pledge["usd"]:
            assert orjson.loads(pledge["usd_equivalent"])["amount"] == pytest.approx(float(pledge["usd"]))


def test_evidence_and_mentions_slice_the_article_text_exactly(package_dir: Path) -> None:
    texts = {row["id"]: row["text"] for row in _rows(package_dir, "article")}
    spans = _rows(package_dir, "evidence") + _rows(package_dir, "mention")
    assert len(spans) > COUNTS["mentions"]
    for span in spans:
        text = texts[span["article_id"]]
        assert text[int(span["start"]) : int(span["end"])] == span["text"], span


async def test_the_package_is_a_file_with_a_strong_etag_of_the_dataset(client: httpx.AsyncClient) -> None:
    version = (await client.get("/v1")).json()["dataset"]["version"]
    response = await client.get(PACKAGE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["content-disposition"] == f'attachment; filename="article-facts-{version}.datapackage.zip"'
    etag = response.headers["etag"]
    assert etag.startswith(f'"{version}-')
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist()[0] == "datapackage.json"

    again = await client.get(PACKAGE, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    head = await client.head(PACKAGE)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == response.headers["content-length"]
    assert head.headers["etag"] == etag


@pytest.mark.sqlite_only("the SQLite file is a download only when the API reads one")
async def test_the_database_file_opens_with_sqlite3_and_holds_what_v1_counts(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    version = (await client.get("/v1")).json()["dataset"]["version"]
    response = await client.get(DATABASE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.sqlite3"
    assert response.headers["content-disposition"] == f'attachment; filename="article-facts-{version}.sqlite3"'
    assert response.headers["content-length"] == str(len(response.content))
    path = tmp_path / "downloaded.sqlite3"
    path.write_bytes(response.content)
    with sqlite3.connect(path) as connection:
        counts = {
            name: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for name, table in COUNTED.items()
        }
        assert connection.execute("SELECT version FROM dataset_info").fetchone()[0] == version
    assert counts == COUNTS

    etag = response.headers["etag"]
    assert etag.startswith(f'"{version}-')
    assert (await client.get(DATABASE, headers={"If-None-Match": etag})).status_code == 304
    head = await client.head(DATABASE)
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", etag)
    assert head.headers["content-length"] == response.headers["content-length"]


@pytest.mark.postgres_only("on PostgreSQL there is no SQLite file to send")
async def test_the_database_file_is_a_404_on_postgresql(client: httpx.AsyncClient) -> None:
    response = await client.get(DATABASE)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "This server reads PostgreSQL, so there is no SQLite file to download; take the data package: "
        "/v1/export/datapackage.zip."
    )


@pytest.mark.sqlite_only("a database copied without its package: a file of its own")
async def test_a_database_without_its_package_answers_404_with_what_to_do(db_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copied.sqlite3"
    copy.write_bytes(db_path.read_bytes())
    async with asgi_client(create_app(copy)) as client:
        version = (await client.get("/v1")).json()["dataset"]["version"]
        response = await client.get(PACKAGE)
    assert response.status_code == 404
    assert response.json()["detail"].startswith(
        f"No data package was built for dataset {version} here: `article-facts load` builds it"
    )


@pytest.mark.sqlite_only("the files beside a SQLite database")
def test_a_load_replaces_the_package_and_a_failed_load_leaves_it(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "facts.sqlite3"
    first = load(seeds_copy, db).version
    old = package_path(db, first)
    assert sorted(path.name for path in tmp_path.glob(f"*{PACKAGE_SUFFIX}")) == [old.name]
    before = old.read_bytes()
    assert load(seeds_copy, db).version == first
    assert old.read_bytes() == before  # the same seeds give the same bytes: the ETag may be strong

    article_yaml = next(seeds_copy.glob("articles/*/article.yaml"))
    article_yaml.write_text(
        article_yaml.read_text(encoding="utf-8") + "\n# a comment: a new dataset version\n", encoding="utf-8"
    )

    def broken(*_args: object, **_kwargs: object) -> None:
        raise LoadError("integrity check failed")

    monkeypatch.setattr("app.db.check", broken)
    with pytest.raises(LoadError):
        load(seeds_copy, db)
    assert sorted(path.name for path in tmp_path.glob(f"*{PACKAGE_SUFFIX}")) == [old.name]  # the new one removed
    monkeypatch.undo()

    second = load(seeds_copy, db).version
    assert second != first
    assert sorted(path.name for path in tmp_path.glob(f"*{PACKAGE_SUFFIX}")) == [package_path(db, second).name]
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".loading")]


async def test_a_download_sends_the_file_it_opened_whatever_replaces_it(tmp_path: Path) -> None:
    """A load renames a new file over the one being sent: the download goes on with the bytes and the length of
    the file it opened."""
    path = tmp_path / "package.zip"
    original = os.urandom(300_000)
    path.write_bytes(original)
    response = OpenFileResponse(path.open("rb"), "application/zip", "package.zip")
    replacement = tmp_path / "new.zip"
    replacement.write_bytes(b"new data")
    os.replace(replacement, path)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": [], "asgi": {"spec_version": "2.4"}}
    await response(scope, receive, send)
    headers = dict(sent[0]["headers"])
    assert headers[b"content-length"] == str(len(original)).encode()
    assert b"".join(message.get("body", b"") for message in sent[1:]) == original
    assert response.file.closed
