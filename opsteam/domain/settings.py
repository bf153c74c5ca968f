"""Configuration, read in one place: ``OPSTEAM_*`` environment variables, then a TOML file.

Everything that used to peek at ``os.environ`` asks :func:`load_settings` instead, so a test
(or an embedding program) can pass its own mapping and nothing else reads the environment.
With a settings file, pydantic-settings reads both sources (:mod:`opsteam.domain.settings_file`);
with none, the ``OPSTEAM_*`` variables are validated by this same model directly, which
spares every command pydantic-settings' import (longer than pydantic's and PyYAML's
together). Neither is loaded by ``--help`` or ``--version``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Searched in this order: the big RFC 1918 blocks, most room first.
DEFAULT_ADDRESS_POOL: tuple[IPv4Network, ...] = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
)
# Where the bundle's runbook is published; alerts link there (absolute, as Alertmanager needs).
DEFAULT_RUNBOOK_BASE_URL = "https://runbooks.example.com"
_POSTGRES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def settings_file() -> Path:
    """The TOML settings file: ``$OPSTEAM_CONFIG``, else ``<user config dir>/settings.toml``."""
    explicit = os.environ.get("OPSTEAM_CONFIG")
    if explicit:
        return Path(explicit)
    from platformdirs import user_config_dir

    return Path(user_config_dir("opsteam")) / "settings.toml"


class Settings(BaseModel):
    """Every knob opsteam reads from its environment; all optional, safe defaults."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    home: Path | None = Field(default=None, description="data directory (runs, history)")
    registry: Path | None = Field(default=None, description="your own registry.yaml")
    database_url: str | None = Field(default=None, description="history store (SQLAlchemy URL)")
    checkpoint_url: str | None = Field(default=None, description="checkpoints (Postgres URL)")
    user: str | None = Field(default=None, description="who decides, when --by is not given")
    log: str = Field(default="WARNING", description="log level")
    debug: bool = Field(default=False, description="show tracebacks of internal errors")
    quiet: bool = Field(default=False, description="no progress lines on stderr")
    strict: bool = Field(default=False, description="a missing validator fails the run")
    tools: Path | None = Field(default=None, description="where isolated validator venvs live")
    checkov: Path | None = Field(default=None, description="explicit checkov executable")
    tf_schema: Path | None = Field(
        default=None, description="explicit Terraform provider-schema cache (JSON)"
    )
    # Comma-separated in the environment, split by the validator below (never JSON-decoded).
    address_pool: list[IPv4Network] = Field(
        default_factory=lambda: list(DEFAULT_ADDRESS_POOL),
        description="where new VPC ranges come from, in order (comma-separated CIDRs)",
    )
    diagrams: bool = Field(
        default=True, description="render the plan's diagram to SVG when mmdc is installed"
    )
    runbook_base_url: str = Field(
        default=DEFAULT_RUNBOOK_BASE_URL,
        pattern=r"^https?://[^\s]+$",
        description="absolute URL the bundles' runbooks are published under (alert links)",
    )
    model: str | None = Field(
        default=None,
        description="chat model as provider:model (anthropic:claude-sonnet-4-5); unset: offline",
    )
    model_retries: int = Field(
        default=2, ge=0, le=5, description="re-asks of the model after an invalid proposal"
    )

    @field_validator("address_pool", mode="before")
    @classmethod
    def _split_pool(cls, value: Any) -> Any:
        """``10.0.0.0/8,172.16.0.0/12`` from the environment; a list as it is."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("address_pool")
    @classmethod
    def _pool(cls, pool: list[IPv4Network]) -> list[IPv4Network]:
        if not pool:
            raise ValueError("needs at least one range")
        return pool


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``environ``; by default the process environment and the settings file."""
    if environ is None:
        if settings_file().is_file():
            from opsteam.domain.settings_file import read_settings

            return read_settings()
        environ = os.environ
    prefix = "OPSTEAM_"
    values = {
        key[len(prefix) :].lower(): value
        for key, value in environ.items()
        if key.upper().startswith(prefix) and value != ""
    }
    return Settings.model_validate(values)


def user_data_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("opsteam"))


def data_home(explicit: str | Path | None = None, settings: Settings | None = None) -> Path:
    """The data directory: ``explicit``, else ``$OPSTEAM_HOME``, else the user data dir."""
    settings = settings or load_settings()
    home = Path(explicit) if explicit else settings.home or user_data_home()
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url(home: Path, settings: Settings | None = None) -> str:
    """SQLAlchemy URL of the history store; ``$OPSTEAM_DATABASE_URL`` selects Postgres."""
    settings = settings or load_settings()
    return settings.database_url or f"sqlite:///{home / 'opsteam.db'}"


def checkpoint_url(home: Path, settings: Settings | None = None) -> str:
    """Where graph checkpoints live: a Postgres URL, or a SQLite file under the home."""
    settings = settings or load_settings()
    url = settings.checkpoint_url or settings.database_url
    if url and url.startswith(_POSTGRES):
        return url.replace("postgresql+psycopg://", "postgresql://")
    return str(home / "checkpoints.sqlite")


def tools_home(settings: Settings | None = None) -> Path:
    """Where the isolated tool venvs live (``$OPSTEAM_TOOLS`` or ~/.cache/opsteam-tools)."""
    settings = settings or load_settings()
    if settings.tools is not None:
        return settings.tools
    return Path(os.path.expanduser("~")) / ".cache" / "opsteam-tools"
