"""Tokens and ownership: stored hashed, roles enforced, names checked, 0005 migration."""

from __future__ import annotations

from pathlib import Path

import ops_db
import pytest
import sqlalchemy as sa

from opsteam.application.access import (
    Actor,
    ForbiddenError,
    authenticate,
    create_token,
    list_tokens,
    may_read,
    owned_threads,
    record_owner,
    revoke_tokens,
)
from opsteam.application.db import normalize_url, open_store
from opsteam.domain.errors import InputError
from tests.exits import REDACTOR


def test_a_token_is_shown_once_and_stored_only_as_a_hash(tmp_path: Path) -> None:
    secret, info = create_token(tmp_path, "approver", "bob", REDACTOR)
    assert secret.startswith("ops_") and len(secret) > 40
    assert (info.name, info.role) == ("bob", "approver")
    engine = sa.create_engine(normalize_url(f"sqlite:///{tmp_path / 'opsteam.db'}"))
    with engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM api_tokens"))]
    engine.dispose()
    assert stored and not any(secret in str(value) for row in stored for value in row)
    assert authenticate(tmp_path, secret) == Actor("bob", "approver")


def test_unknown_and_revoked_tokens_authenticate_nobody(tmp_path: Path) -> None:
    secret, _ = create_token(tmp_path, "requester", "alice", REDACTOR)
    assert authenticate(tmp_path, secret + "x") is None
    assert authenticate(tmp_path, "not-a-token") is None
    assert revoke_tokens(tmp_path, "alice") == 1
    assert authenticate(tmp_path, secret) is None
    assert [t.revoked for t in list_tokens(tmp_path)] == [True]
    assert revoke_tokens(tmp_path, "alice") == 0


@pytest.mark.parametrize(
    ("role", "name", "problem"),
    [
        ("owner", "alice", "role: 'owner' is not one of requester, approver, admin"),
        ("admin", "", "name: 1-64 characters"),
        ("admin", "bad\nname", "name: 1-64 characters"),
        ("admin", "INF-003", "name: must not contain a roster's internal ID"),
    ],
)
def test_bad_token_input_is_refused_and_nothing_stored(
    tmp_path: Path, role: str, name: str, problem: str
) -> None:
    with pytest.raises(InputError, match=problem.split("(")[0][:30]):
        create_token(tmp_path, role, name, REDACTOR)
    assert list_tokens(tmp_path) == []


def test_one_name_holds_one_role(tmp_path: Path) -> None:
    create_token(tmp_path, "requester", "alice", REDACTOR)
    create_token(tmp_path, "requester", "alice", REDACTOR)  # a second one (rotation) is fine
    with pytest.raises(InputError, match="another role"):
        create_token(tmp_path, "admin", "alice", REDACTOR)


def test_roles_and_ownership(tmp_path: Path) -> None:
    requester, approver = Actor("alice", "requester"), Actor("bob", "approver")
    with pytest.raises(ForbiddenError, match="the requester role may not decide"):
        requester.require("decide", "decide checkpoints")
    approver.require("decide", "decide checkpoints")
    assert not approver.may("admin") and Actor("root", "admin").may("admin")
    record_owner(tmp_path, "chg-000000000001", "alice", "api")
    record_owner(tmp_path, "chg-000000000001", "mallory", "api")  # the first owner stays
    assert owned_threads(tmp_path, "alice") == {"chg-000000000001"}
    assert may_read(tmp_path, requester, "chg-000000000001")
    assert not may_read(tmp_path, Actor("carol", "requester"), "chg-000000000001")
    assert may_read(tmp_path, approver, "chg-000000000001")


def test_migration_0005_creates_the_new_tables(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        names = set(sa.inspect(store.engine).get_table_names())
    assert {"api_tokens", "request_owners", "chat_conversations", "chat_messages"} <= names


db_url = ops_db.db_url  # fixtures: SQLite, and Postgres when configured
postgres_url = ops_db.postgres_url


def test_tokens_owners_and_conversations_on_every_backend(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsteam.application.chat import store
    from opsteam.application.chat.replies import TextReply

    monkeypatch.setenv("OPSTEAM_DATABASE_URL", db_url)
    secret, _ = create_token(tmp_path, "admin", "root", REDACTOR)
    assert authenticate(tmp_path, secret) == Actor("root", "admin")
    record_owner(tmp_path, "chg-000000000002", "root", "web")
    assert owned_threads(tmp_path, "root") == {"chg-000000000002"}
    conversation = store.start(tmp_path, "root", "web")
    conversation.state.focus = "chg-000000000002"
    store.save(tmp_path, conversation, "status", [TextReply(text="one"), TextReply(text="two")])
    store.save(tmp_path, conversation, "again", [])
    assert store.load(tmp_path, conversation.id).state.focus == "chg-000000000002"
    history = store.history(tmp_path, conversation.id)
    assert [r.kind for r in history] == ["said", "text", "text", "said"]
    assert [c["id"] for c in store.conversations_of(tmp_path, "root")] == [conversation.id]
    assert not (tmp_path / "opsteam.db").exists() or db_url.startswith("sqlite")
