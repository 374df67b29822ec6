"""Settings from the environment: the only module that reads environment variables of its own."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What the environment may override; the watchlist holds everything else."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    config: Path = Field(default=Path("config/watchlist.yaml"), validation_alias="CLAIMWATCH_CONFIG")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    broker_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CELERY_BROKER_URL", "REDIS_URL"))


DEFAULT_DATABASE = "sqlite:///data/claimwatch.db"


def load_settings() -> Settings:
    return Settings()
