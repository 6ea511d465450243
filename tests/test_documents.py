"""The documents stored at load time are exactly what the routers' shape functions render from the rows now."""

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.documents import RENDERERS

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("resource", "shape"), RENDERERS, ids=lambda value: getattr(value, "name", ""))
async def test_every_listed_item_is_its_live_rendering(
    client: httpx.AsyncClient, app: FastAPI, resource: object, shape: object
) -> None:
    listed = (await client.get(f"/v1/{resource.name}", params={"limit": 200, "sort": "id"})).json()["data"]  # type: ignore[attr-defined]
    with app.state.database.engine().connect() as connection:
        columns = [c for c in resource.columns if c.key != "doc"]  # type: ignore[attr-defined]
        rows = connection.execute(select(*columns).order_by(resource.id_column)).all()  # type: ignore[attr-defined]
        live = orjson.loads(orjson.dumps(shape(connection, rows)))  # type: ignore[operator]
    assert listed == live
    assert len(listed) > 0
