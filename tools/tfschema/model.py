"""The compact provider schema: what each resource/data source accepts and exports.

The cache is JSON shaped like :func:`ProviderSchema.from_dict` reads it; block bodies are shared
by index (the same ``timeouts`` struct serves hundreds of types). Types are built on demand, so
loading a few-MB cache costs one ``json.loads``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

FORMAT = 1


class SchemaFormatError(ValueError):
    """The cache is not a schema this code understands (rebuild it)."""


@dataclass(frozen=True)
class NestedBlock:
    """A block a body may contain: ``single`` blocks may appear at most once.

    ``body`` is None for a block whose shape the schema does not give (checked no deeper).
    """

    body: BlockSchema | None
    single: bool
    required: bool


@dataclass(frozen=True)
class BlockSchema:
    """Arguments (name -> required) and nested blocks of one block body."""

    arguments: Mapping[str, bool]
    blocks: Mapping[str, NestedBlock]


@dataclass(frozen=True)
class TypeSchema:
    """A resource or data source: its body and every attribute a reference may read."""

    name: str
    body: BlockSchema
    computed: frozenset[str]

    @cached_property
    def attributes(self) -> frozenset[str]:
        return frozenset({"id", *self.body.arguments, *self.body.blocks, *self.computed})


class ProviderSchema:
    """One provider's schema, decoded lazily from its compact form."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != FORMAT:
            raise SchemaFormatError(f"schema cache format {data.get('format')!r}, want {FORMAT}")
        self.provider: str = str(data["provider"])
        self.version: str = str(data.get("provider_version", "?"))
        self._blocks: list[Mapping[str, Any]] = list(data["blocks"])
        self._resources: Mapping[str, Mapping[str, Any]] = data["resources"]
        self._data_sources: Mapping[str, Mapping[str, Any]] = data["data_sources"]
        self._provider_block = int(data["provider_block"])
        self._decoded: dict[int, BlockSchema] = {}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderSchema:
        return cls(data)

    @property
    def provider_config(self) -> BlockSchema:
        return self._block(self._provider_block)

    def resource(self, type_name: str) -> TypeSchema | None:
        return self._type(type_name, self._resources.get(type_name))

    def data_source(self, type_name: str) -> TypeSchema | None:
        return self._type(type_name, self._data_sources.get(type_name))

    def resource_names(self) -> list[str]:
        return list(self._resources)

    def data_names(self) -> list[str]:
        return list(self._data_sources)

    def owns(self, type_name: str) -> bool:
        """Whether a type name belongs to this provider (``aws_...``)."""
        return type_name.startswith(f"{self.provider}_")

    def _type(self, name: str, raw: Mapping[str, Any] | None) -> TypeSchema | None:
        if raw is None:
            return None
        return TypeSchema(name, self._block(int(raw["block"])), frozenset(raw.get("computed", ())))

    def _block(self, index: int) -> BlockSchema:
        known = self._decoded.get(index)
        if known is not None:
            return known
        raw = self._blocks[index]
        block = BlockSchema(
            arguments={str(k): bool(v) for k, v in raw.get("arguments", {}).items()},
            blocks=_LazyBlocks(self._block, raw.get("blocks", {})),
        )
        self._decoded[index] = block
        return block


class _LazyBlocks(Mapping[str, NestedBlock]):
    """Nested blocks decoded when first looked at (schemas are deep and mostly unused)."""

    def __init__(
        self, decode: Callable[[int], BlockSchema], raw: Mapping[str, Mapping[str, Any]]
    ) -> None:
        self._decode = decode
        self._raw = raw

    def __getitem__(self, name: str) -> NestedBlock:
        entry = self._raw[name]
        index = int(entry["block"])
        return NestedBlock(
            body=self._decode(index) if index >= 0 else None,
            single=bool(entry.get("single", False)),
            required=bool(entry.get("required", False)),
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)
