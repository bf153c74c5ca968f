"""Names made from a request's title stay valid in every artifact language after the exit.

The service name is a slug of the title's redacted, masked text: a roster ID becomes the
public name's slug before any artifact is rendered, a look-alike the user typed is kept,
and a secret never becomes part of a name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hcl2.utils import SerializationOptions
from hypothesis import given, settings
from hypothesis import strategies as st

from opsteam.application.service import Opsteam
from opsteam.domain.models import ChangeRequest
from opsteam.domain.naming import named_for_artifacts
from opsteam.domain.secrets import mask_secrets
from tests.conftest import BASE_REQUEST
from tests.exits import REDACTOR
from tests.fakes import ParseOnlyVerifier
from tests.team import past_design_review

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
HCL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
PROM_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
ROSTER = st.sampled_from([f"INF-00{i}" for i in range(1, 7)]).flatmap(
    lambda i: st.sampled_from([i, i.lower(), i.replace("-", " "), i.replace("-", "_")])
)
LOOK_ALIKES = st.sampled_from(["INF-0003", "INF-123", "INF-2024", "payments-inf-100", "xinf-003"])
SECRETS = st.sampled_from(
    [
        "AKIAABCDEFGHIJKLMNOP",
        "ASIAQRSTUVWXYZ234567",
        "ghp_" + "Zq9x" * 9,
        "glpat-Zq9xZq9xZq9xZq9xZq9x",
        "PGPASSWORD=Zq9xsecret",
        "redis://:Zq9xsecret@cache:6379",
    ]
)
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 -:(),", max_size=30)
TITLE_PART = ROSTER | LOOK_ALIKES | SECRETS | WORDS


def _request(title: str, **fields: Any) -> ChangeRequest:
    return ChangeRequest.model_validate({**BASE_REQUEST, "request": title, **fields})


@given(st.lists(TITLE_PART, min_size=1, max_size=6).map(" ".join))
@settings(max_examples=400)
def test_a_name_from_any_title_survives_the_exit_and_is_a_valid_identifier(title: str) -> None:
    if not title.strip():
        return
    service = named_for_artifacts(_request(title[:200]), REDACTOR).service_name
    assert DNS_LABEL.match(service) and len(service) <= 40, service
    assert HCL_NAME.match(service.replace("-", "_")), service
    assert REDACTOR.text(service) == service, "the exit would change the name"
    assert mask_secrets(service.upper()) == service.upper()
    assert "zq9x" not in service and "akia" not in service and "asia" not in service


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("JIRA INF-123: Redis cache", "jira-inf-123-redis-cache"),
        ("Redis cache (JIRA INF-123, INF-2024 budget)", "redis-cache-jira-inf-123-inf-2024-budget"),
        ("Redis cache for INF-004", "redis-cache-for-database-administrator"),
        ("Redis cache for inf 004", "redis-cache-for-database-administrator"),
        ("Redis AKIAABCDEFGHIJKLMNOP cache", "redis-cache"),
    ],
)
def test_names_from_the_issues_titles(title: str, expected: str) -> None:
    assert named_for_artifacts(_request(title), REDACTOR).service_name == expected


OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def _names_in_kubernetes(text: str) -> list[str]:
    return [
        str(doc["metadata"]["name"])
        for doc in yaml.safe_load_all(text)
        if isinstance(doc, dict) and "metadata" in doc and "name" in doc["metadata"]
    ]


def _check_bundle(out: Path) -> None:
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".tf" for p in files)
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".tf":
            parsed = hcl2.loads(text, serialization_options=OPTIONS)
            for block in parsed.get("resource", []):
                for kind, named in block.items():
                    assert all(HCL_NAME.match(n) for n in named), (path, kind)
        elif path.parent.name == "kubernetes" and path.suffix == ".yaml":
            for name in _names_in_kubernetes(text):
                assert DNS_LABEL.match(name) or re.match(r"^[a-z0-9.-]+$", name), (path, name)
        elif path.name == "alerts.rules.yml":
            rules = yaml.safe_load(text)
            for group in rules["groups"]:
                for rule in group["rules"]:
                    assert PROM_NAME.match(rule.get("alert") or rule.get("record")), rule
                    assert all(PROM_NAME.match(k) for k in rule.get("labels", {})), rule


@pytest.mark.parametrize(
    "fields",
    [
        {"request": "JIRA INF-123: Redis cache"},
        {"request": "Redis cache", "service": "payments-inf-100"},
        {"request": "Redis cache owned by INF-004 (INF-0003)"},
        {"request": "Web service for inf-003", "component": "kubernetes"},
    ],
)
def test_bundles_from_such_titles_parse_in_every_language(
    tmp_path: Path, fields: dict[str, str]
) -> None:
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())
    out = tmp_path / "out"
    rest = {k: v for k, v in fields.items() if k != "request"}
    [first] = team.submit([_request(fields["request"], **rest)], out=out)
    result = past_design_review(team, first)
    assert result.status == "completed", result.summary
    _check_bundle(out)
    assert REDACTOR.text(result.request) == result.request
