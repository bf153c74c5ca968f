"""Field extractors for plain-words requests: type, environment, service, ports, numbers.

Each returns the value and the words that prove it, or None. They read the roster's synonym
tables, never hard-coded vocabularies of their own, except the few grammar words below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from opsteam.domain.models import slugify
from opsteam.domain.registry import Registry
from opsteam.domain.request_routing import RequestRouting
from opsteam.domain.text import first_mention, mentions, without_reasons

Found = tuple[object, str]

# Parts of something that exists: "add a replica / a rule / an index" changes it.
_PARTS = (
    "replica", "read replica", "index", "column", "field", "constraint", "flag", "gb",
    "capacity", "to the", "to our", "to an existing", "to the existing", "lifecycle rule",
)  # fmt: skip
# A column by its shape: "plan_id", "shipments.tracking_number", "created_at".
COLUMN = re.compile(
    r"\b[a-z][a-z0-9]*_(?:id|at|by|code|number|name|count|type|status|flag)\b"
    r"|\b[a-z][a-z0-9_]*\.[a-z][a-z0-9]*_[a-z0-9_]+\b"
)
_SCHEMA_OBJECTS = ("column", "field", "index", "constraint", "table", "legacy_id", "users table")
_WEAK_NEW = ("need", "needs", "want", "request")
# A thing asked for by its indefinite article ("A Redis cache for...", "we need an S3
# bucket", "needs its own MySQL"): something new, however the rest of the sentence names
# what already exists. A count is a small number ("need 2 VMs"); "need 5432 open" is a port.
_ASKED_FOR = re.compile(
    r"(?:^\s*(?:please\s+)?|\b(?:need|needs|want|wants|request|requesting|would like)\s+)"
    r"(?:a|an|another|\d{1,3}(?!\d)|(?:its|their|our|your)\s+own"
    r"|(?:a\s+)?(?:dedicated|separate))\s+",
    re.IGNORECASE,
)
_EXISTING = re.compile(
    r"\b(?:the|our|existing|current|that|this)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:db|database|cache|redis|postgres|mysql|cluster|vms?|servers?|hosts?|"
    r"bucket|lb|load balancer|pods?|deployment|service|queue|vpn|box)\b",
    re.IGNORECASE,
)
# "backups need to be encrypted", "the cert has to be renewed": a change to what exists.
_TO_BE_CHANGED = re.compile(r"\b(?:needs?|has|have|must|should)\s+(?:to\s+)?be\s+\w+ed\b", re.I)
# "the new public IP", "our new replica": an adjective for something that exists or is
# changing, not a request for something new.
_THE_NEW = re.compile(r"\b(?:the|our|its|their)\s+new\b", re.IGNORECASE)
_UNSURE = re.compile(r"\b(?:not sure|undecided|tbd|whichever is)\b", re.IGNORECASE)
_MIRROR = re.compile(
    r"\b(?:mirror(?:s|ing)?|like|copy of|same as|as in|cloned? from)\s+(\w+)", re.I
)


def _env_hits(text: str, registry: Registry) -> dict[str, str]:
    """Environments the text names as where the work happens (not as a model, a negation or
    a later step: "mirrors prod", "no prod", "the same in prod next quarter")."""
    hits: dict[str, str] = {}
    for name, words in registry.routing.synonyms.environment.items():
        for word in mentions(text, (name, *words)):
            pattern = re.escape(word)
            aside = (
                rf"\b(?:mirror\w*|like|copy of|same as|means|not|no|never|except|without)\s+"
                rf"(?:in\s+|to\s+|the\s+)?{pattern}\b"
            )
            later = (
                rf"\b{pattern}\s+(?:next|later|afterwards|eventually|in a later)\b"
                rf"|\bno\s+(?:change|changes|impact)\s+(?:to|in|on|for)\s+(?:the\s+)?{pattern}\b"
            )
            if not re.search(aside, text) and not re.search(later, text):
                hits[str(name)] = word
                break
    return hits


def environment(text: str, registry: Registry) -> Found | None:
    """Where the work happens; several at once (staging then prod): production."""
    hits = _env_hits(text, registry)
    if len(hits) <= 1:
        return next(iter(hits.items()), None)
    alternatives = "|".join(re.escape(w) for w in hits.values())
    either = re.search(
        rf"\b(?:{alternatives})\s+or\s+(?:maybe\s+|possibly\s+)?(?:{alternatives})\b", text
    )
    if either or _UNSURE.search(text):  # "dev or maybe prod, not sure yet": ask, never pick
        return None
    prod = hits.get("prod")
    if prod and re.search(_ALL_OF.format(env=re.escape(prod)), text):
        return "prod", " and ".join(hits.values())
    for markers in (r"in|to|into|onto", r"in|on|to|into|onto|for|the"):  # strongest first
        targets = {
            key: word
            for key, word in hits.items()
            if re.search(rf"\b(?:{markers})\s+{re.escape(word)}\b", text)
            or re.search(rf"\b{re.escape(word)}\s+(?:only|first)\b", text)
        }
        if len(targets) == 1:
            return next(iter(targets.items()))
    return ("prod", prod) if prod else None


# Production among several environments that all change ("staging first and then prod",
# "prod included", "prod and staging both", "(dev, staging, prod)").
_ALL_OF = (
    r"(?:\b(?:then|and|,)\s+(?:in\s+|to\s+)?{env}\b|\b{env}\s+(?:included|too|as well)\b"
    r"|\b{env}\s+and\s+\w+\s+(?:both|too)\b|\bboth\b|\ball\s+(?:our\s+)?environments\b)"
)


_RESIZED = re.compile(
    r"\s+(?:[\w-]+\s+){0,3}?(?:down\s+)?to\s+(?:an?\s+)?(?:small|medium|large|xlarge|\d)",
    re.IGNORECASE,
)


def _removal(text: str, words: tuple[str, ...]) -> tuple[int, str, str] | None:
    """The first removal word: (position, type, word); removing a part of a schema (a
    column, an index) changes the database, it does not remove it."""
    first: tuple[int, str, str] | None = None
    for word in words:
        for match in re.finditer(rf"(?<![a-z0-9_]){re.escape(word)}(?![a-z0-9_])", text):
            after = text[match.end() : match.end() + 40]
            resized = _RESIZED.match(after)  # "drop it to small": a smaller size, not gone
            kind = "Modify" if mentions(after, _SCHEMA_OBJECTS) or resized else "Remove"
            if first is None or match.start() < first[0]:
                first = (match.start(), kind, word)
            break
    return first


def change_type(text: str, registry: Registry) -> Found:
    """New, Modify or Remove from the first verb that says which; else from the wording.
    Reasons are not the ask: "before the launch" launches nothing."""
    text = without_reasons(text)
    table = registry.routing.synonyms.type
    schema_words = registry.routing.facts["schemas"]
    candidates: list[tuple[int, str, str]] = []
    removal = _removal(text, table.get("Remove", ()))
    if removal:
        candidates.append(removal)
    modify = first_mention(text, table.get("Modify", ()))
    if modify:
        candidates.append((modify[0], "Modify", modify[1]))
    strong_new = tuple(w for w in table.get("New", ()) if w not in _WEAK_NEW)
    new = first_mention(_THE_NEW.sub(lambda m: " " * len(m.group(0)), text), strong_new)
    asked = _ASKED_FOR.search(text)
    if asked and (new is None or asked.start() < new[0]):
        new = (asked.start(), asked.group(0).strip())
    if new:  # adding a part ("add a replica", "get an index on") changes what exists
        after = " ".join(text[new[0] + len(new[1]) :].split()[:4])  # the verb's object
        part = mentions(after, _PARTS) and "new" not in after.split()
        candidates.append((new[0], "Modify" if part else "New", new[1]))
    if candidates:  # the first; at one place the longer phrase ("set up" over "set")
        _, _, kind, word = min((pos, -len(word), kind, word) for pos, kind, word in candidates)
        return kind, word
    if _EXISTING.search(text) or _TO_BE_CHANGED.search(text) or mentions(text, schema_words):
        return "Modify", "names something that exists"
    return "New", "no change or removal wording: a new request"


_SERVICE_NOUNS = (
    r"service|services|db|database|databases|cache|redis|postgres|postgresql|mysql|cluster|api|"
    r"app|box|servers?|vms?|hosts?|workers?|bucket|pool|queue|deployment|pods?|prototype|portal|"
    r"lb|load balancer|instance|site|system|platform|pgbouncer|workers|job|jobs"
)
_BEFORE_NOUN = re.compile(
    r"\b([a-z][a-z0-9-]*[a-z0-9])(?:\s+(?:service|app|api|batch|web|worker|cron))?\s+(?:"
    + _SERVICE_NOUNS
    + r")\b",
    re.IGNORECASE,
)
_FOR_NAME = re.compile(
    r"\b(?:for|of)\s+(?:the\s+|our\s+|their\s+|a\s+|an\s+)?(?:new\s+)?"
    r"([a-z][a-z0-9-]*[a-z0-9])\b(?!\s*(?:db|database)\b)",
    re.IGNORECASE,
)
_THE_SERVICE = re.compile(
    r"\b(?:the|our|their)\s+([a-z][a-z0-9-]*[a-z0-9])(?:'s)?\s+(?:service|api|app)\b", re.I
)
# A team or service as the sentence's subject, capitalised: "Inventory needs a MySQL db".
_SUBJECT = re.compile(r"(?:^|[.!?]\s+)([A-Z][a-z0-9-]+)\s+(?:needs|wants|requires|asks)\b")
_HYPHENATED = re.compile(r"\b(?:the\s+|for\s+(?:the\s+)?)([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b", re.I)


def _candidate(word: str, stop: frozenset[str]) -> bool:
    lowered = word.lower()
    if lowered.endswith("ing"):  # "retiring MySQL" is a verb, "billing" a service
        stem = lowered[:-3]
        if stem in stop or f"{stem}e" in stop:
            return False
    return lowered not in stop and not lowered.isdigit() and len(lowered) >= 2


def service(text: str, stop: frozenset[str]) -> Found | None:
    """The service's name when the text states one: "the cart service", "the billing db",
    "for checkout", "Inventory needs a MySQL database" (in that order of trust)."""
    for pattern in (_THE_SERVICE, _HYPHENATED, _SUBJECT, _BEFORE_NOUN, _FOR_NAME):
        for match in pattern.finditer(text):
            name = match.group(1)
            if _candidate(name, stop):
                return slugify(name), match.group(0).strip()
    return None


def stopwords(routing: RequestRouting, extra: tuple[str, ...]) -> frozenset[str]:
    """Words that are never a service name: grammar, environments, technologies, parts."""
    words: set[str] = set(extra)
    for table in (routing.synonyms.environment, routing.synonyms.type, routing.synonyms.component):
        for key, values in table.items():
            words.add(str(key).lower())
            words.update(v for v in values if " " not in v)
    for values in routing.components.values():
        words.update(v for v in values if " " not in v)
    return frozenset(words)


_PORT_CONTEXT = re.compile(
    r"(?:\bports?\s*|:|\bon\s+|\bopen(?:ed|s)?\s+|\bclose[sd]?\s+|\(|\ballow\s+)"
    r"(\d{2,5})\b(?!\s*(?:%|gb|mb|gi|mi|min|minutes|days|hours|ms|s\b|x\b|vcpu|cpu|replicas|pods))",
    re.IGNORECASE,
)
_PORT_ONLY = re.compile(r"\b(\d{2,5})\s+only\b", re.IGNORECASE)
WELL_KNOWN = frozenset({22, 25, 53, 80, 443, 3306, 3389, 5432, 5672, 6379, 8080, 8443, 9090,
                        9100, 9200, 11211, 27017})  # fmt: skip


# Where a number after a colon is not a port asked for: a URL or connection string the
# request quotes (its port is the thing's own: scheme://, user@host), and pasted log lines
# and clock times (10:11:12).
_QUOTED = re.compile(
    r"\b[a-z][a-z0-9+.-]*://\S+|\S+@\S+|\b\d{1,2}:\d{2}(?::\d{2})?(?!\d)"
    r"|^\s*\d{4}-\d{2}-\d{2}[T ].*$",
    re.IGNORECASE | re.MULTILINE,
)


def ports(text: str) -> Found | None:
    """Ports the request asks about ("open 443", "port 9100", "db.internal:5432")."""
    found: list[int] = []
    evidence = ""
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    for pattern in (_PORT_CONTEXT, _PORT_ONLY):
        for match in pattern.finditer(text):
            port = int(match.group(1))
            if not 1 <= port <= 65535 or port in found:
                continue
            if any(start <= match.start(1) < end for start, end in quoted):
                continue
            if port not in WELL_KNOWN and not re.search(r"port|:\d", match.group(0), re.I):
                continue
            found.append(port)
            evidence = evidence or match.group(0).strip()
    return (found, evidence) if found else None


def lookup_all(table: Mapping[str, tuple[str, ...]], text: str) -> list[str]:
    return [key for key, words in table.items() if mentions(text, (key, *words))]
