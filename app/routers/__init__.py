"""The HTTP routes: one module per resource (a list and a detail, declared in ``app/resources.py``), plus search
and the index and health check (``meta``)."""

from app.routers import articles, entities, events, export, mentions, meta, pledges, quotes, reader, search

ROUTERS = (
    meta.router,
    articles.router,
    entities.router,
    mentions.router,
    quotes.router,
    pledges.router,
    events.router,
    search.router,
    export.router,
    reader.router,
)
