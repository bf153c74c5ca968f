"""Compact a cdktf provider's JSII assembly (``.jsii`` JSON) into the schema cache: pure.

In the assembly every resource/data source is a class (base ``cdktf.TerraformResource`` /
``cdktf.TerraformDataSource``) whose docs link names the Terraform type, whose initializer takes a
``...Config`` struct (one property per argument or block) and whose getters are the readable
attributes. A property typed as a struct is a block of at most one; a list of structs is a
repeatable block; ``optional`` absent means required. The exact snake_case name is the anchor of
the registry link in each property's docs (camelCase conversion is only a fallback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opsteam.tools.tfschema.model import FORMAT

_TYPE_LINK = re.compile(r"/docs/(?:resources|data-sources)/\S+ ([a-z0-9_]+)\}")
_VERSION_LINK = re.compile(r"/providers/[^/]+/([a-z0-9-]+)/([0-9][^/]*)/docs")
_PROPERTY_LINK = re.compile(r"#([A-Za-z0-9_]+) [A-Za-z0-9]+#\1\}")
_BASES = {"cdktf.TerraformResource": "resources", "cdktf.TerraformDataSource": "data_sources"}
_INTERNAL_GETTERS = {"tfResourceType", "fqn", "friendlyUniqueId", "terraformResourceType"}

Json = dict[str, Any]


def snake_case(name: str) -> str:
    """camelCase -> snake_case; used only where the docs carry no registry link."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def compact(assembly: Mapping[str, Any], source: str) -> Json:
    """The cache dict (see ``model.ProviderSchema``) for every type of the assembly."""
    types: Mapping[str, Json] = assembly["types"]
    builder = _Builder(types)
    out: Json = {
        "format": FORMAT,
        "source": source,
        "provider": "",
        "provider_version": "",
        "provider_block": -1,
        "resources": {},
        "data_sources": {},
        "blocks": builder.blocks,
    }
    for fqn in sorted(types):
        cls = types[fqn]
        if cls.get("kind") != "class":
            continue
        base = cls.get("base")
        if base == "cdktf.TerraformProvider":
            _provider(out, cls, builder)
        elif base in _BASES:
            found = _TYPE_LINK.search(_docs_text(cls))
            config = _config_fqn(cls)
            if found is None or config is None:
                continue
            out[_BASES[base]][found.group(1)] = {
                "block": builder.block(config),
                "computed": _computed(cls, types.get(config, {})),
            }
    if out["provider_block"] < 0 or not out["resources"]:
        raise ValueError("the assembly holds no Terraform provider or resources")
    return out


def _provider(out: Json, cls: Json, builder: _Builder) -> None:
    version = _VERSION_LINK.search(_docs_text(cls))
    if version is not None:
        out["provider"], out["provider_version"] = version.group(1), version.group(2)
    config = _config_fqn(cls)
    if config is not None:
        out["provider_block"] = builder.block(config)


def _docs_text(item: Mapping[str, Any]) -> str:
    docs = item.get("docs") or {}
    return f"{docs.get('summary', '')} {docs.get('remarks', '')}"


def _config_fqn(cls: Mapping[str, Any]) -> str | None:
    for parameter in (cls.get("initializer") or {}).get("parameters", []):
        if parameter.get("name") == "config":
            fqn = parameter.get("type", {}).get("fqn")
            return str(fqn) if fqn else None
    return None


def _property_name(prop: Mapping[str, Any]) -> str:
    found = _PROPERTY_LINK.findall(_docs_text(prop))
    return str(found[-1]) if found else snake_case(str(prop["name"]))


def _opaque_block(prop: Mapping[str, Any]) -> bool:
    summary = str((prop.get("docs") or {}).get("summary", ""))
    return prop.get("type", {}).get("primitive") == "any" and summary.endswith(" block.")


def _computed(cls: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """Getters that are not arguments: the attributes only the provider sets."""
    arguments = {str(p["name"]) for p in config.get("properties", [])}
    names: set[str] = set()
    for prop in cls.get("properties", []):
        name = str(prop["name"])
        if prop.get("static") or name in _INTERNAL_GETTERS or name.endswith("Input"):
            continue
        if name in arguments:
            continue
        names.add(snake_case(name.removesuffix("Attribute")) if name != "Attribute" else name)
    return sorted(names)


class _Builder:
    """Turns Config structs into shared block entries (one per struct fqn)."""

    def __init__(self, types: Mapping[str, Json]) -> None:
        self._types = types
        self._index: dict[str, int] = {}
        self.blocks: list[Json] = []

    def block(self, fqn: str) -> int:
        known = self._index.get(fqn)
        if known is not None:
            return known
        index = len(self.blocks)
        self._index[fqn] = index
        entry: Json = {"arguments": {}, "blocks": {}}
        self.blocks.append(entry)
        for prop in self._types.get(fqn, {}).get("properties", []):
            name = _property_name(prop)
            required = not prop.get("optional", False)
            nested = self._nested(prop.get("type", {}))
            if nested is None and _opaque_block(prop):
                # cdktf types deeply recursive blocks (wafv2 ``statement``) as ``any``.
                entry["blocks"][name] = {"block": -1, "single": False, "required": required}
            elif nested is None:
                entry["arguments"][name] = required
            else:
                struct, single = nested
                entry["blocks"][name] = {
                    "block": self.block(struct),
                    "single": single,
                    "required": required,
                }
        return index

    def _nested(self, spec: Mapping[str, Any]) -> tuple[str, bool] | None:
        """(struct fqn, single) when the property is a block, else None (an argument)."""
        if self._is_struct(spec):
            return str(spec["fqn"]), True
        for member in spec.get("union", {}).get("types", []):
            collection = member.get("collection", {})
            element = collection.get("elementtype", {})
            if collection.get("kind") == "array" and self._is_struct(element):
                return str(element["fqn"]), False
        return None

    def _is_struct(self, spec: Mapping[str, Any]) -> bool:
        fqn = spec.get("fqn")
        return isinstance(fqn, str) and bool(self._types.get(fqn, {}).get("datatype"))
