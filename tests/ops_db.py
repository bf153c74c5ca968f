"""Database targets for the history-store tests: SQLite always, Postgres when configured.

``OPSTEAM_TEST_POSTGRES_URL`` names a server; each test gets its own schema (dropped after).
Under CI the Postgres variant must run: an unset or unreachable URL fails instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from opsteam.application.db import normalize_url

ENV = "OPSTEAM_TEST_POSTGRES_URL"


def _postgres_base() -> str:
    url = os.environ.get(ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {ENV} is not: the Postgres tests must run in CI")
        pytest.skip(f"set {ENV} to run against PostgreSQL")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema on the configured server."""
    base = _postgres_base()
    schema = f"opsteam_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalize_url(base))
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        message = f"{ENV}={base} is not reachable: {str(exc).splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
