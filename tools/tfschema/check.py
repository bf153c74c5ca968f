"""Check one Terraform module against a provider schema: pure (blocks in, findings out).

What a ``terraform validate`` would reject without a provider binary: unknown resource/data
types, unknown arguments and blocks, missing required ones, single blocks written twice,
arguments written as blocks, references to attributes a type does not export, and references
to resources, data sources, variables, locals or modules the module does not declare.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsteam.domain.models import Finding
from opsteam.tools.outcomes import finding
from opsteam.tools.tfschema.hcl import (
    Block,
    Reference,
    block_list,
    code_of,
    iterators,
    line_after,
    references,
    strings_in,
)
from opsteam.tools.tfschema.model import BlockSchema, NestedBlock, ProviderSchema, TypeSchema

META = {
    "resource": frozenset({"count", "for_each", "depends_on", "provider", "lifecycle",
                           "connection", "provisioner"}),
    "data": frozenset({"count", "for_each", "depends_on", "provider", "lifecycle"}),
    "provider": frozenset({"alias", "version"}),
}  # fmt: skip
BUILTIN_TYPES = frozenset({"terraform_data"})
SCOPED_ROOTS = frozenset({"count", "each", "self", "path", "terraform"})
_TYPE_NAME = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]+$")


@dataclass
class _Where:
    """Where findings go: the file, the block address, the header line, and the file text."""

    file: str
    address: str
    line: int | None
    text: str
    found: list[Finding] = field(default_factory=list)

    def add(self, check: str, message: str, needle: str = "", warning: bool = False) -> None:
        line = self.line if not needle else _key_line(self.text, needle, self.line)
        self.found.append(
            finding(check, message, resource=self.address, line=line,
                    severity="warning" if warning else "error")
        )  # fmt: skip


@dataclass(frozen=True)
class _Declared:
    resources: Mapping[str, Block]
    data: Mapping[str, Block]
    variables: frozenset[str]
    locals: frozenset[str]
    modules: frozenset[str]


def check_module(
    schema: ProviderSchema, blocks: Sequence[Block], texts: Mapping[str, str]
) -> dict[str, list[Finding]]:
    """Findings per file of one module (every file of ``texts`` gets an entry)."""
    found: dict[str, list[Finding]] = {path: [] for path in texts}
    declared, duplicates = _declarations(blocks, texts)
    for path, items in duplicates.items():
        found[path].extend(items)
    for block in blocks:
        where = _Where(block.file, block.address, block.line, texts.get(block.file, ""))
        _check_block(schema, block, where)
        _check_references(schema, block, declared, where)
        found.setdefault(block.file, []).extend(where.found)
    return found


def _declarations(
    blocks: Sequence[Block], texts: Mapping[str, str]
) -> tuple[_Declared, dict[str, list[Finding]]]:
    resources: dict[str, Block] = {}
    data: dict[str, Block] = {}
    duplicates: dict[str, list[Finding]] = {}
    for block in blocks:
        table = {"resource": resources, "data": data}.get(block.kind)
        if table is None:
            continue
        first = table.setdefault(block.address, block)
        if first is not block:
            where = _Where(block.file, block.address, block.line, texts.get(block.file, ""))
            where.add("tf-duplicate", f"{block.address} is declared twice (first in "
                      f"{first.file} line {first.line})")  # fmt: skip
            duplicates.setdefault(block.file, []).extend(where.found)
    names = {
        kind: frozenset(
            key
            for block in blocks
            if block.kind == kind
            for key in ((block.labels[0],) if block.labels else block.body)
            if not key.startswith("__")
        )
        for kind in ("variable", "locals", "module")
    }
    return _Declared(
        resources, data, names["variable"], names["locals"], names["module"]
    ), duplicates


# ---------------------------------------------------------------- block bodies


def _check_block(schema: ProviderSchema, block: Block, where: _Where) -> None:
    if block.kind == "provider":
        if block.labels[0] == schema.provider:
            _check_body(block.body, schema.provider_config, where, "", META["provider"])
        return
    if block.kind not in ("resource", "data"):
        return
    type_name = block.labels[0]
    found = _type_schema(schema, block.kind, type_name)
    if found is not None:
        _check_body(block.body, found.body, where, "", META[block.kind])
    elif schema.owns(type_name):
        kind = "resource type" if block.kind == "resource" else "data source"
        known = schema.resource_names() if block.kind == "resource" else schema.data_names()
        where.add("tf-unknown-type", f"{type_name} is not a {kind} of the {schema.provider} "
                  f"provider {schema.version}{_suggest(type_name, known)}")  # fmt: skip
    elif type_name not in BUILTIN_TYPES:
        where.add("tf-no-schema", f"no provider schema for {type_name}; arguments not checked",
                  warning=True)  # fmt: skip


def _type_schema(schema: ProviderSchema, kind: str, type_name: str) -> TypeSchema | None:
    return schema.resource(type_name) if kind == "resource" else schema.data_source(type_name)


def _check_body(
    body: Mapping[str, Any], block: BlockSchema, where: _Where, path: str, meta: frozenset[str]
) -> None:
    """Every key known, required ones present, single blocks once; nested blocks recursively."""
    place = f"{where.address} block {path}" if path else where.address
    counts: dict[str, int] = {}
    for key, value in body.items():
        if key.startswith("__") or key in meta:
            continue
        if key == "dynamic":
            _check_dynamic(value, block, where, path, counts)
            continue
        bodies = block_list(value)
        if key in block.arguments:
            if bodies is not None:
                where.add("tf-not-a-block", f'"{key}" in {place} is an argument: write '
                          f"{key} = ..., not a block", key)  # fmt: skip
        elif key in block.blocks:
            items = bodies if bodies is not None else _objects(value)
            counts[key] = counts.get(key, 0) + len(items)
            _check_nested(items, block.blocks[key], where, _join(path, key))
        else:
            kind = "block" if bodies is not None else "argument"
            hint = _suggest(key, [*block.arguments, *block.blocks])
            where.add(f"tf-unknown-{kind}", f'unknown {kind} "{key}" in {place}{hint}', key)
    _check_required(body, block, where, path, counts)


def _check_nested(
    items: Sequence[Mapping[str, Any]], nested: NestedBlock, where: _Where, path: str
) -> None:
    if nested.body is None:
        return  # the schema does not give this block's shape
    for item in items:
        _check_body(item, nested.body, where, path, frozenset())


def _check_dynamic(
    value: Any, block: BlockSchema, where: _Where, path: str, counts: dict[str, int]
) -> None:
    for label, spec in _dynamic_blocks(value):
        if label not in block.blocks:
            place = f"{where.address} block {path}" if path else where.address
            hint = _suggest(label, list(block.blocks))
            message = f'unknown block "{label}" (dynamic) in {place}{hint}'
            where.add("tf-unknown-block", message, "dynamic")
            continue
        counts[label] = counts.get(label, 0) + 1
        contents = block_list(spec.get("content")) or []
        _check_nested(contents, block.blocks[label], where, _join(path, label))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check_required(
    body: Mapping[str, Any], block: BlockSchema, where: _Where, path: str, counts: dict[str, int]
) -> None:
    place = f"{where.address} block {path}" if path else where.address
    at = path.rsplit(".", 1)[-1]  # a nested block's own line; the header for the resource
    for name, required in block.arguments.items():
        if required and name not in body:
            where.add("tf-missing-argument", f'{place} is missing required argument "{name}"', at)
    for name, nested in block.blocks.items():
        if nested.required and not counts.get(name):
            where.add("tf-missing-argument", f'{place} is missing required block "{name}"', at)
        elif nested.single and counts.get(name, 0) > 1:
            where.add("tf-single-block", f'block "{name}" may appear at most once in {place}; '
                      f"written {counts[name]} times", name)  # fmt: skip


def _objects(value: Any) -> list[Mapping[str, Any]]:
    """A nested block written as an attribute (``x = {...}`` or a list of them)."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
    return []


# ---------------------------------------------------------------- references


def _check_references(
    schema: ProviderSchema, block: Block, declared: _Declared, where: _Where
) -> None:
    if block.kind in ("terraform", "check", "removed"):
        return
    codes = [code_of(text) for text in strings_in(_expressions(block))]
    bound = _bound_names(block.body, codes)
    seen: set[str] = set()
    for code in codes:
        for ref in references(code):
            if ref.root in bound or ref.root in SCOPED_ROOTS or ref.text in seen:
                continue
            seen.add(ref.text)
            problem = _reference_problem(schema, ref, declared)
            if problem is not None:
                check, message = problem
                where.add(check, message, ref.text)


def _expressions(block: Block) -> Mapping[str, Any]:
    """The parts of a body that hold expressions to resolve."""
    skip = {"moved": {"from"}, "import": {"id"}}.get(block.kind, set())
    body = {key: value for key, value in block.body.items() if key not in skip}
    lifecycle = block_list(body.get("lifecycle"))
    if lifecycle is not None:
        body["lifecycle"] = [
            {k: v for k, v in item.items() if k != "ignore_changes"} for item in lifecycle
        ]
    return body


def _bound_names(body: Mapping[str, Any], codes: Iterable[str]) -> set[str]:
    """for-expression variables and dynamic-block iterators: local names, not references."""
    bound = {name for code in codes for name in iterators(code)}
    for value in _walk_blocks(body):
        for label, spec in _dynamic_blocks(value.get("dynamic")):
            bound.add(label)
            if isinstance(spec.get("iterator"), str):
                bound.add(code_of(spec["iterator"]).strip() or spec["iterator"])
    return bound


def _dynamic_blocks(value: Any) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """``dynamic "label" {...}`` entries: hcl2 gives ``[{label: {body}}]``."""
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, Mapping):
            for label, spec in entry.items():
                if not label.startswith("__") and isinstance(spec, Mapping):
                    yield label, spec


def _walk_blocks(body: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield body
    for value in body.values():
        for nested in block_list(value) or []:
            yield from _walk_blocks(nested)


def _reference_problem(
    schema: ProviderSchema, ref: Reference, declared: _Declared
) -> tuple[str, str] | None:
    first = ref.steps[0]
    if ref.root in ("var", "local", "module"):
        names = {"var": declared.variables, "local": declared.locals, "module": declared.modules}
        noun = {"var": "variable", "local": "local value", "module": "module"}[ref.root]
        if first not in names[ref.root]:
            return "tf-undeclared", f'reference to undeclared {noun} "{first}" ({ref.text})'
        return None
    if ref.root == "data":
        if len(ref.steps) < 2:
            return None
        address = f"data.{first}.{ref.steps[1]}"
        if address not in declared.data:
            return "tf-undeclared", f"reference to undeclared data source {address}"
        return _attribute_problem(schema.data_source(first), ref, ref.steps[2:3])
    if not _TYPE_NAME.match(ref.root):
        return None
    is_type = schema.owns(ref.root) or any(a.startswith(f"{ref.root}.") for a in declared.resources)
    if not is_type:
        return None
    address = f"{ref.root}.{first}"
    if address not in declared.resources:
        return "tf-undeclared", f"reference to undeclared resource {address}"
    return _attribute_problem(schema.resource(ref.root), ref, ref.steps[1:2])


def _attribute_problem(
    found: TypeSchema | None, ref: Reference, attribute: Sequence[str]
) -> tuple[str, str] | None:
    if found is None or not attribute or attribute[0] in found.attributes:
        return None
    hint = _suggest(attribute[0], found.attributes)
    return "tf-unknown-attribute", (
        f'{found.name} has no attribute "{attribute[0]}" ({ref.text}){hint}'
    )


def _suggest(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return f'; did you mean "{close[0]}"?' if close else ""


def _key_line(text: str, key: str, start: int | None) -> int | None:
    """Line of ``key =`` / ``key {`` (or of a reference) at or after the block header."""
    pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*(=|\{{|")')
    lines = text.splitlines()
    for number in range((start or 1) - 1, len(lines)):
        if pattern.match(lines[number]):
            return number + 1
    return line_after(text, key, start)
