"""Rich views of already-redacted data (plain dicts from :func:`opsteam.interfaces.output.emit`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from opsteam.interfaces.cli.list_views import roster_view as roster_view  # re-exported
from opsteam.interfaces.cli.list_views import runs_view as runs_view

_STATUS_STYLE = {
    "completed": "bold green",
    "awaiting-approval": "bold yellow",
    "rejected": "bold red",
    "redirected": "bold cyan",
    "failed": "bold red",
    "running": "bold",
}


def _table(title: str, *columns: str, keep: tuple[str, ...] = ()) -> Table:
    """Columns named in ``keep`` (IDs people copy) never wrap; the others fold to fit."""
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in keep)
    return table


def _when(value: str) -> str:
    """``2026-12-01T02:00:41.661804Z`` -> ``2026-12-01 02:00:41 UTC`` (the JSON keeps it all)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


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
    for assumption in data.get("assumptions", []):
        yield Text(f"Assumption to confirm: {assumption}", style="yellow")
    yield from _pending(data)
    yield from _decisions(data)
    yield from _checks(data)
    yield from model_lines(data.get("model"))
    if data.get("bundle"):
        yield Text(f"Bundle written to {data['bundle']}")
    elif data.get("bundle_target"):
        yield Text(
            f"The bundle will be written to {data['bundle_target']} when the request completes,"
            f" by whichever process finishes it (now: opsteam show {data['thread_id']} --out DIR)"
        )
    yield from _next_step(data)


def model_lines(model: dict[str, Any] | None) -> Iterator[RenderableType]:
    """Model calls and tokens, and each role whose playbook decided instead (and why)."""
    if not model:
        return
    yield Text(
        f"Model: {model['calls']} call(s), {model['input_tokens']} input / "
        f"{model['output_tokens']} output tokens"
    )
    for role in model["roles"]:
        if role["decided_by"] == "playbook" and role["fallback"]:
            yield Text(f"{role['role']}: {role['fallback']}", style="yellow")


def _next_step(data: dict[str, Any]) -> Iterator[RenderableType]:
    """What a person can do next with a finished request."""
    tid = data["thread_id"]
    if data["status"] == "completed":
        yield Text(
            "Next: apply the change, then record how it went with: "
            f"opsteam outcome {tid} succeeded|failed|rolled-back"
        )


def _pending(data: dict[str, Any]) -> Iterator[RenderableType]:
    if not data.get("pending"):
        return
    rounds = {p["round"] for p in data["pending"]}
    title = "Waiting for a human decision"
    if max(rounds) > 1:
        title += f" (round {max(rounds)}, after requested changes)"
    table = _table(title, "checkpoint", "what", "why", keep=("checkpoint",))
    for p in data["pending"]:
        table.add_row(p["id"], p["name"], p["reason"])
    yield table
    first_pending = data["pending"][0]
    for line in first_pending.get("applied", []):
        yield Text(f"Applied from your requested changes: {line}")
    for line in first_pending.get("not_applied", []):
        yield Text(f"Not applied: {line}", style="yellow")
    for p in data["pending"]:
        failing = [g["item"] for g in p.get("gate", []) if not g["passed"]]
        if failing:
            yield Text(f"{p['id']}: gate items not met: {', '.join(failing)}", style="yellow")
    yield from _review(data)
    tid = data["thread_id"]
    choices = "[--reject --reason TEXT | --changes TEXT]"
    if len(data["pending"]) == 1:
        yield Text(f"Decide with: opsteam approve {tid} {choices}")
        return
    first = data["pending"][0]["id"]
    yield Text(f"Decide each with: opsteam approve {tid} --checkpoint {first} {choices}")
    yield Text(f"or all at once with: opsteam approve {tid} --all {choices}")


def _review(data: dict[str, Any]) -> Iterator[RenderableType]:
    """What approving lets change: resources, monthly cost, risk, rollback, the files."""
    lines = (data.get("review") or {}).get("lines") or []
    if not lines:
        return
    yield Text(lines[0], style="bold")
    for line in lines[1:]:
        yield Text(line)


def _decisions(data: dict[str, Any]) -> Iterator[RenderableType]:
    if not data.get("decisions"):
        return
    rounds = any(d["round"] > 1 for d in data["decisions"])
    columns: tuple[str, ...] = ("round",) if rounds else ()
    columns += ("checkpoint", "verdict", "by", "when", "why")
    table = _table("Decisions", *columns, keep=("checkpoint", "verdict"))
    for d in data["decisions"]:
        row = [d["checkpoint"], d["verdict"], d["by"], _when(d["at"]), d["reason"]]
        table.add_row(*([str(d["round"])] if rounds else []), *row)
    yield table


def finding_text(finding: dict[str, Any]) -> str:
    """``CKV_AWS_24: message (resource, line 5)`` from a finding's JSON form."""
    where = ", ".join(
        part
        for part in (
            finding.get("resource") or "",
            f"line {finding['line']}" if finding.get("line") else "",
        )
        if part
    )
    prefix = "warning: " if finding.get("severity") == "warning" else ""
    text = f"{prefix}{finding['check_id']}: {finding['message']}"
    return f"{text} ({where})" if where else text


def _unverified(data: dict[str, Any]) -> Iterator[RenderableType]:
    """Said plainly: which files no validator checked (``--strict`` makes it a failure)."""
    paths = sorted(
        {v["path"] for v in data.get("validations", []) if v["status"] == "not-installed"}
    )
    if paths:
        yield Text(
            f"NOT VERIFIED ({len(paths)}, validator not installed): {', '.join(paths)}. "
            "Use --strict (or OPSTEAM_STRICT=1) to fail on this.",
            style="bold yellow",
        )


def _checks(data: dict[str, Any]) -> Iterator[RenderableType]:
    if data.get("artifacts"):
        by_status: dict[str, int] = {}
        for v in data.get("validations", []):
            by_status[v["status"]] = by_status.get(v["status"], 0) + 1
        counts = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) or "none run"
        yield Text(f"Artifacts: {len(data['artifacts'])}; validations: {counts}")
        yield from _unverified(data)
    for v in data.get("validations", []):
        if v["status"] != "passed":
            yield Text(f"  {v['path']}: {v['message']}", style="yellow")
            for finding in v["findings"][:5]:
                yield Text(f"    {finding_text(finding)}")
    if data.get("gate"):
        table = _table("Change approval gate", "item", "ok", "evidence")
        for g in data["gate"]:
            table.add_row(g["item"], "yes" if g["passed"] else "NO", g["evidence"])
        yield table
    if data.get("error"):
        yield Text(f"Error: {data['error']}", style="red")


def runs_detail(rows: list[dict[str, Any]]) -> Iterator[RenderableType]:
    """Several results in full, one after another (a submitted list of requests)."""
    for index, row in enumerate(rows):
        if index:
            yield Text("")
        yield from run_view(row)
