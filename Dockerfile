# The same steps as `make run`, in a slim image: locked dependencies, the database built at build time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    ARTICLE_FACTS_DB=/app/data/article-facts.sqlite3

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# The app runs from its source folder (no build step, so nothing unpinned is fetched).
COPY pyproject.toml ./
COPY app ./app
COPY migrations ./migrations
COPY seeds ./seeds
RUN python -m app.cli check && python -m app.cli load \
    && useradd --system --uid 10001 --no-create-home facts

USER facts
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# `serve` rather than bare uvicorn: the same settings everywhere, including the shutdown grace period
# (ARTICLE_FACTS_GRACEFUL_SHUTDOWN_S, 5 s, under `docker stop`'s 10 s).
CMD ["python", "-m", "app.cli", "serve", "--host", "0.0.0.0", "--port", "8000"]
