"""Runtime settings, read from the environment (prefix ``ARTICLE_FACTS_``) or a ``.env`` file."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARTICLE_FACTS_", env_file=".env", extra="ignore")

    db: Path = Field(PROJECT_ROOT / "data" / "article-facts.sqlite3", description="SQLite database file.")
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


@lru_cache
def get_settings() -> Settings:
    return Settings()
