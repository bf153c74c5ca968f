"""The single, cached loader for packaged jinja2 templates.

Templates render decisions; user text only ever enters as a *variable*, never as template
source, and the filters below escape it for the target language.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def hcl_string(value: object) -> str:
    """A safe HCL string literal: JSON escaping plus no interpolation or directives."""
    text = json.dumps(str(value), ensure_ascii=False)
    return text.replace("${", "$${").replace("%{", "%%{")


def yaml_string(value: object) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


def md_text(value: object) -> str:
    """Inline markdown text on one line; neutralises table pipes and HTML."""
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def to_json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("opsteam", "prompts"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(hcl=hcl_string, yaml=yaml_string, md=md_text, tojson_sorted=to_json)
    # Templates must be reproducible: no clock, no randomness, no environment access.
    env.globals.clear()
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
