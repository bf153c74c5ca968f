"""The single, cached loader for packaged jinja2 templates.

Templates render decisions; user text only ever enters as a *variable*, never as template
source, and the filters below escape it for the target language.
"""

from __future__ import annotations

import json
import re
import textwrap
from functools import lru_cache
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jinja2 loads with the first template, not with every importer
    from jinja2 import Environment

_HCL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# One translation table (applied in C): the escapes above, other control characters as \uXXXX.
_HCL_TABLE = str.maketrans(
    {
        **{chr(c): f"\\u{c:04x}" for c in (*range(0x20), 0x7F)},
        **_HCL_ESCAPES,
    }
)
_SPACES = re.compile(r"\s+")


def hcl_string(value: object) -> str:
    """A safe HCL string literal: escaped, and never a ``${`` / ``%{`` template sequence.

    ``\\u0024{`` is the escape form HCL (and python-hcl2, which checkov uses) reads as
    literal text; ``$${`` trips python-hcl2.
    """
    text = str(value).translate(_HCL_TABLE).replace("${", "\\u0024{").replace("%{", "\\u0025{")
    return f'"{text}"'


def yaml_string(value: object) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML): what
    ``json.dumps(text, ensure_ascii=False)`` gives, without making an encoder per value."""
    return encode_basestring(str(value))


def md_text(value: object) -> str:
    """Inline markdown text on one line; neutralises table pipes and HTML."""
    text = _SPACES.sub(" ", str(value)).strip()
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def comment(value: object, prefix: str = "# ", width: int = 100) -> str:
    """Text as wrapped comment lines (``#`` continuation), so no linter trips on length."""
    text = _SPACES.sub(" ", str(value)).strip()
    lines = textwrap.wrap(text, max(20, width - len(prefix))) or [""]
    follow = "#" + " " * (len(prefix) - 1)
    return "\n".join([prefix + lines[0], *(follow + line for line in lines[1:])])


def to_json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False)


@lru_cache(maxsize=1)
def environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("opsteam", "prompts"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # packaged templates never change under a process: no stat per render
    )
    env.filters.update(
        hcl=hcl_string, yaml=yaml_string, md=md_text, tojson_sorted=to_json, comment=comment
    )
    # Templates must be reproducible: no clock, no randomness, no environment access.
    env.globals.clear()
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
