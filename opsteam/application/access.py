"""Who may do what: bearer tokens carrying a role, and who owns which request.

Tokens are random secrets shown once at creation and stored only as their SHA-256 digest (a
high-entropy secret needs no slow hash). The token's name is the identity the decision audit
records. Roles: a requester submits and reads its own requests; an approver also reads every
request and decides checkpoints; an admin may do everything, including managing tokens.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from opsteam.application.db import open_store
from opsteam.application.tables import Base
from opsteam.domain.errors import InputError, OpsteamError
from opsteam.domain.redaction import Redactor

Role = Literal["requester", "approver", "admin"]
ROLES: tuple[Role, ...] = ("requester", "approver", "admin")
Action = Literal[
    "submit",
    "read-own",
    "read-all",
    "decide",
    "operate",
    "report-incident",
    "manage-incidents",
    "admin",
]
# Each role may do what the one below it may, and more.
_REQUESTER = frozenset({"submit", "read-own", "operate", "report-incident"})
_APPROVER = _REQUESTER | {"read-all", "decide", "manage-incidents"}
_ALLOWED: dict[Role, frozenset[str]] = {
    "requester": _REQUESTER,
    "approver": _APPROVER,
    "admin": _APPROVER | {"admin"},
}
TOKEN_PREFIX = "ops_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@ -]{0,63}$")
Clock = Callable[[], datetime]


class ForbiddenError(OpsteamError):
    """The caller is known but its role does not allow the action."""

    exit_code = 2


class TokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class OwnerRow(Base):
    __tablename__ = "request_owners"

    thread_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


@dataclass(frozen=True)
class Actor:
    """Someone acting through an interface: a name (recorded in audits) and a role."""

    name: str
    role: Role

    def may(self, action: Action) -> bool:
        return action in _ALLOWED[self.role]

    def require(self, action: Action, what: str) -> None:
        """Refuse, in one line naming the role, what this actor's role does not allow."""
        if not self.may(action):
            raise ForbiddenError(f"the {self.role} role may not {what}")


@dataclass(frozen=True)
class TokenInfo:
    name: str
    role: Role
    created_at: datetime
    revoked: bool


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def check_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise InputError(f"role: {role!r} is not one of {', '.join(ROLES)}")


def check_name(name: str, redactor: Redactor) -> str:
    """A name people recognise in an audit: printable, short, and no internal roster ID."""
    name = name.strip()
    if not _NAME.match(name):
        raise InputError(
            "name: 1-64 characters, letters, digits, space, dot, underscore, @ or dash, "
            "starting with a letter or digit"
        )
    if redactor.ids(name):
        raise InputError("name: must not contain a roster's internal ID")
    return name


def create_token(
    home: Path, role: str, name: str, redactor: Redactor, clock: Clock = _now
) -> tuple[str, TokenInfo]:
    """A new token for ``name`` with ``role``; the secret is returned once, never stored."""
    checked_role, checked_name = check_role(role), check_name(name, redactor)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    at = clock()
    with open_store(home) as store, store.session() as session:
        others = session.scalars(
            select(TokenRow).where(TokenRow.name == checked_name, TokenRow.revoked_at.is_(None))
        ).all()
        if any(o.role != checked_role for o in others):
            raise InputError(
                f"name: {checked_name!r} already holds a token with another role; "
                "revoke it first (opsteam token revoke NAME)"
            )
        session.add(
            TokenRow(
                name=checked_name, role=checked_role, token_hash=_digest(secret), created_at=at
            )
        )
    return secret, TokenInfo(checked_name, checked_role, at, revoked=False)


def authenticate(home: Path, secret: str) -> Actor | None:
    """The actor a presented secret stands for, or None (unknown or revoked)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    with open_store(home) as store, store.session() as session:
        row = session.scalar(select(TokenRow).where(TokenRow.token_hash == _digest(secret)))
        if row is None or row.revoked_at is not None:
            return None
        return Actor(row.name, check_role(row.role))


def list_tokens(home: Path) -> list[TokenInfo]:
    with open_store(home) as store, store.session() as session:
        rows = session.scalars(select(TokenRow).order_by(TokenRow.created_at)).all()
        return [
            TokenInfo(r.name, check_role(r.role), r.created_at, r.revoked_at is not None)
            for r in rows
        ]


def revoke_tokens(home: Path, name: str, clock: Clock = _now) -> int:
    """Revoke every active token of ``name``; how many were revoked."""
    with open_store(home) as store, store.session() as session:
        rows = session.scalars(
            select(TokenRow).where(TokenRow.name == name.strip(), TokenRow.revoked_at.is_(None))
        ).all()
        for row in rows:
            row.revoked_at = clock()
        return len(rows)


# ---- request ownership -----------------------------------------------------------------


def record_owner(home: Path, thread_id: str, owner: str, channel: str, clock: Clock = _now) -> None:
    """Who submitted a request (through the API or a chat): a requester reads only its own."""
    with open_store(home) as store, store.session() as session:
        if session.get(OwnerRow, thread_id) is None:
            session.add(
                OwnerRow(thread_id=thread_id, owner=owner, channel=channel, created_at=clock())
            )


def owned_threads(home: Path, owner: str) -> set[str]:
    with open_store(home) as store, store.session() as session:
        rows = session.scalars(select(OwnerRow.thread_id).where(OwnerRow.owner == owner))
        return set(rows)


def may_read(home: Path, actor: Actor, thread_id: str) -> bool:
    if actor.may("read-all"):
        return True
    with open_store(home) as store, store.session() as session:
        row = session.get(OwnerRow, thread_id)
        return row is not None and row.owner == actor.name
