"""How results leave the process: always redacted first, then JSON or Rich text.

Every way out holds an :class:`Output` built from the loaded roster's :class:`Redactor`;
nothing else prints.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from opsteam.domain.redaction import Redactor
from opsteam.interfaces.plain import Grid, Line, for_pipe, to_rich, to_terminal

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    Shown = RenderableType | Line | Grid
    Renderer = Callable[[Any], Shown | Iterable[Shown]]
else:
    Renderer = Callable[[Any], Any]

# Terminal control characters (ANSI escapes, bells...) are shown, never obeyed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def printable(value: Any) -> Any:
    """Neutralise control characters in every string a terminal will render."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False, markup=False)


class Output:
    """Prints redacted data: JSON for programs, rendered text for people."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def to_json(self, data: Any) -> str:
        return json.dumps(self.redactor.value(data), indent=2, ensure_ascii=False)

    def emit(self, data: Any, *, as_json: bool, render: Renderer | None = None) -> None:
        """Print ``data`` redacted: as JSON for scripts, or through ``render`` for people."""
        safe = self.redactor.value(data)
        if as_json or render is None:
            sys.stdout.write(json.dumps(safe, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()
            return
        rendered = render(printable(safe))
        items = (
            [rendered]
            if isinstance(rendered, str) or not isinstance(rendered, Iterable)
            else list(rendered)
        )
        if to_terminal():
            out = console()
            for item in items:
                out.print(to_rich(item))
            return
        for item in items:  # pipes and files: one record per line, nothing wrapped
            plain = for_pipe(item)
            if isinstance(plain, str):
                sys.stdout.write(plain + "\n")
                sys.stdout.flush()
            else:
                console().print(plain)

    def error(self, lines: Iterable[str], *, as_json: bool = False) -> None:
        """One line per problem on stderr, never a traceback."""
        safe = [self.redactor.text(line) for line in lines]
        if as_json:
            sys.stderr.write(json.dumps({"errors": safe}, ensure_ascii=False) + "\n")
            return
        for line in safe:
            sys.stderr.write(f"error: {visible(line)}\n")

    def help(self, text: str) -> None:
        """Usage/help text produced by the command-line framework (already plain text)."""
        sys.stderr.write(self.redactor.text(text).rstrip("\n") + "\n")

    def progress(self, enabled: bool) -> Callable[[str], None] | None:
        """Step-by-step progress on stderr for people at a terminal; silent for scripts."""
        if not enabled or not sys.stderr.isatty():
            return None
        err = console(stderr=True)

        def show(step: str) -> None:
            err.print(f"  - {self.redactor.text(step)}", style="dim")

        return show
