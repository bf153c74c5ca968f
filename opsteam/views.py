"""Rich views of already-redacted data (plain dicts from :func:`opsteam.output.emit`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

_STATUS_STYLE = {
    "completed": "bold green",
    "awaiting-approval": "bold yellow",
    "rejected": "bold red",
    "redirected": "bold cyan",
    "failed": "bold red",
    "running": "bold",
}


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def run_view(data: dict[str, Any]) -> Iterator[RenderableType]:
    status = data["status"]
    yield Text.assemble(
        (f"{status.upper()}", _STATUS_STYLE.get(status, "bold")),
        f"  {data['request']}  [{data['environment']}]  thread {data['thread_id']}",
    )
    yield Text(data["summary"])
    if data.get("redirect"):
        r = data["redirect"]
        yield Text(f"Owner: {r['owner']} ({r['topic']})")
    if data.get("team"):
        yield Text("Team: " + ", ".join(data["team"]))
    if data.get("design"):
        yield Text(f"Design: {data['design']}  Risk: {data['risk']}")
    yield from _pending(data)
    yield from _decisions(data)
    yield from _checks(data)
    if data.get("bundle"):
        yield Text(f"Bundle written to {data['bundle']}")


def _pending(data: dict[str, Any]) -> Iterator[RenderableType]:
    if not data.get("pending"):
        return
    table = _table("Waiting for a human decision", "checkpoint", "what", "why")
    for p in data["pending"]:
        table.add_row(p["id"], p["name"], p["reason"])
    yield table
    for p in data["pending"]:
        failing = [g["item"] for g in p.get("gate", []) if not g["passed"]]
        if failing:
            yield Text(f"{p['id']}: gate items not met: {', '.join(failing)}", style="yellow")
    tid = data["thread_id"]
    first = data["pending"][0]["id"]
    yield Text(
        f"Decide with: opsteam approve {tid} --checkpoint {first} "
        "[--reject --reason TEXT | --changes TEXT]"
    )


def _decisions(data: dict[str, Any]) -> Iterator[RenderableType]:
    if not data.get("decisions"):
        return
    table = _table("Decisions", "round", "checkpoint", "verdict", "by", "when", "why")
    for d in data["decisions"]:
        table.add_row(str(d["round"]), d["checkpoint"], d["verdict"], d["by"], d["at"], d["reason"])
    yield table


def _checks(data: dict[str, Any]) -> Iterator[RenderableType]:
    if data.get("artifacts"):
        by_status: dict[str, int] = {}
        for v in data.get("validations", []):
            by_status[v["status"]] = by_status.get(v["status"], 0) + 1
        counts = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) or "none run"
        yield Text(f"Artifacts: {len(data['artifacts'])}; validations: {counts}")
    for v in data.get("validations", []):
        if v["status"] != "passed":
            yield Text(f"  {v['path']}: {v['message']}", style="yellow")
            for finding in v["findings"][:5]:
                yield Text(f"    {finding}")
    if data.get("gate"):
        table = _table("Change approval gate", "item", "ok", "evidence")
        for g in data["gate"]:
            table.add_row(g["item"], "yes" if g["passed"] else "NO", g["evidence"])
        yield table
    if data.get("error"):
        yield Text(f"Error: {data['error']}", style="red")


def runs_view(data: list[dict[str, Any]]) -> Iterator[RenderableType]:
    table = _table("Requests", "thread", "status", "environment", "request", "pending")
    for r in data:
        table.add_row(
            r["thread_id"],
            r["status"],
            r["environment"],
            r["request"],
            ", ".join(p["id"] for p in r.get("pending", [])),
        )
    yield table


def roster_view(data: dict[str, Any]) -> Iterator[RenderableType]:
    yield Text(f"{data['team']} (lead: {data['lead']})", style="bold")
    yield Text(data["mission"])
    table = _table("Roster", "role", "slug", "specialty", "responsibility")
    for r in data["roles"]:
        table.add_row(r["name"], r["slug"], r["specialty"], r["primary_responsibility"])
    yield table
