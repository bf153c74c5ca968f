"""Pure extractors: one fact each from free text, with the words that prove it.

Shared by the plain-words form parser and the requested-change parser, so "RPO 5 minutes"
means the same thing in a new request and in a person's feedback. Every extractor returns
the value and its evidence (the matched words), or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Generic, TypeVar

from opsteam.domain.models import Engine, Size

T = TypeVar("T")

_REGION = re.compile(r"\b([a-z]{2}-(?:north|south|east|west|central|northeast|southeast|"
                     r"northwest|southwest)-\d)\b")  # fmt: skip
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_DURATION = r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\b"
_UNIT_MINUTES = {"s": 1 / 60, "m": 1, "h": 60, "d": 1440}


@dataclass(frozen=True)
class Found(Generic[T]):
    value: T
    evidence: str


def count_word(word: str) -> int | None:
    word = word.lower()
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word)


def regions(text: str) -> list[Found[str]]:
    return [Found(m.group(1), m.group(0)) for m in _REGION.finditer(text.lower())]


def _minutes(amount: str, unit: str) -> int:
    return max(0, round(float(amount) * _UNIT_MINUTES[unit.lower()[0]]))


def objective(text: str, name: str) -> Found[int] | None:
    """``RPO 5 minutes``, ``RPO of 1 hour``, ``rto: 30min`` -> minutes."""
    pattern = rf"\b{name}\b\s*(?:of|=|:|is|under|below|<|<=|within)?\s*" + _DURATION
    match = re.search(pattern, text, re.IGNORECASE)
    if match is None:
        return None
    return Found(_minutes(match.group(1), match.group(2)), match.group(0))


_ENGINES = {
    "postgresql": Engine.POSTGRES,
    "postgres": Engine.POSTGRES,
    "psql": Engine.POSTGRES,
    "mysql": Engine.MYSQL,
    "mariadb": Engine.MYSQL,
    "redis": Engine.REDIS,
    "valkey": Engine.REDIS,
    "elasticache": Engine.REDIS,
}
_ENGINE = re.compile(
    r"\b(" + "|".join(_ENGINES) + r")\b(?:\s*(?:version\s*)?v?(\d{1,2}(?:\.\d{1,2})?)\b)?",
    re.IGNORECASE,
)


# "from 5.7 to 8.0", "6 -> 7.2", "16.2 → 16.4": the version the work ends on.
_UPGRADE = re.compile(
    r"\bv?(\d{1,2}(?:\.\d{1,2})?)\s*(?:->|→|=>|\bto\b)\s*v?(\d{1,2}(?:\.\d{1,2})?)\b"
    r"(?!\s*(?:%|gb|gib|mb|tb|nodes?|pods?|replicas?|vcpus?|cpus?|x\b|instances?|hours?|min))",
    re.IGNORECASE,
)
# Engines being left behind: "off MySQL", "retiring MySQL", "from mysql".
_LEFT = re.compile(
    r"(?:\boff|\bfrom|\bretir\w*|\baway from|\breplac\w*)\s+(?:our\s+|the\s+)?$", re.I
)
_TARGET = re.compile(r"(?:\bto|\bonto|\binto)\s+(?:a\s+|an\s+)?(?:managed\s+)?$", re.I)


def _engines(text: str) -> list[re.Match[str]]:
    """Engine mentions, the target of a move first ("to Postgres 15"), those left behind
    ("retiring MySQL", "off mysql") last."""
    found = list(_ENGINE.finditer(text))

    def rank(match: re.Match[str]) -> int:
        before = text[max(0, match.start() - 24) : match.start()]
        return 0 if _TARGET.search(before) else 2 if _LEFT.search(before) else 1

    return sorted(found, key=rank)


def engine(text: str) -> Found[Engine] | None:
    ranked = _engines(text)
    if not ranked:
        return None
    return Found(_ENGINES[ranked[0].group(1).lower()], ranked[0].group(1))


def engine_version(text: str) -> Found[str] | None:
    ranked = _engines(text)
    upgrade = _UPGRADE.search(text)
    if ranked and upgrade:
        return Found(upgrade.group(2), upgrade.group(0))
    for match in ranked:
        if match.group(2):
            return Found(match.group(2), match.group(0))
    to_version = re.search(r"\bto\s+v?(\d{1,2}(?:\.\d{1,2})?)\b(?!\s*(?:%|gb|x\b))", text, re.I)
    if ranked and to_version and re.search(r"\bupgrad\w*", text, re.I):
        return Found(to_version.group(1), to_version.group(0))
    bare = re.search(r"\bversion\s*v?(\d{1,2}(?:\.\d)?)\b", text, re.IGNORECASE)
    return Found(bare.group(1), bare.group(0)) if bare else None


_SIZES = {
    "small": Size.SMALL,
    "medium": Size.MEDIUM,
    "large": Size.LARGE,
    "xlarge": Size.XLARGE,
    "x-large": Size.XLARGE,
    "extra large": Size.XLARGE,
    "extra-large": Size.XLARGE,
}
_SIZE = re.compile(
    r"\b(extra[ -]large|x-large|xlarge|small|medium|large)\b\s*"
    r"(?:size|instances?|class|workload|tier|database|db|cache)?",
    re.IGNORECASE,
)


def size(text: str) -> Found[Size] | None:
    match = _SIZE.search(text)
    return Found(_SIZES[match.group(1).lower()], match.group(0).strip()) if match else None


_PORT_LIST = r"(\d{1,5}(?:\s*(?:,|and|&)\s*\d{1,5})*)"
_PORTS = re.compile(r"\bports?\s*(?:tcp\s*)?" + _PORT_LIST, re.IGNORECASE)
_TCP_PORT = re.compile(r"\b(?:tcp|https?)?\s*:?\s*(\d{2,5})/tcp\b", re.IGNORECASE)
_OPEN_PORT = re.compile(r"\b(?:open|allow|expose)\s+(?:tcp\s+)?(?:port\s+)?" + _PORT_LIST,
                        re.IGNORECASE)  # fmt: skip


def ports(text: str) -> list[Found[int]]:
    found: list[Found[int]] = []
    for pattern in (_PORTS, _OPEN_PORT, _TCP_PORT):
        for match in pattern.finditer(text):
            for number in re.findall(r"\d{1,5}", match.group(1)):
                port = int(number)
                if 1 <= port <= 65535 and all(f.value != port for f in found):
                    found.append(Found(port, match.group(0).strip()))
    return found


_CIDR = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/\d{1,2})\b")


def cidrs(text: str) -> list[Found[IPv4Network]]:
    found = []
    for match in _CIDR.finditer(text):
        try:
            found.append(Found(IPv4Network(match.group(1), strict=False), match.group(0)))
        except ValueError:
            continue
    return found


def replicas(text: str) -> Found[int] | None:
    """``2 read replicas``, ``a read replica``, ``three replicas``."""
    match = re.search(
        r"\b(\d+|a|an|one|two|three|four|five)\s+(?:more\s+|additional\s+|extra\s+|new\s+)?"
        r"(?:read[- ])?replicas?\b",
        text,
        re.IGNORECASE,
    )
    if match is None:
        return None
    number = count_word(match.group(1))
    return Found(number, match.group(0)) if number is not None else None
