"""Commands for people who talk to the team: ``chat``, ``serve`` and ``token create|list|revoke``.

Thin: the conversation engine, the tokens and the HTTP application live elsewhere; the heavy
imports (prompt_toolkit, FastAPI, uvicorn, LangGraph) happen inside the commands so ``--help``
stays fast.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from opsteam.interfaces.cli.errors import guarded
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import HomeOpt, JsonOpt, RegistryOpt
from opsteam.interfaces.startup import settled


class RoleChoice(StrEnum):
    REQUESTER = "requester"
    APPROVER = "approver"
    ADMIN = "admin"


def chat(
    resume: Annotated[
        str | None,
        typer.Option("--resume", help="Continue a conversation by its id.", show_default=False),
    ] = None,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Talk to the team: describe a need in words, answer its questions, decide checkpoints.

    Also: status of your requests, show an artifact, who is on call, open incidents, KPIs.
    A conversation is stored: leave it and continue later with --resume ID.
    """
    from opsteam.interfaces.chat.terminal import run_chat

    invocation = Invocation(home, registry)
    with guarded(invocation):
        code = run_chat(invocation, resume)
    raise typer.Exit(code)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Serve the HTTP API, the web chat at / and Prometheus metrics at /metrics.

    Every endpoint but /healthz, / and the API docs needs a bearer token: create one with
    'opsteam token create --role requester|approver|admin --name NAME'.
    """
    invocation = Invocation(home, registry)
    with guarded(invocation):
        import uvicorn

        from opsteam.interfaces.api.app import create_app

        app = create_app(invocation.home, invocation.registry)
        settled()
        invocation.output.help(
            f"opsteam serving on http://{host}:{port} (web chat at /, API docs at /docs)"
        )
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


def register(app: typer.Typer) -> None:
    app.command()(chat)
    app.command()(serve)
    token = typer.Typer(
        help="Bearer tokens for the HTTP API and the web chat (stored hashed).",
        no_args_is_help=True,
    )
    token.command("create")(_create)
    token.command("list")(_list)
    token.command("revoke")(_revoke)
    app.add_typer(token, name="token")


def _create(
    role: Annotated[RoleChoice, typer.Option(help="What the token may do.")],
    name: Annotated[str, typer.Option(help="Who holds it: recorded in the decision audit.")],
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Create a token; it is printed once and stored only as a hash."""
    from opsteam.application.access import create_token

    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        secret, info = create_token(invocation.home, role.value, name, invocation.output.redactor)
    data = {"name": info.name, "role": info.role, "token": secret}
    invocation.output.emit(
        data,
        as_json=as_json,
        render=lambda d: [
            f"Token for {d['name']} ({d['role']}): {d['token']}",
            "Keep it now: it is shown only once. Send it as: Authorization: Bearer TOKEN",
        ],
    )


def _list(as_json: JsonOpt = False, home: HomeOpt = None, registry: RegistryOpt = None) -> None:
    """Every token's holder, role, creation time and whether it is revoked (never the secret)."""
    from opsteam.application.access import list_tokens

    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        rows: list[dict[str, Any]] = [
            {
                "name": t.name,
                "role": t.role,
                "created_at": t.created_at.isoformat(),
                "revoked": t.revoked,
            }
            for t in list_tokens(invocation.home)
        ]
    invocation.output.emit(
        rows,
        as_json=as_json,
        render=lambda rs: (
            [
                f"{r['name']}  {r['role']}  {r['created_at']}{'  revoked' if r['revoked'] else ''}"
                for r in rs
            ]
            or ["No tokens yet: opsteam token create --role ROLE --name NAME"]
        ),
    )


def _revoke(
    name: Annotated[str, typer.Argument(help="Whose tokens to revoke.")],
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Revoke every active token of NAME (exit 2 when NAME holds none)."""
    from opsteam.application.access import revoke_tokens
    from opsteam.domain.errors import NotFoundError

    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        count = revoke_tokens(invocation.home, name)
        if count == 0:
            raise NotFoundError(f"{name!r} holds no active token")
    invocation.output.emit(
        {"name": name, "revoked": count},
        as_json=as_json,
        render=lambda d: f"Revoked {d['revoked']} token(s) of {d['name']}",
    )
