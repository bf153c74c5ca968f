from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from opsteam.domain.errors import RegistryError
from opsteam.domain.registry import default_registry_path, load_registry, parse_registry

SLUGS = {
    "infrastructure-architect",
    "systems-administrator",
    "network-engineer",
    "database-administrator",
    "site-reliability-engineer",
    "automation-engineer",
}


def test_packaged_registry_has_the_six_seats_and_team_data() -> None:
    reg = load_registry()
    assert {r.slug for r in reg.roles} == SLUGS
    assert reg.role(reg.team.lead).slug == "infrastructure-architect"
    assert len(reg.gates.change_approval) == 6 and len(reg.gates.production_readiness) == 6
    assert [e.from_minutes for e in reg.escalation] == [0, 15, 30, 60, 120]
    assert reg.oncall.handoff_utc == "09:00"
    owners = {r.owner for r in reg.out_of_scope}
    assert {"Engineering Foundation", "Quality & Security Engineering"} <= owners
    assert {k.key: k.target for k in reg.kpis}["availability"] == 99.9


def _broken(tmp_path: Path, mutate: object) -> Path:
    data = yaml.safe_load(default_registry_path().read_text())
    assert callable(mutate)
    mutate(data)
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_unknown_field_names_file_field_and_problem(tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda d: d["roles"][2].update(colour="blue"))
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    assert str(path) in err.value.message
    assert "roles[2].colour: unknown field" in err.value.message


def test_bad_reference_is_reported(tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda d: d["oncall"].update(primary="INF-999"))
    with pytest.raises(RegistryError, match=r"oncall\.primary: unknown role ID"):
        load_registry(path)


def test_bad_references_name_each_field_path_and_value(tmp_path: Path) -> None:
    """The value as written is shown, unless it has an internal ID's shape (then described)."""

    def mutate(d: dict[str, Any]) -> None:
        d["oncall"]["secondary"] = "sre-person"
        d["request_flow"][1]["roles"][2] = "INF-004x"
        d["escalation"][1]["role"] = "dba on call"

    path = _broken(tmp_path, mutate)
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    message = err.value.message
    assert "oncall.secondary: unknown role 'sre-person'" in message
    assert "request_flow[1].roles[2]: unknown role ID" in message
    assert "escalation[1].role: unknown role 'dba on call'" in message
    assert "INF" not in message and "team.lead" not in message


def test_malformed_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="malformed YAML at line 3"):
        parse_registry("version: 1\nroles: [\n", "x.yaml")
    with pytest.raises(RegistryError, match="not found"):
        load_registry(tmp_path / "nope.yaml")


def test_user_registry_is_used(tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda d: d["team"].update(name="Platform Crew"))
    assert load_registry(path).team.name == "Platform Crew"


def test_a_custom_id_scheme_is_redacted_too(tmp_path: Path) -> None:
    from opsteam.domain.redaction import Redactor

    def renumber(data: dict) -> None:  # type: ignore[type-arg]
        text = yaml.safe_dump(data).replace("INF-00", "OPS-10")
        data.clear()
        data.update(yaml.safe_load(text))

    reg = load_registry(_broken(tmp_path, renumber))
    assert reg.role("OPS-104").name == "Database Administrator"
    assert Redactor.for_registry(reg).text("page OPS-104, then ops 101") == (
        "page Database Administrator, then Infrastructure Architect"
    )


def test_oncall_members_may_be_keyed_by_slug_or_internal_id(tmp_path: Path) -> None:
    def people(data: dict) -> None:  # type: ignore[type-arg]
        data["oncall"]["members"] = {"INF-005": ["ana", "raj"], "systems-administrator": ["li"]}

    reg = load_registry(_broken(tmp_path, people))
    assert reg.oncall.members == {
        "site-reliability-engineer": ("ana", "raj"),
        "systems-administrator": ("li",),
    }


def test_every_checkpoint_kind_must_be_in_the_roster(tmp_path: Path) -> None:
    def drop(data: dict[str, list[dict[str, str]]]) -> None:
        data["checkpoints"] = [c for c in data["checkpoints"] if c["kind"] != "production-change"]

    path = _broken(tmp_path, drop)
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    assert err.value.lines() == [
        f"{path}: checkpoints: must list each checkpoint kind exactly once"
        " (missing: production-change)"
    ]


def test_duplicate_ids_and_a_directory_name_the_problem(tmp_path: Path) -> None:
    def twin(data: dict[str, list[dict[str, str]]]) -> None:
        data["roles"][2]["id"] = data["roles"][0]["id"]

    path = _broken(tmp_path, twin)
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    assert err.value.lines() == [f"{path}: roles: role ids must be unique"]
    with pytest.raises(RegistryError, match="is a directory"):
        load_registry(tmp_path)
