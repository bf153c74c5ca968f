"""The evidence triage reads, as uniform sources: each alert, the report, the component, notes.

A source keeps *where* each word was seen (alert name, label keys, label values, free text),
because a word in an alert's name or labels names the object that alerts, while the same word
in prose may only be mentioned in passing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from opsteam.domain.alerts import Alert
from opsteam.domain.incidents import IncidentReport
from opsteam.domain.triage import EvidenceNote

SourceKind = Literal["alert", "report", "component", "note", "diagnosis"]
# How much one source counts before timing and knock-on adjustments.
SOURCE_WEIGHT: dict[SourceKind, float] = {
    "alert": 1.0,
    "report": 0.8,
    "component": 0.8,
    "note": 1.0,
    "diagnosis": 3.0,
}
RESOLVED_WEIGHT = 0.5
_NOT_EVIDENCE_LABELS = {"alertname", "severity", "prometheus", "receiver", "env", "environment"}
# Labels that say which thing alerts, in order of preference.
_SUBJECT_LABELS = (
    "service",
    "app",
    "deployment",
    "statefulset",
    "consumergroup",
    "container",
    "pod",
    "node",
    "instance",
    "load_balancer",
    "nat_gateway_id",
    "node_group",
    "job",
    "name",
)
_HASHY = re.compile(r"^(?=[a-z0-9]*\d)[a-z0-9]{5,}$")  # pod hashes, ids, addresses
_CLAUSE = re.compile(r"[.!?](?:\s+|$)|;|\n|\bbut\b")
# Narrow on purpose: these say that something is *not* the problem.
_NEGATED = re.compile(
    r"ruled out|not the (cause|problem)|\bno errors\b|\bnormally\b|\bunaffected\b|as usual"
    r"|\b(no|nothing|not) (\w+ ){0,2}(code change|chang|deploy|release|rollout|rolled out)"
    r"|\b(is|are|looks?|seems?|remains?|stays?)\s+(fine|healthy|green|normal|ok|okay)\b"
    r"|\bstatus page is green\b|\bwhen tested\b"
)


def camel_words(name: str) -> str:
    """``KubeNodeNotReady`` -> ``kube node not ready``, ``NATGateway`` -> ``nat gateway``.

    An alert name's words are the object and the symptom it was written for.
    """
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name)
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", spaced)
    return re.sub(r"[\s_\-.:]+", " ", spaced).strip().lower()


def value_words(value: str) -> str:
    """A label value as words, without pod hashes, ids and addresses."""
    parts = re.split(r"[\s\-_./:@=,()\"']+", value.lower())
    return " ".join(p for p in parts if p and not _HASHY.match(p) and not p.isdigit())


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(text.lower()) if c and c.strip()]


def affirmed(text: str) -> str:
    """The text without clauses that rule something out ("payment pods log no errors")."""
    return " . ".join(c for c in clauses(text) if not _NEGATED.search(c))


@dataclass(frozen=True)
class Source:
    """One piece of evidence, split by where its words were seen."""

    kind: SourceKind
    label: str  # how evidence names it: "alert KubeNodeNotReady (node=ip-10-0-3-17)"
    subject: str  # the thing it is about
    name: str = ""  # alert name as words
    keys: str = ""  # label keys as words
    values: str = ""  # label values as words
    text: str = ""  # free text, lower-cased, ruled-out clauses removed
    raw_text: str = ""  # free text as written (limiters read "no user impact" here)
    starts_at: datetime | None = None
    severity_label: str | None = None
    firing: bool = True
    member: bool = False  # one node/instance of several: its loss is degraded redundancy

    @property
    def weight(self) -> float:
        base = SOURCE_WEIGHT[self.kind]
        return base if self.firing else base * RESOLVED_WEIGHT

    @property
    def all_words(self) -> str:
        return " . ".join(p for p in (self.name, self.keys, self.values, self.text) if p)


_POD_SUFFIX = re.compile(r"(-(?=[a-z]*\d)[a-z0-9]{5,10})+$")


def _subject(alert: Alert) -> str:
    for key in _SUBJECT_LABELS:
        value = alert.labels.get(key, "").strip()
        if value:
            return _POD_SUFFIX.sub("", value) if key == "pod" else value
    return alert.name


def _shown_labels(alert: Alert) -> str:
    keys = [k for k in _SUBJECT_LABELS if k in alert.labels][:2]
    return ", ".join(f"{k}={alert.labels[k]}" for k in keys)


def from_alert(alert: Alert) -> Source:
    labels = {k: v for k, v in alert.labels.items() if k not in _NOT_EVIDENCE_LABELS}
    shown = _shown_labels(alert)
    member = ("node" in labels or "instance" in labels) and not re.search(
        r"probe|blackbox", " ".join([alert.name.lower(), labels.get("job", "")])
    )
    raw = alert.text
    return Source(
        kind="alert",
        label=f"alert {alert.name}" + (f" ({shown})" if shown else ""),
        subject=_subject(alert),
        name=camel_words(alert.name),
        keys=" . ".join(camel_words(k) for k in labels),
        values=" . ".join(value_words(v) for v in labels.values()),
        text=affirmed(raw),
        raw_text=raw,
        starts_at=alert.starts_at,
        severity_label=alert.severity,
        firing=alert.firing,
        member=member and "service" not in labels,
    )


def from_report(report: IncidentReport) -> list[Source]:
    raw = f"{report.title}. {report.description}".lower()
    found = [Source("report", "the report", report.service, text=affirmed(raw), raw_text=raw)]
    if report.component:
        found.append(
            Source(
                "component",
                f"the opener's component {report.component!r}",
                report.component,
                values=value_words(report.component),
            )
        )
    return found


def from_note(note: EvidenceNote, service: str) -> Source:
    raw = note.text.lower()
    label = f"the {note.kind} by {note.by}"
    return Source(note.kind, label, service, text=affirmed(raw), raw_text=raw)


def sources(
    report: IncidentReport, alerts: Sequence[Alert], notes: Sequence[EvidenceNote] = ()
) -> list[Source]:
    """All evidence in a stable order: alerts by start time, then the report, then notes."""
    ordered = sorted(
        alerts, key=lambda a: (a.starts_at is None, a.starts_at or report.detected_at, a.name)
    )
    return [
        *(from_alert(a) for a in ordered),
        *from_report(report),
        *(from_note(n, report.service) for n in notes),
    ]
