"""The one template loader: strict, clock-free, and user text only ever as escaped data."""

from __future__ import annotations

import json

import hcl2
import jinja2
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from opsteam.prompts import comment, environment, hcl_string, render, yaml_string

# What a request field can hold: the models refuse control characters.
USER_CHARS = st.characters(blacklist_categories=("Cc", "Cs"))


def test_undefined_variables_fail_loudly() -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ missing }}").render()


def test_templates_have_no_globals_such_as_a_clock() -> None:
    assert environment().globals == {}
    assert environment() is environment()  # cached: one loader per process


def test_user_text_is_data_not_template_source() -> None:
    text = render(
        "comms/maintenance.j2",
        window="w",
        affected="{{ 7*7 }}",
        type="Upgrade",
        impact="{% raw %}",
        rollback="Available",
        contact="c",
    )
    assert "{{ 7*7 }}" in text and "49" not in text


@given(st.text(USER_CHARS, max_size=200))
def test_hcl_strings_cannot_escape_or_interpolate(value: str) -> None:
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    source = f"locals {{\n  x = {hcl_string(value)}\n}}\n"
    parsed = hcl2.loads(source, serialization_options=options)
    assert "${" not in hcl_string(value).replace("$${", "")
    assert isinstance(parsed, dict) and "locals" in parsed


@given(st.text(USER_CHARS, max_size=200))
def test_yaml_strings_round_trip(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_string(value)}")["k"] == value
    assert json.loads(yaml_string(value)) == value


@given(st.text(USER_CHARS, max_size=400))
def test_comments_stay_comments(value: str) -> None:
    lines = comment(value, "#   - ", width=80).splitlines()
    assert all(line.startswith("#") and len(line) <= 80 for line in lines if len(line) > 0)
    assert yaml.safe_load("\n".join(lines) + "\nk: 1\n") == {"k": 1}
