"""Settings from the environment: the only module that reads environment variables of its own."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.errors import ConfigError


class Settings(BaseSettings):
    """What the environment may override; the watchlist holds everything else."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    config: Path = Field(default=Path("config/watchlist.yaml"), validation_alias="CLAIMWATCH_CONFIG")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    broker_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CELERY_BROKER_URL", "REDIS_URL"))
    # The service (Celery): where messages go and how long an unacknowledged one is held back.
    queue: str = Field(default="claimwatch", min_length=1, validation_alias="CLAIMWATCH_QUEUE")
    broker_prefix: str = Field(default="", validation_alias="CLAIMWATCH_BROKER_PREFIX")
    broker_dir: Path = Field(default=Path("data/broker"), validation_alias="CLAIMWATCH_BROKER_DIR")
    visibility_timeout: int = Field(default=1800, ge=5, validation_alias="CLAIMWATCH_VISIBILITY_TIMEOUT")


DEFAULT_DATABASE = "sqlite:///data/claimwatch.db"


def resolve_database_url(configured: str | None) -> str:
    """DATABASE_URL, else the watchlist's `database`, else SQLite under data/."""
    return load_settings().database_url or configured or DEFAULT_DATABASE


def load_settings() -> Settings:
    """The environment's settings; a malformed value is a ConfigError naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{_variable(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"environment: {problems}") from None


def _variable(loc: tuple[int | str, ...]) -> str:
    field = Settings.model_fields.get(str(loc[0])) if loc else None
    alias = field.validation_alias if field else None
    return alias if isinstance(alias, str) else str(loc[0] if loc else "?")
