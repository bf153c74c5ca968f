"""The exit: roster IDs never survive, the user's own text is never changed, secrets masked."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsteam.domain.redaction import RedactingFormatter, Redactor
from opsteam.domain.secrets import _RULES, mask_secrets
from tests.exits import REDACTOR, redact, redact_text, to_json

ROSTER_IDS = [f"INF-00{i}" for i in range(1, 7)]
ANY_ROSTER_ID = re.compile(r"(?<![A-Za-z0-9])INF[\s\u2010-\u2015\u2212_-]?00[1-6](?![0-9])", re.I)
IDS = st.sampled_from(ROSTER_IDS)
SHAPES = st.sampled_from(["{}", " {} ", "({})", "**{}**", "{}'s", "{},", "-{}-"])
SEPARATORS = st.sampled_from(["-", "\u2011", "\u2013", "_", " ", ""])
# Text with no roster ID in it: anything but the letters that could start one.
PLAIN = st.text(alphabet=st.characters(blacklist_characters="iInNfF"), max_size=40)


@st.composite
def text_with_ids(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(PLAIN, IDS, SHAPES), min_size=1, max_size=5))
    out = ""
    for filler, ident, shape in parts:
        ident = ident.lower() if draw(st.booleans()) else ident
        ident = ident.replace("-", draw(SEPARATORS))
        out += f"{filler} " + shape.format(ident)
    return out + " " + draw(PLAIN)


@given(text_with_ids())
@settings(max_examples=300)
def test_no_roster_id_survives(text: str) -> None:
    assert not ANY_ROSTER_ID.search(redact_text(text))


@given(
    st.recursive(
        text_with_ids() | st.integers() | st.none(),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(text_with_ids(), children, max_size=3)
        ),
        max_leaves=10,
    )
)
@settings(max_examples=150)
def test_nested_data_and_json_never_keep_an_id(value: object) -> None:
    assert not ANY_ROSTER_ID.search(json.dumps(redact(value), ensure_ascii=False))
    assert not ANY_ROSTER_ID.search(to_json(value))


@given(st.text(max_size=200))
@settings(max_examples=300)
def test_text_without_a_roster_id_or_secret_is_never_changed(text: str) -> None:
    if REDACTOR.ids(text) or mask_secrets(text) != text:
        return  # covered by the other properties
    assert redact_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Redis cache (JIRA INF-123, INF-2024 budget)",
        "INF-0003 and INF-0030 are ticket numbers",
        "JIRA INF-123: Redis cache",
        "payments-inf-100",
        "XINF-003 is a part number",
    ],
)
def test_look_alikes_stay_as_the_user_wrote_them(text: str) -> None:
    assert redact_text(text) == text


def test_ids_become_public_names_in_any_case_and_spacing() -> None:
    assert redact_text("ask INF-004 then inf 001, cc Inf_006") == (
        "ask Database Administrator then Infrastructure Architect, cc Automation Engineer"
    )


def test_only_the_loaded_rosters_ids_are_replaced() -> None:
    custom = Redactor({"OPS-104": "Database Administrator"})
    assert custom.text("OPS-104 and INF-004") == "Database Administrator and INF-004"
    with pytest.raises(ValueError, match="PREFIX-NUMBER"):
        Redactor({"not an id": "x"})


PRIVATE_KEY_START = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA"


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        ("postgresql://app:pw-123@db.internal:5432/billing", "pw-123", "postgresql://app:"),
        ("mysql://root:hunter2@10.0.0.5/app", "hunter2", "mysql://root:"),
        ("redis://:cachepass@cache:6379/0", "cachepass", "@cache:6379/0"),
        ("key AKIAABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNOP", "key "),
        ("key ASIAABCDEFGHIJKLMNOP", "ASIAABCDEFGHIJKLMNOP", "key "),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", "wJalrXUtnFEMI", "aws_secret"),
        ("DB_PASSWORD=s3cr3t-value", "s3cr3t-value", "DB_PASSWORD="),
        ("export PGPASSWORD=s3cr3t-value", "s3cr3t-value", "PGPASSWORD="),
        ("token ghp_" + "a1B2" * 9, "a1B2a1B2", "token "),
        ("glpat-" + "x" * 20, "x" * 20, ""),
        ("xoxb-1234567890-abcdefghij", "1234567890-abcdefghij", ""),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "c2lnbmF0dXJl", ""),
        ("Authorization: Bearer abcdefghijkl123", "abcdefghijkl123", "Bearer "),
        (PRIVATE_KEY_START, "b3BlbnNzaC1rZXktdjEAAAA", ""),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- tail",
            "MIIEow",
            " tail",
        ),
    ],
)
def test_secrets_are_masked(text: str, secret: str, kept: str) -> None:
    out = redact_text(text)
    assert secret not in out
    assert "[redacted" in out and kept in out


@pytest.mark.parametrize(
    "setting",
    [
        "automountServiceAccountToken: false",
        "manage_master_user_password = true",
        "PasswordAuthentication no",
        "token = var.token",
        "max_connections: 100",
        "volumes:\n  - secret:\n      secretName: exporter-credentials",
    ],
)
def test_settings_that_look_like_secrets_are_left_alone(setting: str) -> None:
    assert redact_text(setting) == setting


def test_masking_is_idempotent() -> None:
    text = "DB_PASSWORD=x1 postgresql://a:b@c AKIAABCDEFGHIJKLMNOP"
    assert mask_secrets(mask_secrets(text)) == mask_secrets(text)


# Lines mixing secret assignments, URLs with passwords, look-alike settings, and letters that
# fold unusually (Turkish i, long s, Kelvin sign, sharp s): where the line rules look.
SECRET_LINES = st.lists(
    st.lists(
        st.sampled_from(
            [
                "DB_PASSWORD=hunter2x",
                "api-key: abc123",
                "PA\u017f\u017fWORD=zz9",
                "pa\u0130d",
                "\u0131",
                "\u212a",
                "stra\u00dfe",
                "token",
                "manage_password = true",
                "postgresql://u:p4ss@db/x",
                "https://x@y",
                "secret:",
                " ",
                "=",
                "plain words",
            ]
        ),
        max_size=6,
    ).map(" ".join),
    max_size=12,
).map("\n".join)


@given(SECRET_LINES)
@settings(max_examples=300)
def test_line_rules_mask_a_text_as_they_mask_each_of_its_lines(text: str) -> None:
    """The rules that search only lines holding their words find every such line."""
    for rule in (r for r in _RULES if r.line_words):
        by_line = "\n".join(rule.pattern.sub(rule.replace, line) for line in text.split("\n"))
        assert rule.mask(text) == by_line


@given(ident=IDS, password=st.text(alphabet="abcdefXYZ0123", min_size=6, max_size=12))
@settings(max_examples=50)
def test_logged_exceptions_are_redacted_with_their_traceback(ident: str, password: str) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(REDACTOR))
    logger = logging.getLogger(f"opsteam.test.{ident}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise RuntimeError(f"{ident} failed on postgresql://u:{password}@db/x")
    except RuntimeError:
        logger.error("step of %s failed", ident.lower(), exc_info=True)
    finally:
        logger.removeHandler(handler)
    logged = stream.getvalue()
    assert "Traceback" in logged and "RuntimeError" in logged
    assert not ANY_ROSTER_ID.search(logged)
    assert f":{password}@" not in logged


def test_named_model_names_every_nested_string_and_keeps_types_and_secrets() -> None:
    """The way in names IDs (what is stored reads like every exit) without re-validating:
    a name is longer than its ID and must not break a length limit the text met."""
    from pydantic import BaseModel, ConfigDict, Field

    from opsteam.domain.models import Environment

    class Inner(BaseModel):
        model_config = ConfigDict(frozen=True)
        notes: tuple[str, ...]
        labels: dict[str, str]

    class Outer(BaseModel):
        model_config = ConfigDict(frozen=True)
        title: str = Field(max_length=12)
        env: Environment
        count: int
        inner: Inner
        items: list[str]

    value = Outer(
        title="ask INF-003",
        env=Environment.PROD,
        count=3,
        inner=Inner(notes=("inf 004 agreed", "INF-0003"), labels={"INF-001": "by inf-002"}),
        items=["DB_PASSWORD=zz9", "INF-123"],
    )
    named = REDACTOR.named_model(value)
    assert named.title == "ask Network Engineer"  # longer than the limit, kept as named
    assert named.env is Environment.PROD and named.count == 3
    assert named.inner.notes == ("Database Administrator agreed", "INF-0003")
    assert named.inner.labels == {"INF-001": "by Systems Administrator"}  # values, not keys
    assert named.items == ["DB_PASSWORD=zz9", "INF-123"]  # naming only: masking is the exit's
    assert value.title == "ask INF-003"  # the original is untouched


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("İNF-001 is down", "Infrastructure Architect is down"),  # Turkish capital dotted I
        ("ask \u0131nf-002", "ask Systems Administrator"),  # Turkish dotless i
        ("ping İnf\u2013004", "ping Database Administrator"),
    ],
)
def test_letters_that_case_fold_to_the_ids_are_named_not_failed_on(text: str, named: str) -> None:
    """Unicode case folding matches letters outside A-Z: such a spelling is the ID."""
    assert redact_text(text) == named
    assert not REDACTOR.ids(redact_text(text))
