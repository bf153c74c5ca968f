"""Tests for the mutants mutmut found surviving in the redaction and masking modules
(see docs/security.md for the run and the survivors that are equivalent)."""

from __future__ import annotations

import json
from enum import Enum
from ipaddress import IPv4Network

from pydantic import BaseModel, ConfigDict, Field

from opsteam.domain.redaction import Redactor
from opsteam.domain.secrets import mask_value, secret_kinds
from tests.exits import REDACTOR


class _Shown(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    owner: str = Field(alias="ownedBy")
    network: IPv4Network


class _Colour(Enum):
    OWNER = "INF-004"


def test_an_empty_roster_changes_nothing_and_finds_nothing() -> None:
    empty = Redactor({})
    assert empty.text("abc INF-004 xyz") == "abc INF-004 xyz"
    assert empty.ids("abc INF-004") == []


def test_models_are_dumped_as_json_data_by_alias_then_redacted() -> None:
    shown = REDACTOR.value(_Shown(owner="ask INF-004", network=IPv4Network("10.0.0.0/8")))
    assert shown == {"ownedBy": "ask Database Administrator", "network": "10.0.0.0/8"}
    assert json.loads(json.dumps(shown)) == shown


def test_enum_members_are_redacted_by_their_value() -> None:
    assert REDACTOR.value(_Colour.OWNER) == "Database Administrator"
    assert REDACTOR.value({"who": [_Colour.OWNER]}) == {"who": ["Database Administrator"]}


def test_secret_kinds_needs_a_match_not_only_a_hint() -> None:
    assert secret_kinds("owner: catalog team, see https://wiki/x") == []
    assert secret_kinds("DB_PASSWORD=abc123") == ["assignment"]
    assert secret_kinds("key AKIAABCDEFGHIJKLMNOP") == ["aws-key"]


def test_mask_value_masks_every_string_keys_included() -> None:
    data = {"PGPASSWORD=k1k2k3": ["redis://:p1p2p3@c", 7, None], "n": ("ghp_" + "a" * 36,)}
    masked = mask_value(data)
    assert masked == {
        "PGPASSWORD=[redacted]": ["redis://:[redacted]@c", 7, None],
        "n": ["[redacted-token]"],
    }
