from __future__ import annotations

import json

import pytest

from opsteam.domain.errors import InputError
from opsteam.domain.registry import Registry
from opsteam.intake import MAX_INPUT_BYTES, parse_requests, scope_redirect
from tests.conftest import BASE_REQUEST, RequestFactory


def _yaml(**fields: object) -> bytes:
    import yaml

    return yaml.safe_dump({**BASE_REQUEST, **fields}).encode()


def test_one_request_and_a_list_parse() -> None:
    assert parse_requests(_yaml())[0].component.value == "cache"
    two = json.dumps([BASE_REQUEST, {**BASE_REQUEST, "environment": "production"}]).encode()
    parsed = parse_requests(two, "batch.json")
    assert [r.environment.value for r in parsed] == ["dev", "prod"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"request: [unclosed\n", "malformed YAML at line"),
        (b'{"request": ', "malformed JSON at line 1"),
        (b"", "input is empty"),
        (b"\xff\xfe", "not UTF-8"),
        (b"a: 1\na: 2\n", "req.yaml: duplicate key 'a' at line 2"),
        (b"[" * 100_000, "req.yaml: input is nested too deeply"),
        (b'{"request": NaN}', "req.yaml: malformed JSON: NaN is not a valid JSON value"),
        (b"just text\n", "req.yaml: the request must be a mapping of form fields, got text"),
        (b"[]", "list of requests is empty"),
        (b"- just a string\n", "must be a mapping"),
    ],
)
def test_malformed_input_names_the_problem(raw: bytes, expected: str) -> None:
    with pytest.raises(InputError) as err:
        parse_requests(raw, "req.yaml")
    assert expected in " ".join(err.value.lines())


def test_each_field_problem_gets_one_line() -> None:
    data = {**BASE_REQUEST, "environment": "moon", "colour": "red", "ports": [70000]}
    del data["requester"]
    with pytest.raises(InputError) as err:
        parse_requests(json.dumps(data).encode(), "r.json")
    lines = err.value.lines()
    assert any(line.startswith("r.json: environment:") for line in lines)
    assert "r.json: colour: unknown field" in lines
    assert "r.json: requester: required field is missing" in lines
    assert any("ports" in line and "65535" in line for line in lines)
    assert all("\n" not in line for line in lines)


def test_empty_oversized_and_control_text_rejected() -> None:
    with pytest.raises(InputError, match="description"):
        parse_requests(_yaml(description="   "))
    with pytest.raises(InputError, match="description"):
        parse_requests(_yaml(description="x" * 9000))
    with pytest.raises(InputError, match="control characters"):
        parse_requests(_yaml(impact="ok\x1b[31m"))
    with pytest.raises(InputError, match="limit is"):
        parse_requests(b"a" * (MAX_INPUT_BYTES + 1))


def test_ci_pipeline_is_redirected(make_request: RequestFactory, registry: Registry) -> None:
    req = make_request(
        request="Set up our CI pipeline",
        component="other",
        description="Set up our CI pipeline with GitHub Actions for the app.",
    )
    redirect = scope_redirect(req, registry)
    assert redirect is not None and redirect.owner == "Engineering Foundation"


def test_vulnerability_scanning_is_redirected(
    make_request: RequestFactory, registry: Registry
) -> None:
    req = make_request(
        request="Weekly vulnerability scanning of images",
        component="other",
        description="Run vulnerability scanning on all our container images.",
    )
    redirect = scope_redirect(req, registry)
    assert redirect is not None and redirect.owner == "Quality & Security Engineering"


def test_infrastructure_work_that_mentions_ci_stays(
    make_request: RequestFactory, registry: Registry
) -> None:
    req = make_request(description="A Redis cache; our CI pipeline will warm it after deploys.")
    assert scope_redirect(req, registry) is None


def test_length_limits_speak_of_characters_and_the_real_limit() -> None:
    with pytest.raises(InputError) as err:
        parse_requests(_yaml(description="x" * 9000), "r.yaml")
    assert err.value.lines() == ["r.yaml: description: String should have at most 8000 characters"]
    with pytest.raises(InputError) as err:
        parse_requests(b"#" * (4 * MAX_INPUT_BYTES), "big.yaml")
    assert err.value.lines() == [
        f"big.yaml: input is larger than 256 KiB; the limit is {MAX_INPUT_BYTES} bytes"
    ]


def test_a_wrong_enum_value_is_echoed_back() -> None:
    with pytest.raises(InputError) as err:
        parse_requests(_yaml(environment="qa"), "r.yaml")
    assert err.value.lines() == [
        "r.yaml: environment: Input should be 'dev', 'staging' or 'prod', got 'qa'"
    ]
