"""Where the compacted provider schema lives, and loading it (the only I/O of the check).

The cache is built by ``.ci/install-validators.sh`` (``python -m opsteam.tools.tfschema.build``)
at ``$OPSTEAM_TF_SCHEMA``, else ``<tools home>/tf-schema/aws.json``. Missing means the validator
is not installed: its files are reported ``not-installed``, never passed.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from opsteam.domain.settings import Settings, load_settings, tools_home
from opsteam.tools.tfschema.model import ProviderSchema

CACHE_NAME = "aws.json"


class SchemaStore(Protocol):
    """Gives the provider schema, or None when it is not installed."""

    def load(self) -> ProviderSchema | None:
        """Raises ValueError/OSError when a cache exists but cannot be read."""


def cache_path(settings: Settings | None = None) -> Path:
    settings = settings or load_settings()
    if settings.tf_schema is not None:
        return settings.tf_schema
    return tools_home(settings) / "tf-schema" / CACHE_NAME


class CachedSchemaStore:
    """The real store: the JSON cache on disk, decoded once per process and file version."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    def load(self) -> ProviderSchema | None:
        path = self._path or cache_path()
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return _decode(str(path), stat.st_mtime_ns, stat.st_size)


class FixedSchemaStore:
    """A schema already in memory (tests, embedding programs); None = not installed."""

    def __init__(self, schema: ProviderSchema | None) -> None:
        self._schema = schema

    def load(self) -> ProviderSchema | None:
        return self._schema


@lru_cache(maxsize=2)
def _decode(path: str, mtime_ns: int, size: int) -> ProviderSchema:
    del mtime_ns, size  # part of the cache key: a rebuilt file is read again
    with open(path, encoding="utf-8") as handle:
        return ProviderSchema.from_dict(json.load(handle))
