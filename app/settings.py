"""Runtime settings, read from the environment (prefix ``ARTICLE_FACTS_``) or a ``.env`` file."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARTICLE_FACTS_", env_file=".env", extra="ignore")

    db: Path = Field(PROJECT_ROOT / "data" / "article-facts.sqlite3", description="SQLite database file.")
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "ARTICLE_FACTS_DATABASE_URL"),
        description="A PostgreSQL URL (`postgresql+psycopg://user:password@host/db`); when set, it is used "
        "instead of the SQLite file by the app, the loader and the migrations.",
    )
    export_dir: Path | None = Field(
        None,
        description="Folder of the bulk download (`/v1/export/datapackage.zip`), written by each load; default: the "
        "SQLite file's folder (for PostgreSQL, `data/`: share it with every server that serves the download).",
    )
    seeds: Path = Field(PROJECT_ROOT / "seeds", description="Seed folder the database is built from.")
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(8000, description="Port `serve` binds to.")
    graceful_shutdown_s: int = Field(
        5,
        ge=1,
        description=(
            "Seconds `serve` lets running requests finish after SIGTERM/SIGINT before it cancels them and exits; "
            "below Docker's 10 s stop timeout, so the process ends on its own before it is killed."
        ),
    )
    cors_origins: list[str] = Field(
        ["*"], description="Origins allowed to read the API from a browser (JSON list); `*` means any."
    )
    cursor_secret: str = Field(
        "article-facts-cursor", description="Key that signs pagination cursors so tampered ones are refused."
    )
    query_timeout_ms: int = Field(
        2000, gt=0, description="Time budget of one SQL statement; over it the request answers 503."
    )
    inline_budget_ms: int = Field(
        10,
        gt=0,
        description="CPU-time budget of a statement run on the event loop; over it the request moves to the slow lane.",
    )
    slow_lane_threads: int = Field(2, ge=1, description="Threads that run requests too slow for the event loop.")
    # Bounds on what one request may cost (docs/reliability.md).
    export_max_rows: int = Field(
        1_000_000, ge=1, description="Most items one streamed export (`stream=true`) sends; it ends there."
    )
    max_concurrency: int = Field(
        64, ge=1, description="Requests one worker handles at once; more are refused at once (503), not queued."
    )
    # 8 KiB, the request-line limit of the usual proxies (nginx's 8k buffers, Apache's 8190 bytes): above the
    # longest request the OpenAPI document allows (~7 KB: every parameter at its longest, percent-encoded), so a
    # valid request is never refused; tests/test_openapi.py adds it up.
    max_url_bytes: int = Field(
        8192,
        ge=256,
        description="Longest request path plus query string (else 414); below 8192 a valid request may be refused.",
    )
    max_header_bytes: int = Field(8192, ge=1024, description="Largest total size of the request headers (else 431).")
    max_header_count: int = Field(64, ge=8, description="Most request headers (else 431).")
    log_level: str = Field("INFO", description="Level of the JSON log lines on stderr (`INFO` logs every request).")
    reload_check_s: float = Field(
        1.0,
        ge=0,
        description="On PostgreSQL, how often (seconds) a worker re-reads the dataset version to notice a new load.",
    )

    def target(self) -> Path | str:
        """What to serve or load: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.database_url or self.db


@lru_cache
def get_settings() -> Settings:
    return Settings()
