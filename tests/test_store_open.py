"""Opening the history store: one engine per URL, at most one query when the schema is current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ops_db
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from opsteam.application.db import engine_for, migrations_dir, open_store, upgrade_to_head
from opsteam.migrations import HEAD_REVISION

db_url = ops_db.db_url  # fixtures: SQLite, and Postgres when configured
postgres_url = ops_db.postgres_url


def test_the_packaged_head_constant_is_the_migration_scripts_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]


def test_one_engine_per_url_per_process(db_url: str) -> None:
    with open_store(url=db_url) as first, open_store(url=db_url) as second:
        assert first.engine is second.engine
    assert engine_for(db_url) is first.engine


def test_opening_a_current_store_costs_one_query_then_none(db_url: str) -> None:
    """A store another process migrated costs this one query to open; once the process has
    seen it current, opening it again (every history write opens it) costs none."""
    upgrade_to_head(db_url)  # as another process would have
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        del conn, cursor, rest
        statements.append(statement)

    engine = engine_for(db_url)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        with open_store(url=db_url):
            pass
        first = list(statements)
        with open_store(url=db_url):
            pass
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(first) == 1 and "alembic_version" in first[0]
    assert statements == first


def test_a_store_deleted_under_the_process_is_migrated_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    with open_store(url=url):
        pass
    (tmp_path / "history.db").unlink()
    with open_store(url=url) as store:
        names = set(sa.inspect(store.engine).get_table_names())
    assert {"requests", "changes", "alembic_version"} <= names
