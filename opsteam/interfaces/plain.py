"""Output for pipes: a table becomes one record per line, never wrapped.

At a terminal people get Rich tables; when stdout is a pipe or a file, ``grep`` and ``cut``
need whole records: each row is one line of tab-separated cells (the header first), so
``opsteam roster | grep "Systems Administrator"`` finds its row. (``NO_COLOR`` is honoured by
Rich itself, at a terminal and in the help.)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any


def to_terminal() -> bool:
    """True when people read stdout (a terminal); False for pipes and files."""
    return sys.stdout.isatty()


def _cell(value: Any) -> str:
    """A cell's plain text on one line (multi-line cells join with ``; ``)."""
    text = getattr(value, "plain", value)
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return "; ".join(lines).replace("\t", " ")


def table_lines(table: Any) -> Iterator[str]:
    """The header, then one tab-separated line per row."""
    columns = list(table.columns)
    if table.title:
        yield f"# {_cell(table.title)}"
    if table.show_header:
        yield "\t".join(_cell(c.header) for c in columns)
    cells = [list(c.cells) for c in columns]
    for row in range(table.row_count):
        yield "\t".join(_cell(column[row]) if row < len(column) else "" for column in cells)


def for_pipe(item: Any) -> Any:
    """``item`` as a pipe should get it: tables as lines, everything else unchanged."""
    from rich.table import Table

    if isinstance(item, Table):
        return "\n".join(table_lines(item))
    return item
