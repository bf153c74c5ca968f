"""Migration 0003 (incident triage) on a store that already holds incidents: nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import ops_db
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from opsteam.application.db import make_engine, migrations_dir, open_store

db_url = ops_db.db_url  # SQLite, and PostgreSQL when configured (required under CI)
postgres_url = ops_db.postgres_url
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def migrate(url: str, action: str, revision: str) -> None:
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
    engine.dispose()


def columns(url: str) -> set[str]:
    engine = make_engine(url)
    found = {c["name"] for c in sa.inspect(engine).get_columns("incidents")}
    engine.dispose()
    return found


def count_events(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT count(*) FROM incident_events")).scalar_one()
    engine.dispose()
    return int(found)


def test_0003_adds_triage_columns_and_keeps_existing_incidents(db_url: str) -> None:
    migrate(db_url, "upgrade", "0002")
    engine = make_engine(db_url)
    row = {
        "id": "inc-00000001",
        "title": "old incident",
        "description": "from before triage",
        "service": "billing",
        "component": "database",
        "environment": "prod",
        "severity": "P2",
        "severity_reason": "P2: old reason",
        "status": "Investigating",
        "impact": "x",
        "current_action": "y",
        "owner": "database-administrator",
        "level": "on-call",
        "detected_at": T0,
    }
    with engine.begin() as conn:
        names = ", ".join(row)
        conn.execute(
            sa.text(f"INSERT INTO incidents ({names}) VALUES ({', '.join(':' + k for k in row)})"),
            row,
        )
        conn.execute(
            sa.text(
                "INSERT INTO incident_events (incident_id, seq, at, kind, message) "
                "VALUES ('inc-00000001', 1, :at, 'opened', 'Incident opened')"
            ),
            {"at": T0},
        )
    engine.dispose()
    assert "triage" not in columns(db_url)

    with open_store(url=db_url):  # opening the store upgrades it to head
        pass
    assert {"handoff", "specialist", "triage"} <= columns(db_url)
    assert count_events(db_url) == 1

    migrate(db_url, "downgrade", "0002")  # and back: the timeline survives
    assert "triage" not in columns(db_url) and count_events(db_url) == 1
