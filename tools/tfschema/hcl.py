"""Terraform files as blocks, and the references inside their expressions: pure.

python-hcl2 (``explicit_blocks=True``) serializes blocks as dicts marked ``__is_block__`` and
every expression as a ``${...}`` string; :func:`code_of` blanks literal text out of such a
string so that :func:`references` sees only expression code (a policy document's literal
``"arn:aws:s3:::..."`` is not a reference, its ``${aws_s3_bucket.x.arn}`` is).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

BLOCK_MARK = "__is_block__"
# Labels each top-level block kind carries (resource "type" "name", provider "aws", locals).
LABELS = {
    "resource": 2, "data": 2, "provider": 1, "variable": 1, "output": 1, "module": 1,
    "check": 1, "ephemeral": 2, "locals": 0, "terraform": 0, "moved": 0, "removed": 0,
    "import": 0,
}  # fmt: skip


class HclError(ValueError):
    """The file is not valid HCL (the ``hcl2`` validator reports where)."""


@dataclass(frozen=True)
class Block:
    """A top-level block as written: ``resource "aws_vpc" "main" {...}`` in file:line."""

    kind: str
    labels: tuple[str, ...]
    body: Mapping[str, Any]
    file: str
    line: int | None

    @property
    def address(self) -> str:
        if self.kind == "resource":
            return ".".join(self.labels)
        if self.kind in ("data", "ephemeral"):
            return ".".join((self.kind, *self.labels))
        return ".".join((self.kind, *self.labels)) if self.labels else self.kind


@dataclass(frozen=True)
class Reference:
    """A traversal such as ``aws_subnet.a[0].id``: its root, named steps and source text."""

    root: str
    steps: tuple[str, ...]
    text: str


def parse_file(path: str, text: str) -> list[Block]:
    """The top-level blocks of one file; raises HclError when it does not parse."""
    hcl2: Any = importlib.import_module("hcl2")
    options = hcl2.SerializationOptions(
        strip_string_quotes=True, explicit_blocks=True, with_comments=False
    )
    try:
        data = hcl2.loads(text, serialization_options=options)
    except Exception as exc:  # lark raises many error types; all mean "does not parse"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        raise HclError(message) from exc
    return list(blocks_of(path, text, data))


def blocks_of(path: str, text: str, data: Mapping[str, Any]) -> Iterator[Block]:
    """Flatten hcl2's nesting (``{"resource": [{type: {name: body}}]}``) into Blocks."""
    seen: dict[tuple[str, ...], int] = {}
    for kind, entries in data.items():
        if kind not in LABELS or not isinstance(entries, list):
            continue
        for entry in entries:
            for labels, body in _unwrap(entry, LABELS[kind]):
                key = (kind, *labels)
                seen[key] = seen.get(key, 0) + 1
                line = header_line(text, kind, labels, seen[key])
                yield Block(kind, labels, body, path, line)


def _unwrap(entry: Any, depth: int) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    if not isinstance(entry, Mapping):
        return
    if depth == 0:
        yield (), entry
        return
    for label, inner in entry.items():
        if label == BLOCK_MARK:
            continue
        for labels, body in _unwrap(inner, depth - 1):
            yield (str(label), *labels), body


def header_line(text: str, kind: str, labels: tuple[str, ...], occurrence: int = 1) -> int | None:
    """1-based line of the ``occurrence``-th header ``kind "l1" "l2" {``."""
    label_part = "".join(rf'\s+"?{re.escape(label)}"?' for label in labels)
    pattern = re.compile(rf"^[ \t]*{re.escape(kind)}{label_part}\s*\{{", re.MULTILINE)
    for count, match in enumerate(pattern.finditer(text), start=1):
        if count == occurrence:
            return text.count("\n", 0, match.start()) + 1
    return None


def line_after(text: str, needle: str, start: int | None) -> int | None:
    """1-based line of the first ``needle`` at or after line ``start`` (or None)."""
    lines = text.splitlines()
    first = max((start or 1) - 1, 0)
    for number in range(first, len(lines)):
        if needle in lines[number]:
            return number + 1
    return start


def is_block(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value.get(BLOCK_MARK))


def block_list(value: Any) -> list[Mapping[str, Any]] | None:
    """The bodies when ``value`` is one or more blocks, else None (an argument)."""
    if isinstance(value, list) and value and all(is_block(item) for item in value):
        return list(value)
    if is_block(value):
        return [value]
    return None


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a serialized value (expressions and literals), depth-first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key != BLOCK_MARK:
                yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def code_of(value: str) -> str:
    """Expression code of a serialized value: literal text blanked, ``${...}`` kept.

    Top level is template text (hcl2 stripped the quotes); inside ``${`` or ``%{`` is code, where
    ``"`` opens a string literal that may interpolate again. Braces nest.
    """
    out: list[str] = []
    modes = ["template"]
    depths: list[int] = []
    index, size = 0, len(value)
    while index < size:
        char, mode = value[index], modes[-1]
        if mode == "code":
            if char == '"':
                modes.append("string")
                char = " "
            elif char == "{":
                depths[-1] += 1
            elif char == "}":
                if depths[-1] == 0:
                    modes.pop()
                    depths.pop()
                    char = " "
                else:
                    depths[-1] -= 1
            out.append(char)
            index += 1
        elif mode == "string" and char == "\\":
            out.append("  ")
            index += 2
        elif value.startswith(("$${", "%%{"), index):
            out.append("   ")
            index += 3
        elif value.startswith(("${", "%{"), index):
            modes.append("code")
            depths.append(0)
            out.append("  ")
            index += 2
        else:
            if mode == "string" and char == '"':
                modes.pop()
            out.append("\n" if char == "\n" else " ")
            index += 1
    return "".join(out)


_ROOT = re.compile(r"(?<![\w.\])}\-])[A-Za-z_][\w]*(?:-[A-Za-z_]\w*)*(?=\.)")
_NAME = re.compile(r"\.([A-Za-z_]\w*(?:-[A-Za-z_]\w*)*)")
_SKIP = re.compile(r"\.(?:\*|\d+)")
_FOR = re.compile(r"\bfor\s+([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\b")


def references(code: str) -> list[Reference]:
    """Every traversal ``root.step...`` in expression code (index and splat steps skipped)."""
    found: list[Reference] = []
    for match in _ROOT.finditer(code):
        steps: list[str] = []
        position = match.end()
        while position < len(code):
            if code[position] == "[":
                position = _after_bracket(code, position)
                continue
            name = _NAME.match(code, position)
            if name is not None:
                steps.append(name.group(1))
                position = name.end()
                continue
            skip = _SKIP.match(code, position)
            if skip is None:
                break
            position = skip.end()
        if steps:
            text = code[match.start() : position].strip()
            found.append(Reference(match.group(0), tuple(steps), text))
    return found


def iterators(code: str) -> set[str]:
    """Names bound by ``for x in`` / ``for k, v in`` (they shadow nothing we check)."""
    return {name for match in _FOR.finditer(code) for name in match.groups() if name}


def _after_bracket(code: str, start: int) -> int:
    depth = 0
    for position in range(start, len(code)):
        if code[position] == "[":
            depth += 1
        elif code[position] == "]":
            depth -= 1
            if depth == 0:
                return position + 1
    return len(code)
