"""What words mean to triage: symptom classes, owner vocabulary, fault markers, limiters.

Patterns describe general operations language (``i/o timeout``, ``nil pointer``, ``no user
impact``), never one incident's wording. The objects each role owns come from the registry's
``incident_routing`` section, so a shop tunes them without touching code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from opsteam.domain.registry import RoleSlug
from opsteam.domain.triage import SymptomClass


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


SYMPTOMS: dict[SymptomClass, re.Pattern[str]] = {
    SymptomClass.AVAILABILITY: _rx(
        r"(?<!scale )\bdown\b|unavailable|unreachable|not reachable|\boutage\b|not ready|notready"
        r"|unready|no (healthy|available|ready)|\b0 of \d+|probe failed|bad gateway|\b50[234]\b"
        r"|has left the cluster|does not answer|can ?not (upload|connect|reach|access)"
        r"|scaled to zero|\bno (requests|traffic|data)\b|expired|low ?traffic|low ops"
        r"|traffic dropp|rate dropped|fewer (requests|commands|calls)|fell to|dropped to"
        r"|\d+ ?% (below|fewer|less|lower)|(operations|ops|throughput|traffic) (low|dropped)"
    ),
    SymptomClass.ERRORS: _rx(
        r"\berrors?\b|5xx|\bfail(s|ed|ing|ures?)?\b|exception|servfail|rejected|\b50[0-4]\b"
    ),
    SymptomClass.LATENCY: _rx(
        r"latency|\bslow(er)?\b|\bp9[059]\b|timeouts?|timed out|\bhangs?\b|takes? \d|delayed"
    ),
    SymptomClass.SATURATION: _rx(
        r"\bcpu\b|memory|throttl|steal|credit|saturat|pressure|utili[sz]ation|near (its )?limit"
        r"|of its (memory )?limit|maxmemory|queue full|exhaust"
    ),
    SymptomClass.CRASH: _rx(
        r"crash|restart|oom ?killed|oom-kill|oomkilled|panic|evicted|terminating|rebooting"
    ),
    SymptomClass.CONNECTIVITY: _rx(
        r"\bdns\b|nxdomain|servfail|no such host|lookup|\btls\b|\bssl\b|certificate|handshake"
        r"|connection (refused|reset|timed out|closed|error)|i/o timeout|no route to host"
        r"|dial tcp|packet loss|retransmi|\bmtu\b|network ?policy|firewall|egress"
        r"|port allocation|not private|(can ?not|can't|fail(s|ed)? to|unable to) resolve"
        r"|name resolution|nslookup"
    ),
    SymptomClass.DATA_STORE: _rx(
        r"replication|replica\b|\blag(ging|s)?\b|\bwal\b|deadlock|slow quer|sequential scan"
        r"|under.replicated|consumer (group )?lag|evicted keys|vacuum|connection slots"
        r"|too many connections|max.?clients|max number of clients|\bstale\b|out of date"
    ),
    SymptomClass.DEPENDENCY: _rx(
        r"when calling|calling [a-z]|\bupstream\b|\bdownstream\b|dependenc"
        r"|\bto [a-z][a-z0-9-]+:\d{2,5}\b"
    ),
    SymptomClass.CAPACITY: _rx(
        r"\bpending\b|unschedulable|insufficient|max(imum)? (node group )?size|quota"
        r"|limit exceeded|vcpu ?limit|maxed ?out|can ?not scale|no space left|almost full"
        r"|filling|fill within|out of (space|inodes)|\binodes?\b|\d+% full|space left"
    ),
    SymptomClass.COST: _rx(
        r"\bcost\b|\bspend\b|budget|\$\s?(\d{1,3}(,\d{3})+|\d{2,})|savings plan|reserved instance"
    ),
}
# A planned limit was reached (quota, a group's maximum size): a capacity-planning matter,
# whatever object the limit applies to.
CAPACITY_LIMIT = _rx(
    r"quota|limit exceeded|vcpu ?limit|max(imum)? (node group |group )?size|maxed ?out"
    r"|at (its )?max(imum)? (size|replicas)|insufficient ?instance ?capacity"
    r"|no (\w+ )?capacity available"
)
# A synthetic check (probe) rather than users' traffic.
PROBE = _rx(r"probe|blackbox|synthetic")
# Demand-side symptoms: the thing is fine, its clients stopped calling or consuming. When
# anything else alerts too, they are knock-on effects of that, not the cause.
DEMAND_SIDE = _rx(
    r"low ?traffic|low ops|traffic dropp|request rate (dropped|fell)|rate dropped"
    r"|fewer (requests|commands|calls)|below the same time|fell to|consumer (group )?lag"
    r"|\blags? [\d,]+ messages|backlog|\d+ ?% (below|fewer|less|lower)"
    r"|\blow (operations|throughput)|(operations|ops|throughput|traffic) (low|dropped)"
)
# Faults in application code: exceptions, crashes in code, a release just before.
APP_FAULT = _rx(
    r"stack ?trace|traceback|panic:|nil pointer|null ?pointer|segmentation fault"
    r"|is not a function|typeerror|undefined is not|javascript error|unhandled|\bbug\b"
    r"|regression|feature flag"
    r"|code change|code path|memory leak|grows linearly|memory (keeps )?grow(s|ing)|in-process"
    r"|(wrong|incorrect) (totals?|amounts?|results?|prices?)|times too (high|low)"
)
EXCEPTION = _rx(r"\b[a-z][a-z0-9_.]*exception\b")
# Exceptions named after a data store or the network report *their* failure, not a bug.
_INFRA_EXCEPTION = _rx(
    r"sql|redis|jedis|lettuce|kafka|mongo|connect|socket|timeout|dns|ssl|tls|host|network"
)
_SAME_SENTENCE = r"(?:[^.;]|(?<=\d)\.(?=\d))"  # a version's dots do not end a sentence
CODE_CHANGE = _rx(
    rf"\b(since|after)\b{_SAME_SENTENCE}{{0,40}}?\b(release|deploy(ed|ment)?|rollout|rolled out)\b"
    r"|\brelease v?\d+\.\d+|\bv\d+\.\d+(\.\d+)?\b|\b\d+\.\d+\.\d+ (rolled out|was deployed)"
)
# A change that names a version: stronger evidence than "since the rollout".
VERSIONED = _rx(r"\bv?\d+\.\d+(\.\d+)?\b")
# "Since last night's X run": what changed just before the fault, and so who changed it.
RECENT_CHANGE = _rx(r"\b(since|after)\b(?:[^.;,]|(?<=\d)\.(?=\d)){0,60}")
# More demand than usual on a shared component: the clients' change, not the component.
DEMAND_SURGE = _rx(
    r"\b\d+ ?(x|times) more (queries|requests|calls|load|traffic|connections)"
    r"|more (queries|requests|calls) (per second )?than (usual|yesterday|last week)"
)
# The path between two ends failed (vs the far end refusing): a network matter.
NETWORK_PATH = _rx(
    r"i/o timeout|connection timed out|timed out connecting|no route to host|connection reset"
    r"|packet loss|retransmi|\bmtu\b|handshake|not private|connection closed"
    r"|(can ?not|can't|fail(s|ed)? to|unable to) resolve|name resolution|nslookup"
)
REFUSED = _rx(r"connection refused|refused connection")
# A decision about the architecture itself (the old explicit rule, kept as strong evidence).
ARCHITECTURE = _rx(
    r"architecture decision|architectural|re-?architect|redesign|capacity planning"
    r"|multi-region|cross-region|disaster recovery"
)
# What the opener says about user impact: limits severity derived from alerts.
NO_USER_IMPACT = _rx(
    r"no (user|customer)[- ]?(facing )?(impact|errors)|nothing is broken|works normally"
    r"|(production|prod|the shop|the site|customers|users)( itself)? (is |are |seems? |looks? )?"
    r"(running )?(fine|unaffected|normal)|running fine|\bunaffected\b"
)
INTERNAL_ONLY = _rx(r"internal (report|tool|use)s? only|internal only|nobody (outside|else)")
USER_FLOW_WORKS = _rx(
    r"otherwise work|renders? without|(orders|pages|checkout|payments?|the shop|the site)"
    r"( themselves| itself)? (still )?(go(es)? through|work|complete|are (fine|accepted)|is fine)"
)


def found(pattern: re.Pattern[str], text: str) -> list[str]:
    """Distinct matches of ``pattern`` in ``text``, in order."""
    seen: list[str] = []
    for match in pattern.finditer(text):
        if match.group(0) not in seen:
            seen.append(match.group(0))
    return seen


def app_exceptions(text: str) -> list[str]:
    return [e for e in found(EXCEPTION, text) if not _INFRA_EXCEPTION.search(e)]


def symptoms_in(text: str) -> list[SymptomClass]:
    return [cls for cls, pattern in SYMPTOMS.items() if pattern.search(text)]


def _word_pattern(word: str) -> str:
    """A vocabulary word as a regex: ``kube-proxy`` also matches ``kube proxy``, ``kubeproxy``."""
    parts = re.split(r"[\s_-]+", word.strip().lower())
    return r"[\s_-]?".join(re.escape(p) for p in parts if p)


class Vocabulary:
    """The objects each role owns (from the registry), matched as whole words."""

    def __init__(self, owns: Mapping[RoleSlug, Sequence[str]]) -> None:
        self._patterns: dict[RoleSlug, re.Pattern[str]] = {}
        for role, words in owns.items():
            ordered = sorted({w for w in words if w.strip()}, key=len, reverse=True)
            if ordered:
                body = "|".join(_word_pattern(w) for w in ordered)
                self._patterns[role] = re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")

    def owners_in(self, text: str) -> dict[RoleSlug, list[str]]:
        """Per role, the distinct words of its vocabulary that ``text`` contains."""
        hits: dict[RoleSlug, list[str]] = {}
        if not text:
            return hits
        for role, pattern in self._patterns.items():
            words = found(pattern, text)
            if words:
                hits[role] = words
        return hits


@lru_cache(maxsize=8)
def vocabulary(owns: tuple[tuple[RoleSlug, tuple[str, ...]], ...]) -> Vocabulary:
    """One compiled vocabulary per registry content (registries are immutable)."""
    return Vocabulary(dict(owns))
