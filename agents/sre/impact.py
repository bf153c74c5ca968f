"""Severity from impact, per the handbook: each source's impact, then the highest of all.

Handbook levels: P0 service completely down or data loss, P1 partial outage or error rate
above 5%, P2 degraded or errors above 1%, P3 minor. P0 and P1 are incident P1. The highest
level among *all* sources counts (never the first alert's label); an alert's own severity
label is used only when its words say nothing about impact. What the opener says about user
impact ("no user impact", "orders still go through") limits levels read off alerts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from opsteam.agents.sre.evidence import Source, clauses
from opsteam.agents.sre.signals import (
    INTERNAL_ONLY,
    NO_USER_IMPACT,
    PROBE,
    SYMPTOMS,
    USER_FLOW_WORKS,
    found,
)
from opsteam.domain.severity import HANDBOOK_MEANING, HANDBOOK_TO_INCIDENT, HandbookLevel, Severity
from opsteam.domain.triage import Impact, SymptomClass

H = HandbookLevel
_DATA_LOSS = re.compile(
    r"data loss|data (is|was) (being )?lost|being lost|lost (data|writes|orders|carts?)"
    r"|corrupt(ed|ion)?\b|(items|data|records|orders|carts?) (disappear|vanish)"
    r"|disappear(s|ed)? from (carts?|orders|accounts)"
)
_TOTAL = re.compile(
    r"completely down|total outage|site (is )?down|for everyone|every page|nothing is served"
    r"|dropped to (almost )?(nothing|zero)|fell to (almost )?(nothing|zero)"
)
# A request that timed out failed too.
_ERROR_WORD = (
    r"(errors?|5xx|fail\w*|servfail|exception|rejected|\b50[0-4]\b|time(d)? out|timeouts?)"
)
_PERCENT_AFTER_ERROR = re.compile(_ERROR_WORD + r"[^.;%]{0,30}?(?P<value>\d+(\.\d+)?) ?%")
_PERCENT_BEFORE_ERROR = re.compile(r"(?P<value>\d+(\.\d+)?) ?%[^%]{0,60}?" + _ERROR_WORD)
_ALL_FAIL = re.compile(
    r"\b(all|every)\s+(\w+\s+)?(requests?|calls?|pages?|orders?|charges?|sends?|page views)\b"
)
_HALF = re.compile(r"\b(half|most|majority)\b")
_TRAFFIC_DROP = re.compile(r"(\d+) ?% (below|fewer|less|lower)|dropped (by )?(\d+) ?%")
_DEGRADED = re.compile(
    r"latency|\bslow(er)?\b|\bp9[059]\b|timeouts?|timed out|\bhangs?\b|takes? \d|restart|crash"
    r"|oom ?killed|evicted|terminating|\bpending\b|unschedulable|\blag(ging|s)?\b|\bstale\b"
    r"|out of date|under.replicated|(wrong|incorrect) |too (high|low)|delayed|degraded|stalled"
    r"|missing|can ?not scale|cannot launch|fails to launch|\b0 replicas|low ?traffic|low ops"
    r"|traffic dropp|rate dropped|fewer (requests|commands|calls)|elevated error"
    r"|no space left|(disk|volume|filesystem) (is )?full|backlog|piling up|queue (is )?growing"
)
_HIGH_ERRORS = re.compile(r"high error rate|error rate (is )?high")
# Something fails and nobody said how often: elevated errors until a rate is known.
_FAILING = re.compile(
    r"\bfail(s|ed|ing|ures?)?\b|\berrors\b|\brejected\b|exception|\b5\d\d\b|\b5xx\b"
)
_SOON = re.compile(r"(within|in) (the next )?(?P<hours>\d+) hours?|(?P<day>tomorrow|tonight)")
_MINOR = re.compile(
    r"expires? in \d+ days|\bdays?\b|\bwarning\b|\bminor\b|intermittent|flaky|low priority"
    r"|\bcost\b|\bspend\b|budget|\bcpu\b|memory|utili[sz]ation|credit|steal|almost full"
    r"|filling|space left|inodes?|\bfail\w*|errors?"
)
_INFO = re.compile(r"cosmetic|\btypo\b|informational|\bquestion\b")
# Monitoring that is entirely lost (nobody would see the next outage) is degraded; parts are minor.
_MONITORING_LOST = re.compile(
    r"100 ?%|not ingesting|\bno (data|metrics|alerts)\b|\bblind\b|failed to send|not delivered"
    r"|stopped arriving|all (targets|alerts|notifications|dashboards)"
)
# One of several (a node, a replica, a broker): losing it reduces redundancy.
_MEMBER = re.compile(r"\b(nodes?|instances?|replicas?|brokers?|hosts?|members?)\b")
_LABELS: dict[str, HandbookLevel] = {
    "p0": H.P0,
    "p1": H.P1,
    "critical": H.P1,
    "page": H.P1,
    "emergency": H.P1,
    "p2": H.P2,
    "high": H.P2,
    "major": H.P2,
    "error": H.P2,
    "p3": H.P3,
    "warning": H.P3,
    "medium": H.P3,
    "minor": H.P3,
}


@dataclass(frozen=True)
class Level:
    """A handbook level (None: below P3, incident P4) and why.

    ``user_impact`` is False for levels that do not come from what users see (monitoring
    lost, a resource about to run out): the opener's "no user impact" does not lower them.
    """

    handbook: HandbookLevel | None
    why: str
    user_impact: bool = True


def _error_percent(text: str) -> float | None:
    values: list[float] = []
    for clause in clauses(text):
        for pattern in (_PERCENT_AFTER_ERROR, _PERCENT_BEFORE_ERROR):
            values += [float(m.group("value")) for m in pattern.finditer(clause)]
        if re.search(_ERROR_WORD, clause):
            if _ALL_FAIL.search(clause):
                values.append(100.0)
            elif _HALF.search(clause):
                values.append(50.0)
    return max(values) if values else None


def _by_errors(text: str) -> Level | None:
    percent = _error_percent(text)
    if percent is None:
        if _HIGH_ERRORS.search(text):
            return Level(H.P1, "a high error rate")
        failing = _FAILING.search(text)
        return Level(H.P2, f"errors of unknown rate ({failing.group(0)})") if failing else None
    shown = f"{percent:g}% of requests failing"
    if percent >= 90:
        return Level(H.P0, shown)
    if percent > 5 or (percent == 5 and "above 5" in text):
        return Level(H.P1, shown)
    return Level(H.P2 if percent > 1 or "above 1" in text else H.P3, shown)


_STATUS_CODE = re.compile(r"\b50[234]\b|bad gateway")


def _component_down(source: Source, service: str, word: str, text: str) -> bool:
    """Outage words about a part (a member, a dependency) rather than the service or endpoint.

    Users see the service the report names and the endpoints probes test; a part that is down
    is degraded redundancy until other evidence shows what users see.
    """
    if source.member:
        return True
    if source.kind == "alert":
        return not PROBE.search(f"{source.name} {source.values}") and source.subject != service
    clause = next((c for c in clauses(text) if word in c), "")
    return bool(_MEMBER.search(clause))


def _by_availability(source: Source, text: str, *, rate_known: bool, service: str) -> Level | None:
    """Outage words; an HTTP status counts as errors, not outage, once their rate is known."""
    if _DATA_LOSS.search(text):
        return Level(H.P0, f"data loss ({found(_DATA_LOSS, text)[0]})")
    if _TOTAL.search(text):
        return Level(H.P0, f"total outage ({found(_TOTAL, text)[0]})")
    words = found(SYMPTOMS[SymptomClass.AVAILABILITY], text)
    if rate_known:
        words = [w for w in words if not _STATUS_CODE.fullmatch(w)]
    drop = _TRAFFIC_DROP.search(text)
    if drop:
        share = int(drop.group(1) or drop.group(4))
        level = H.P1 if share >= 50 else H.P2
        return Level(level, f"traffic down {share}%")
    if not words:
        return None
    if _component_down(source, service, words[0], text):
        part = source.subject if source.kind == "alert" else "a part"
        return Level(H.P2, f"{part} {words[0]}, not the service; no user impact shown by it")
    return Level(H.P1, f"outage ({words[0]})")


def _by_degradation(text: str) -> Level | None:
    soon = _SOON.search(text)
    if soon and (soon.group("day") or int(soon.group("hours")) < 24):
        return Level(H.P2, f"runs out soon ({soon.group(0)})", False)
    words = found(_DEGRADED, text)
    if words:
        return Level(H.P2, f"degraded ({words[0].strip()})")
    minor = found(_MINOR, text)
    if minor:
        return Level(H.P3, f"minor ({minor[0]})")
    if _INFO.search(text):
        return Level(None, "informational")
    return None


_ORDER: list[HandbookLevel | None] = [H.P0, H.P1, H.P2, H.P3, None]


def rank(level: HandbookLevel | None) -> int:
    return _ORDER.index(level)


def _worst(levels: Sequence[Level | None]) -> Level | None:
    ranked = [lv for lv in levels if lv is not None]
    return min(ranked, key=lambda lv: rank(lv.handbook)) if ranked else None


def source_level(source: Source, *, monitoring: bool, service: str) -> Level | None:
    """The impact one source shows; None when it says nothing about impact."""
    text = source.all_words
    if monitoring:
        lost = _MONITORING_LOST.search(text)
        if lost:
            return Level(H.P2, f"monitoring lost ({lost.group(0)}); outages would go unseen", False)
        return Level(H.P3, "monitoring partly degraded", False)
    errors = _by_errors(text)
    rate_known = errors is not None and "%" in errors.why
    available = _by_availability(source, text, rate_known=rate_known, service=service)
    level = _worst([errors, available, _by_degradation(text)])
    if level is None and source.severity_label in _LABELS:
        return Level(_LABELS[source.severity_label], f"severity label {source.severity_label!r}")
    return level


def limit(texts: Sequence[str]) -> tuple[HandbookLevel, str] | None:
    """The cap the opener's own words put on user impact, if they state one."""
    for text in texts:
        for pattern, cap in ((NO_USER_IMPACT, H.P3), (INTERNAL_ONLY, H.P3)):
            hit = pattern.search(text)
            if hit:
                return cap, hit.group(0)
    for text in texts:
        hit = USER_FLOW_WORKS.search(text)
        if hit:
            return H.P2, hit.group(0)
    return None


def impact(level: Level, source: Source) -> Impact:
    return Impact(
        severity=HANDBOOK_TO_INCIDENT[level.handbook] if level.handbook else Severity.P4,
        handbook=level.handbook,
        why=level.why,
        source=source.label,
    )


def describe(item: Impact) -> str:
    if item.handbook is None:
        return f"{item.severity.value}: {item.why} in {item.source}"
    meaning = HANDBOOK_MEANING[item.handbook]
    scale = "" if item.handbook.value == item.severity.value else f", incident {item.severity}"
    return f"handbook {item.handbook.value} ({meaning}{scale}): {item.why} in {item.source}"


@dataclass(frozen=True)
class Verdict:
    """The incident's severity from all sources, with the reason people read."""

    severity: Severity
    reason: str
    impacts: tuple[Impact, ...]


def _capped(level: Level, cap: tuple[HandbookLevel, str] | None) -> Level:
    if cap is None or not level.user_impact or rank(level.handbook) >= rank(cap[0]):
        return level
    why = f"{level.why}; limited to {cap[0].value} because the report says {cap[1]!r}"
    return Level(cap[0], why, level.user_impact)


def verdict(
    sources: Sequence[Source],
    monitoring: Sequence[bool],
    opener_texts: Sequence[str],
    service: str,
) -> Verdict:
    """The highest impact among all sources, after the opener's statement of user impact."""
    cap = limit(opener_texts)
    pairs: list[tuple[Level, Source]] = []
    for source, is_monitoring in zip(sources, monitoring, strict=True):
        if source.kind == "component":
            continue
        level = source_level(source, monitoring=is_monitoring, service=service)
        if level is not None:
            pairs.append((_capped(level, cap), source))
    impacts = tuple(impact(level, source) for level, source in pairs)
    if not impacts:
        return Verdict(Severity.P3, "P3: no impact stated in the report or the alerts", ())
    worst = min(impacts, key=lambda i: (i.severity.rank, rank(i.handbook)))
    return Verdict(worst.severity, f"{worst.severity.value}: {describe(worst)}", impacts)
