"""How results leave the process: always redacted first, then JSON or Rich text.

Ways in (CLI, server, chat) call :func:`emit` / :func:`emit_error`; nothing else prints.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console, RenderableType

from opsteam.domain.redaction import redact, redact_text

Renderer = Callable[[Any], RenderableType | Iterable[RenderableType]]
# Terminal control characters (ANSI escapes, bells...) are shown, never obeyed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _printable(value: Any) -> Any:
    """Neutralise control characters in every string a terminal will render."""
    if isinstance(value, str):
        return _visible(value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return value


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False, markup=False)


def to_json(data: Any) -> str:
    return json.dumps(redact(data), indent=2, sort_keys=False, ensure_ascii=False)


def emit(data: Any, *, as_json: bool, render: Renderer | None = None) -> None:
    """Print ``data`` redacted: as JSON for scripts, or through ``render`` for people."""
    safe = redact(data)
    if as_json or render is None:
        sys.stdout.write(json.dumps(safe, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    console = _console()
    rendered = render(_printable(safe))
    items = (
        [rendered]
        if isinstance(rendered, str) or not isinstance(rendered, Iterable)
        else list(rendered)
    )
    for item in items:
        console.print(item)


def emit_error(lines: Iterable[str], *, as_json: bool = False) -> None:
    """One line per problem on stderr, never a traceback."""
    safe = [redact_text(line) for line in lines]
    if as_json:
        sys.stderr.write(json.dumps({"errors": safe}, ensure_ascii=False) + "\n")
        return
    for line in safe:
        sys.stderr.write(f"error: {_visible(line)}\n")


def emit_help(text: str) -> None:
    """Usage/help text produced by the command-line framework (already plain text)."""
    sys.stderr.write(redact_text(text).rstrip("\n") + "\n")


def progress_printer() -> Callable[[str], None] | None:
    """Step-by-step progress on stderr for people at a terminal; silent for scripts."""
    if not sys.stderr.isatty() or os.environ.get("OPSTEAM_QUIET"):
        return None
    console = _console(stderr=True)

    def show(step: str) -> None:
        console.print(f"  - {redact_text(step)}", style="dim")

    return show
