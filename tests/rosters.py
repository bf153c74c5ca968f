"""A roster of another shop (its own IDs, team slug and names), and a scan for internal IDs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from opsteam.domain.registry import Registry, default_registry_path, load_registry

# Any spelling of the packaged roster's IDs, and of the custom one's.
ANY_ID = re.compile(r"(?:INF|OPS)\s*[-_]?\s*\d{3}", re.IGNORECASE)
RENAMED = {"Network Engineer": "Network Wrangler", "Site Reliability Engineer": "Uptime Keeper"}


def custom_roster(directory: Path) -> Path:
    """The packaged roster renumbered (OPS-1xx), renamed, with its own team slug."""
    text = default_registry_path().read_text(encoding="utf-8").replace("INF-00", "OPS-10")
    data = yaml.safe_load(text)
    data["team"].update(slug="platform-crew", name="Platform Crew")
    for role in data["roles"]:
        role["name"] = RENAMED.get(role["name"], role["name"])
    path = directory / "platform-roster.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load_custom(directory: Path) -> Registry:
    return load_registry(custom_roster(directory))


def internal_ids(text: str) -> list[str]:
    return ANY_ID.findall(text)
