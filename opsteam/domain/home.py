"""Where opsteam keeps its data: ``$OPSTEAM_HOME`` or the user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def data_home(explicit: str | Path | None = None) -> Path:
    home = Path(explicit or os.environ.get("OPSTEAM_HOME") or user_data_dir("opsteam"))
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url(home: Path) -> str:
    """SQLAlchemy URL of the history store; ``$OPSTEAM_DATABASE_URL`` selects Postgres."""
    return os.environ.get("OPSTEAM_DATABASE_URL") or f"sqlite:///{home / 'opsteam.application.db'}"


def checkpoint_url(home: Path) -> str:
    """Where graph checkpoints live: a Postgres URL, or a SQLite file under the home."""
    url = os.environ.get("OPSTEAM_CHECKPOINT_URL") or os.environ.get("OPSTEAM_DATABASE_URL")
    if url and url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return url.replace("postgresql+psycopg://", "postgresql://")
    return str(home / "checkpoints.sqlite")
