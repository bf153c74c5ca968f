"""Reading YAML data files into validated models, with one-line errors naming file and field."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from opsteam.domain.errors import InputError, OpsteamError, describe_validation_error

ModelT = TypeVar("ModelT", bound=BaseModel)


def yaml_location(exc: yaml.YAMLError) -> str:
    """`` at line N`` for errors that know where they happened, else an empty string."""
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


def parse_model(
    text: str,
    model: type[ModelT],
    source: str,
    error: type[OpsteamError] = InputError,
    what: str = "",
) -> ModelT:
    """Parse a YAML mapping into ``model``; every problem becomes one ``source: field: why``."""
    try:
        data = load_strict(text)
    except yaml.YAMLError as exc:
        raise error(f"{source}: malformed YAML{yaml_location(exc)}") from None
    except UnsafeYaml as exc:
        raise error(f"{source}: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{source}: expected a mapping at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{source}: {line}" for line in describe_validation_error(exc)]
        headline = f"{what}{problems[0]}" if what else problems[0]
        raise error(headline, problems) from None


# Longest integer a form or payload may hold: far beyond any real count or size, far below
# the interpreter's own limit (4,300 digits), whose error would not name the field.
MAX_INT_DIGITS = 30


class UnsafeYaml(Exception):
    """A document the strict loader refuses; the message names the field and the line."""


def _line(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}"


class StrictLoader(yaml.SafeLoader):
    """Safe YAML without aliases (no alias bombs), complex or duplicate keys, or huge numbers.

    Anchors and aliases have no use in a form or an alert, and expanding them is how a
    few hundred bytes become gigabytes: they are refused, not limited.
    """

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if event.anchor not in self.anchors:  # "*urgent*" in plain words: not YAML at all
                return super().compose_node(parent, index)
            raise UnsafeYaml(
                f"line {event.start_mark.line + 1}: aliases (*name) are not accepted; "
                "write the value out"
            )
        return super().compose_node(parent, index)


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)  # merge keys (<<) would need aliases, refused above
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise UnsafeYaml(f"{_line(key_node)}: a key must be plain text, not a list or mapping")
        key = loader.construct_object(key_node)
        if key in mapping:
            raise UnsafeYaml(f"duplicate key {key!r} at {_line(key_node)}")
        try:
            mapping[key] = loader.construct_object(value_node, deep=True)
        except UnsafeYaml as exc:
            raise UnsafeYaml(f"{key}: {exc}") from None
    return mapping


def _construct_int(loader: StrictLoader, node: yaml.ScalarNode) -> int:
    digits = sum(c.isdigit() for c in str(node.value))
    if digits > MAX_INT_DIGITS:
        raise UnsafeYaml(f"{_line(node)}: number has {digits} digits, at most {MAX_INT_DIGITS}")
    value: int = yaml.SafeLoader.construct_yaml_int(loader, node)
    return value


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _has_alias(root: yaml.Node) -> bool:
    """Whether a node is reached twice: what an alias (``*name``) composes to."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            todo.extend(n for pair in node.value for n in pair)
    return False


def load_strict(text: str) -> Any:
    """Parse YAML with :class:`StrictLoader`; raises ``UnsafeYaml`` or ``yaml.YAMLError``.

    With libyaml, the document is composed in C (several times faster) and constructed by the
    same strict constructors; a document with an alias goes through the pure-Python loader,
    which refuses it naming the alias's line.
    """
    if _CStrictLoader is not None:
        loader = _CStrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if not _has_alias(node):
                return loader.construct_document(node)
        finally:
            loader.dispose()
    return yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass


_CStrictLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CStrict(yaml.CSafeLoader):
        """libyaml's parser and composer with the strict constructors."""

    _CStrict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _CStrict.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _CStrictLoader = _CStrict
