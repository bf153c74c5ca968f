"""Hostile input is refused with exit 2 and one line naming the problem; nothing runs.

Alias bombs, complex keys, huge numbers, wrong types where lax coercion would change the
meaning (``true`` as 1, ``10`` as ``0.0.0.10/32``), and secrets in the fields names are made
from. The loader checks run through the pure parser and the installed ``opsteam`` binary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from opsteam.domain.errors import InputError, UnsafeInputError
from opsteam.domain.registry import Registry
from opsteam.domain.yamlio import MAX_INT_DIGITS, UnsafeYaml, load_strict
from opsteam.intake import parse_requests
from opsteam.intake.read import read_requests
from tests.conftest import BASE_REQUEST

OPSTEAM = Path(sys.executable).with_name("opsteam")
BASE = yaml.safe_dump(BASE_REQUEST, sort_keys=False)
# The classic: nine levels of ten-fold aliases, a few hundred bytes, billions of items.
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)

CASES = {
    "alias-bomb": (BASE + "existing_cidrs: &c [10.0.0.0/8]\nports: *c\n", "aliases"),
    "complex-key": (BASE + "? [a, b]\n: 1\n", "a key must be plain text"),
    "huge-integer": (BASE + f"rpo_minutes: {'9' * 5000}\n", "rpo_minutes: line"),
    "bool-as-number": (BASE + "rpo_minutes: true\n", "rpo_minutes: must be a number"),
    "int-as-cidr": (BASE + "existing_cidrs: [10]\n", "existing_cidrs[0]: must be an address"),
    "bool-as-port": (BASE + "ports: [true]\n", "ports[0]: must be a number"),
    "service-token": (
        BASE + "service: xoxb-1234567890-abcdefghij\n",
        "service: holds a secret (slack-token)",
    ),
    "requester-password": (
        BASE.replace("requester: catalog team", "requester: DB_PASSWORD=hunter2x"),
        "requester: holds a secret",
    ),
}


def test_an_alias_bomb_is_refused_before_any_expansion() -> None:
    assert len(BOMB) < 600
    with pytest.raises(UnsafeYaml, match="line 2: aliases"):
        load_strict(BOMB)
    with pytest.raises(UnsafeInputError, match="aliases"):
        parse_requests(BOMB.encode())


def test_the_strict_loader_still_reads_ordinary_yaml() -> None:
    assert load_strict(BASE) == BASE_REQUEST
    assert load_strict("n: 1234\nok: [1, 2]\n") == {"n": 1234, "ok": [1, 2]}
    assert load_strict("n: " + "9" * MAX_INT_DIGITS) == {"n": int("9" * MAX_INT_DIGITS)}


def test_plain_words_that_look_like_an_alias_are_still_words(registry: Registry) -> None:
    words = b"*urgent* a new postgres database in dev for billing"
    understood = read_requests(words, "words", registry, "alice")
    assert understood.requests and understood.requests[0].environment.value == "dev"


@pytest.mark.parametrize(("case", "text", "expected"), [(k, *v) for k, v in CASES.items()])
def test_hostile_forms_are_one_line_input_errors(case: str, text: str, expected: str) -> None:
    with pytest.raises(InputError) as err:
        parse_requests(text.encode(), f"{case}.yaml")
    assert expected in err.value.lines()[0]
    assert "hunter2x" not in str(err.value.lines())


def test_huge_json_numbers_are_refused_too() -> None:
    raw = json.dumps(BASE_REQUEST)[:-1] + f', "rpo_minutes": {"9" * 5000}}}'
    with pytest.raises(InputError, match=f"at most {MAX_INT_DIGITS}"):
        parse_requests(raw.encode(), "huge.json")


def test_a_roster_id_in_a_chosen_service_name_becomes_its_public_names_slug(
    registry: Registry,
) -> None:
    form = yaml.safe_dump({**BASE_REQUEST, "service": "db-inf-003"}).encode()
    [request] = read_requests(form, "f.yaml", registry, "alice").requests
    assert request.service_name == "db-network-engineer"
    look_alike = yaml.safe_dump({**BASE_REQUEST, "service": "payments-inf-100"}).encode()
    [request] = read_requests(look_alike, "f.yaml", registry, "alice").requests
    assert request.service_name == "payments-inf-100"


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_installed_cli_exits_2_with_one_line(case: str, tmp_path: Path) -> None:
    text, expected = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "OPSTEAM_HOME": str(tmp_path / "home"), "OPSTEAM_USER": "tester"}
    proc = subprocess.run(
        [str(OPSTEAM), "submit", str(path), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert "hunter2x" not in proc.stderr and "Traceback" not in proc.stderr
