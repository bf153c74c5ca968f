"""Rich views of the team's chat replies (already redacted JSON data)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from opsteam.interfaces.cli.views import finding_text

_TONE = {"info": "", "error": "bold red", "hint": "dim", "said": "bold"}
_STATUS = {
    "completed": "bold green",
    "awaiting-approval": "bold yellow",
    "failed": "bold red",
    "rejected": "bold red",
    "redirected": "bold cyan",
}
MAX_FILES = 20
SPARK = "▁▂▃▄▅▆▇█"


def render(reply: dict[str, Any]) -> Iterator[RenderableType]:
    kind = reply["kind"]
    if kind == "said":
        yield Text(f"you> {reply['text']}", style="bold")
    elif kind == "text":
        prefix = "error: " if reply["tone"] == "error" else ""
        yield Text(f"team> {prefix}{reply['text']}", style=_TONE[reply["tone"]])
    elif kind == "question":
        yield from _question(reply)
    elif kind == "request":
        yield from _request(reply["detail"])
    elif kind == "table":
        yield from _table(reply)
    elif kind == "artifact":
        yield Text(f"team> {reply['path']} ({reply['role']}, {reply['artifact_kind']})", "bold")
        yield Text(reply["content"])
    elif kind == "kpis":
        yield from _kpis(reply)


def _question(reply: dict[str, Any]) -> Iterator[RenderableType]:
    if reply["understood"]:
        facts = ", ".join(f"{k}: {v}" for k, v in reply["understood"].items())
        yield Text(f"team> Understood so far: {facts}", style="dim")
    for problem in reply["problems"]:
        yield Text(f"team> {problem}", style="yellow")
    yield Text(f"team> {reply['question']}", style="bold cyan")


def _request(detail: dict[str, Any]) -> Iterator[RenderableType]:
    r = detail["result"]
    yield Text.assemble(
        ("team> ", ""),
        (r["status"].upper(), _STATUS.get(r["status"], "bold")),
        f"  {r['request']}  [{r['environment']}]  {r['thread_id']}",
    )
    yield Text(f"      {r['summary']}")
    if r.get("design"):
        yield Text(f"      Design: {r['design']}  Risk: {r['risk']}")
    for p in r["pending"]:
        yield from _checkpoint(p, detail.get("preview"))
    for line in (r.get("review") or {}).get("lines", []):
        yield Text(f"      {line}")
    if r["pending"]:
        ids = [p["id"] for p in r["pending"]]
        which = "" if len(ids) == 1 else f" {ids[0]}|all"
        yield Text(
            f"      Reply: approve{which} | reject{which}: REASON | changes{which}: WHAT",
            style="bold cyan",
        )
    yield from _outcome(r)


def _checkpoint(p: dict[str, Any], preview: dict[str, Any] | None) -> Iterator[RenderableType]:
    yield Text(f"      Checkpoint: {p['name']} ({p['id']}), round {p['round']}", "bold yellow")
    yield Text(f"        Why: {p['reason']}")
    for line in p.get("applied", []):
        yield Text(f"        Applied from your requested changes: {line}")
    for line in p.get("not_applied", []):
        yield Text(f"        Not applied: {line}", style="yellow")
    failing = [g["item"] for g in p.get("gate", []) if not g["passed"]]
    if failing:
        yield Text(f"        Gate items not met: {', '.join(failing)}", style="yellow")
    if preview is None:
        return
    yield Text("        The design:")
    if preview.get("components"):
        yield Text(f"          components: {', '.join(preview['components'])}")
    if preview.get("specialists"):
        yield Text(f"          specialists: {', '.join(preview['specialists'])}")
    if preview.get("maintenance_window"):
        yield Text(f"          window: {preview['maintenance_window']}")
    files = preview.get("files", [])
    yield Text(f"          files: {preview['files_note']}")
    for f in files[:MAX_FILES]:
        yield Text(f"            {f['path']} ({f['role']})")
    if len(files) > MAX_FILES:
        yield Text(f"            ... and {len(files) - MAX_FILES} more (say: artifacts)")


def _outcome(r: dict[str, Any]) -> Iterator[RenderableType]:
    if r["status"] in ("completed", "failed") and r.get("artifacts"):
        counts: dict[str, int] = {}
        for v in r.get("validations", []):
            counts[v["status"]] = counts.get(v["status"], 0) + 1
        tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none run"
        yield Text(f"      Artifacts: {len(r['artifacts'])}; validations: {tally}")
        for v in r.get("validations", []):
            if v["status"] != "passed":
                yield Text(f"        {v['path']}: {v['message']}", style="yellow")
                for finding in v["findings"][:3]:
                    yield Text(f"          {finding_text(finding)}")
        yield Text(
            "      Read one with: show FILE (or: show diagram); list them: artifacts", style="dim"
        )
    for d in r.get("decisions", [])[-3:]:
        why = f": {d['reason']}" if d["reason"] else ""
        yield Text(f"      Decided: {d['checkpoint']} {d['verdict']} by {d['by']}{why}", "dim")
    if r.get("error"):
        yield Text(f"      Error: {r['error']}", style="red")


def _table(reply: dict[str, Any]) -> Iterator[RenderableType]:
    if not reply["rows"]:
        yield Text(f"team> {reply['empty']}")
        return
    table = Table(title=reply["title"], title_justify="left")
    for column in reply["columns"]:
        table.add_column(column, overflow="fold")
    for row in reply["rows"]:
        table.add_row(*row)
    yield table


def sparkline(values: list[float | None]) -> str:
    """A KPI's series in one line of block characters (a gap where there is no data)."""
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(
        " " if v is None else SPARK[round((v - low) / span * (len(SPARK) - 1))] for v in values
    )


def _kpis(reply: dict[str, Any]) -> Iterator[RenderableType]:
    trend = {t["key"]: t for t in reply["trend"]}
    table = Table(title="KPIs against their targets", title_justify="left")
    for column in ("KPI", "Target", "Actual", "Status", "Trend"):
        table.add_column(column, overflow="fold")
    for row in reply["rows"]:
        actual = "-" if row["actual"] is None else f"{row['actual']:g} {row['unit']}"
        series = [p["actual"] for p in trend.get(row["key"], {}).get("points", [])]
        table.add_row(row["name"], row["target"], actual, row["status"], sparkline(series))
    yield table
