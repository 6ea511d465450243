# The same steps as `make run`, in a slim image: the runtime lock only, the database built at build time.
# Base pinned to a patch release (Python 3.11.14 on Debian 12). Pin its digest too where you build it: no Docker
# engine runs on our machines, so the digest could not be verified here.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    ARTICLE_FACTS_DB=/app/data/article-facts.sqlite3

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# The app runs from its source folder (no build step, so nothing unpinned is fetched), its bytecode compiled
# once here rather than at every start.
COPY pyproject.toml ./
COPY app ./app
COPY migrations ./migrations
COPY seeds ./seeds
RUN python -m app.cli check && python -m app.cli load && python -m compileall -q app migrations \
    && useradd --system --uid 10001 --no-create-home facts

USER facts
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# `serve` rather than bare uvicorn: the same settings everywhere, including the shutdown grace period
# (ARTICLE_FACTS_GRACEFUL_SHUTDOWN_S, 5 s, under `docker stop`'s 10 s). `--no-build`: the database was built
# above and the image is read-only to the `facts` user; a missing or stale one is a one-line error, never a rebuild.
CMD ["python", "-m", "app.cli", "serve", "--no-build", "--host", "0.0.0.0", "--port", "8000"]
