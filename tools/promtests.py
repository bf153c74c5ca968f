"""``promtool test rules FILE``: alert unit tests, as typed findings. Pure: no process here.

promtool prints ``Unit Testing: FILE`` and ``SUCCESS`` on stdout; on failure ``FAILED:`` and one
error per failed expectation on stderr, e.g.::

    name: primary down while replica up,
    alertname: DatabaseDown, time: 5m,
        exp:[ 0: Labels:{alertname="DatabaseDown", severity="P0"} Annotations:{} ],
        got:[]
    expr: "max(pg_up)", time: 1m,
        exp: {} 1E+00
        got: {} 0E+00

Each becomes a finding naming the test, alert and evaluation time, expected vs got. A rule file
the test names but promtool cannot find only warns there; here it fails the file, since such a
test proves nothing. :func:`coverage` adds what promtool cannot see: alerts no test exercises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opsteam.domain.models import Finding
from opsteam.tools.outcomes import PASSED, Outcome, error, failed, finding, tail
from opsteam.tools.runner import CommandResult

PROGRAM = "promtool"
TIMEOUT_S = 120.0
_ALERT = re.compile(r"^alertname: (?P<alert>.*?), time: (?P<time>\S+?),?\s*$")
_EXPR = re.compile(r'^expr: (?P<expr>".*"), time: (?P<time>[^,\s]+),?\s*(?:err: (?P<err>.*))?$')
_RULE = re.compile(r"^rule: (?P<rule>.*?), time: (?P<time>[^,\s]+), err: (?P<err>.*)$")
_LABELS = re.compile(r"Labels:\{(.*?)\}\s*$")
_NO_MATCH = re.compile(r"WARNING: no file match pattern (\S+)")
_YAML_LINE = re.compile(r"\bline (\d+):")


def argv(program: str, path: str) -> list[str]:
    return [program, "test", "rules", path]


def parse(result: CommandResult) -> Outcome:
    """Exit 0 + SUCCESS = every test held; exit 1 + FAILED: = findings; else no verdict."""
    missing = [
        finding("rule-files", f"rule file {m} not found: the test checks no rules")
        for m in _NO_MATCH.findall(result.stderr)
    ]
    if result.returncode == 0 and "SUCCESS" in result.stdout:
        return failed(missing) if missing else PASSED
    _, marker, report = result.stderr.partition("FAILED:")
    if result.returncode != 1 or not marker:
        return error(f"promtool exited {result.returncode}: {tail(result.stderr or result.stdout)}")
    found = [_finding(error_lines) for error_lines in _errors(report.splitlines())]
    return failed(missing + found)


_HEADS = ("alertname:", "expr:", "rule:")


@dataclass
class _Error:
    lines: list[str] = field(default_factory=list)
    test: str = ""


def _errors(lines: list[str]) -> list[_Error]:
    """Split the report: an error opens at ``name:`` (a named test's alert failure), at an
    ``alertname:``/``expr:``/``rule:`` line (4-space indent) or at an unindented line; deeper
    lines continue it."""
    errors: list[_Error] = []
    for raw in lines:
        text = raw.strip()
        if not text:
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent <= 4 and text.startswith("name:"):
            errors.append(_Error(test=text[len("name:") :].strip().rstrip(",")))
            continue
        opens = indent == 0 or (indent <= 4 and text.startswith(_HEADS))
        if not errors or (opens and errors[-1].lines):
            errors.append(_Error())
        errors[-1].lines.append(text)
    return errors


def _finding(item: _Error) -> Finding:
    head = item.lines[0] if item.lines else ""
    prefix = f"test {item.test!r}: " if item.test else ""
    alert = _ALERT.match(head)
    if alert is not None:
        expected, got = _alerts(item.lines[1:])
        message = (
            f"{prefix}{alert['alert']} at {alert['time']}: expected {_describe(expected)}; "
            f"got {_describe(got)}"
        )
        return finding("alert-test", message, resource=alert["alert"])
    expr = _EXPR.match(head)
    if expr is not None:
        if expr["err"]:
            return finding("expr-test", f"{prefix}{expr['expr']} at {expr['time']}: {expr['err']}")
        want = _after("exp:", item.lines)
        have = _after("got:", item.lines)
        return finding(
            "expr-test", f"{prefix}{expr['expr']} at {expr['time']}: expected {want}; got {have}"
        )
    rule = _RULE.match(head)
    if rule is not None:
        message = f"{prefix}rule {rule['rule']} at {rule['time']} failed to evaluate: {rule['err']}"
        return finding("rule-eval", message, resource=rule["rule"])
    text = " ".join(item.lines)
    line = _YAML_LINE.search(text)
    return finding("test-file", prefix + text, line=int(line.group(1)) if line else None)


def _after(label: str, lines: list[str]) -> str:
    return next((line[len(label) :].strip() for line in lines if line.startswith(label)), "?")


def _alerts(lines: list[str]) -> tuple[list[str], list[str]]:
    """Label sets listed under ``exp:[`` and under ``got:[``."""
    exp: list[str] = []
    got: list[str] = []
    target: list[str] | None = None
    for line in lines:
        if line.startswith("exp:"):
            target = exp
        elif line.startswith("got:"):
            target = got
        labels = _LABELS.search(line)
        if labels is not None and target is not None:
            target.append(_without_alertname(labels.group(1)))
    return exp, got


def _without_alertname(labels: str) -> str:
    kept = [part for part in _split_labels(labels) if not part.startswith("alertname=")]
    return "{" + ", ".join(kept) + "}"


def _split_labels(labels: str) -> list[str]:
    return [m.group(0) for m in re.finditer(r'[A-Za-z_]\w*="(?:[^"\\]|\\.)*"', labels)]


def _describe(alerts: list[Any]) -> str:
    if not alerts:
        return "no alert"
    count = f"{len(alerts)} alerts " if len(alerts) > 1 else ""
    return count + " ".join(alerts)


def coverage(test_doc: Mapping[str, Any], rules: Mapping[str, list[Any] | None]) -> list[Finding]:
    """What the tests leave unproven, per alert of the rule files they load.

    ``rules`` maps each ``rule_files`` entry to its parsed YAML (None when missing or broken:
    promtool reports that). An alert no ``alert_rule_test`` names, or none expects to fire, is
    unproven (error); one never shown to stay silent gets a warning.
    """
    fires: dict[str, bool] = {}
    silent: dict[str, bool] = {}
    for case in _alert_cases(test_doc):
        name = str(case.get("alertname", ""))
        expected = case.get("exp_alerts") or []
        fires[name] = fires.get(name, False) or bool(expected)
        silent[name] = silent.get(name, False) or not expected
    found: list[Finding] = []
    for rule_file, alert in _alerts_of(rules):
        if alert not in fires:
            message = f"alert {alert} ({rule_file}) has no alert_rule_test: nothing proves it fires"
            found.append(finding("untested-alert", message, resource=alert))
        elif not fires[alert]:
            message = f"no test expects {alert} to fire (only silence is tested)"
            found.append(finding("never-fires", message, resource=alert))
        elif not silent[alert]:
            message = f"no test expects {alert} to stay silent when healthy"
            found.append(finding("never-silent", message, resource=alert, severity="warning"))
    return found


def _alert_cases(test_doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    cases: list[Mapping[str, Any]] = []
    for group in test_doc.get("tests") or []:
        if isinstance(group, Mapping):
            cases += [c for c in group.get("alert_rule_test") or [] if isinstance(c, Mapping)]
    return cases


def _alerts_of(rules: Mapping[str, list[Any] | None]) -> list[tuple[str, str]]:
    alerts: list[tuple[str, str]] = []
    for rule_file, docs in rules.items():
        for doc in docs or []:
            for group in (doc.get("groups") or []) if isinstance(doc, Mapping) else []:
                for rule in (group.get("rules") or []) if isinstance(group, Mapping) else []:
                    if isinstance(rule, Mapping) and isinstance(rule.get("alert"), str):
                        alerts.append((rule_file, rule["alert"]))
    return alerts
