"""Output for pipes: a table becomes one record per line, never wrapped.

At a terminal people get Rich tables; when stdout is a pipe or a file, ``grep`` and ``cut``
need whole records: each row is one line of tab-separated cells (the header first), so
``opsteam roster | grep "Systems Administrator"`` finds its row. (``NO_COLOR`` is honoured by
Rich itself, at a terminal and in the help.)

Views may build :class:`Line` and :class:`Grid` instead of Rich objects: at a terminal they
become the same Rich text and table, in a pipe plain lines, without importing Rich at all.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Line:
    """One line of text, styled at a terminal (a Rich style name such as ``bold``)."""

    text: str
    style: str = ""


@dataclass
class Grid:
    """A titled table; columns named in ``keep`` (IDs people copy) never wrap."""

    title: str
    columns: tuple[str, ...]
    keep: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add_row(self, *cells: str) -> None:
        self.rows.append(cells)


def to_rich(item: Any) -> Any:
    """A :class:`Line` or :class:`Grid` as the Rich text or table a terminal shows."""
    if isinstance(item, Line):
        from rich.text import Text

        return Text(item.text, style=item.style)
    if isinstance(item, Grid):
        from rich.table import Table

        table = Table(title=item.title, title_justify="left", show_lines=False, expand=False)
        for column in item.columns:
            table.add_column(column, overflow="fold", no_wrap=column in item.keep)
        for row in item.rows:
            table.add_row(*row)
        return table
    return item


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


def grid_lines(grid: Grid) -> Iterator[str]:
    """The same lines :func:`table_lines` gives for the grid's Rich table."""
    yield f"# {_cell(grid.title)}"
    yield "\t".join(_cell(c) for c in grid.columns)
    for row in grid.rows:
        yield "\t".join(_cell(cell) for cell in row)


def for_pipe(item: Any) -> Any:
    """``item`` as a pipe should get it: text and tables as lines, other Rich objects as is."""
    if isinstance(item, Line):
        return item.text
    if isinstance(item, Grid):
        return "\n".join(grid_lines(item))
    if "rich.table" in sys.modules:  # else no Rich table can exist
        from rich.table import Table

        if isinstance(item, Table):
            return "\n".join(table_lines(item))
    return item
