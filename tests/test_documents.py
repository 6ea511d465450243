"""The documents stored at load time are exactly what the renderers make of the rows now."""

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.resources import RESOURCES, Resource

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.name)
async def test_every_listed_item_is_its_live_rendering(
    client: httpx.AsyncClient, app: FastAPI, resource: Resource
) -> None:
    listed = (await client.get(f"/v1/{resource.name}", params={"limit": 200, "sort": "id"})).json()["data"]
    with app.state.database.engine().connect() as connection:
        columns = [c for c in resource.columns if c.key != "doc"]
        rows = connection.execute(select(*columns).order_by(resource.id_column)).all()
        live = [orjson.loads(doc.model_dump_json()) for doc in resource.render(connection, rows, resource.url)]
    assert listed == live
    assert len(listed) > 0
