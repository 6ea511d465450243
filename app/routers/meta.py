from datetime import UTC

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import text

from app import API_VERSION
from app.backend import ServedDatabase
from app.lanes import served
from app.listing import NoQuery
from app.resources import RESOURCES
from app.schemas import DatasetPublic, Health, Index

router = APIRouter(tags=["meta"])


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("/docs")


@router.get("/v1")
async def index(request: Request, _params: NoQuery) -> Index:
    """The API and dataset version, how many items each resource has, and where they are."""
    database: ServedDatabase = request.app.state.database
    info = database.info()
    loaded_at = info.loaded_at if info.loaded_at.tzinfo else info.loaded_at.replace(tzinfo=UTC)  # stored as UTC
    return Index(
        api_version=API_VERSION,
        dataset=DatasetPublic(version=info.version, loaded_at=loaded_at.astimezone(UTC)),
        counts=info.counts,
        links={
            **{resource.name: f"/v1/{resource.name}" for resource in RESOURCES},
            "search": "/v1/search?q=",
            "docs": "/docs",
            "openapi": "/openapi.json",
        },
    )


@router.get("/healthz")
async def health(request: Request, response: Response, _params: NoQuery) -> Health:
    """Liveness and readiness: answers 200 once the database can be queried. Never cached."""
    response.headers["Cache-Control"] = "no-store"
    await served(request, lambda connection: connection.execute(text("SELECT 1")))
    return Health(status="ok", dataset_version=request.app.state.database.info().version)
