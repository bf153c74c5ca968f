"""The playbook checks a model's proposal before anything renders it.

A proposal is compared with the playbook's own decision (the draft): text it adds may not
carry internal IDs, secrets, template syntax or approval instructions; CIDRs must parse and
stay inside the ranges the playbook allocated; ports are real ports; what the playbook left
empty stays empty; facts the role does not own (the Terraform stack, readiness results, who
answers an alert) are locked. Per-schema checks cover sizes, replicas and the RPO against
the backup schedule. Messages name the field, never echo the model's text (they are shown).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from ipaddress import IPv4Network, ip_network
from typing import Any

from pydantic import BaseModel, create_model

from opsteam.agents.dba import role as dba
from opsteam.domain.decisions import DataPlan, NetworkPlan
from opsteam.domain.models import Engine
from opsteam.domain.redaction import Redactor
from opsteam.domain.secrets import secret_kinds

_CIDR_SHAPE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}/\d+")
_TEMPLATE = re.compile(r"\{\{|\{%|\{#|\$\{|%\{")
_APPROVAL = re.compile(
    r"\b(approv\w*|sign(ed)?[ -]off)\b.{0,40}\b(yourself|myself|itself|automatic\w*|"
    r"on behalf|without (a )?(human|review|checkpoint))|\b(skip|bypass|ignore)\b.{0,30}"
    r"\b(checkpoint|approval|review|instructions?)\b|\bignore (all|your|previous)\b",
    re.IGNORECASE | re.DOTALL,
)
# Facts a role's decision carries but does not own: they must stay as the playbook set them.
LOCKED: dict[str, tuple[str, ...]] = {
    "AutomationPlan": (
        "modules",
        "resources_as_code",
        "resources_total",
        "fixes_applied",
        "unfixed",
        "mode",
        "stack",
        "change",
        "removals",
        "owner_state",
        "cloudwatch_reader",
    ),
    "ReliabilityPlan": (
        "readiness",
        "alert_owners",
        "escalation",
        "watch",
        "rule_group",
        "scrape_jobs",
        "exporters",
        "runbook_url",
        "dashboard",
        "dashboards",
    ),
    # The exporters' path is tied to the data rules and the Terraform input that admit it;
    # the app port to the rules, listeners and variable that use it (and whether it was assumed).
    "NetworkPlan": (
        "existing_vpc",
        "vpn",
        "monitoring",
        "app_port",
        "app_port_assumed",
        "assumptions",
    ),
    "ServerBaseline": ("decommissioned",),
}
MAX_HOSTS = 50
MAX_STORAGE_GB = 65536
RDS_MAX_RETENTION_DAYS = 35


def editable(schema: type[BaseModel]) -> type[BaseModel]:
    """The part of a decision schema the model may propose (same name, locked fields out)."""
    locked = set(LOCKED.get(schema.__name__, ()))
    if not locked:
        return schema
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in schema.model_fields.items()
        if name not in locked
    }
    return create_model(schema.__name__, __config__=schema.model_config, **fields)


def complete(proposal: BaseModel, draft: BaseModel) -> BaseModel:
    """The whole decision: the model's fields over the draft's locked ones (validated)."""
    if type(proposal) is type(draft):
        return proposal
    values = {**draft.model_dump(by_alias=True), **proposal.model_dump(by_alias=True)}
    return type(draft).model_validate(values)


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a JSON-shaped value with its path (``subnets[0].cidr``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    else:
        yield path, value


def _dump(value: BaseModel) -> dict[str, Any]:
    dumped: dict[str, Any] = value.model_dump(mode="json", by_alias=True)
    return dumped


def hostile_text(text: str, redactor: Redactor) -> str | None:
    """Why ``text`` may not enter a decision, or None."""
    if redactor.ids(text):
        return "an internal identifier"
    if secret_kinds(text):
        return "a secret"
    if _TEMPLATE.search(text):
        return "template syntax"
    if _APPROVAL.search(text):
        return "an instruction about approvals"
    return None


def _network(text: str) -> IPv4Network | None:
    try:
        found = ip_network(text, strict=True)
    except ValueError:
        return None
    return found if isinstance(found, IPv4Network) else None


def _cidr_problem(path: str, text: str, allowed: list[IPv4Network], known: set[str]) -> str | None:
    for cidr in _CIDR_SHAPE.findall(text):
        if cidr in known:
            continue
        network = _network(cidr)
        if network is None:
            return f"{path}: not a valid CIDR"
        if not any(network.subnet_of(outer) for outer in allowed):
            return f"{path}: CIDR outside the ranges the playbook allocated"
    return None


def _text_problems(
    proposal: dict[str, Any], draft: dict[str, Any], redactor: Redactor
) -> list[str]:
    known = {v for _, v in walk(draft) if isinstance(v, str)}
    # Ranges the playbook allocated (a /0 from a firewall rule is a value, not a range).
    found = [_network(c) for v in known for c in _CIDR_SHAPE.findall(v)]
    allowed = [n for n in found if n is not None and n.prefixlen >= 8]
    problems = []
    for path, value in walk(proposal):
        if isinstance(value, str) and value not in known:
            why = hostile_text(value, redactor)
            problem = f"{path}: contains {why}" if why else None
            problem = problem or _cidr_problem(path, value, allowed, known)
            if problem:
                problems.append(problem)
        if isinstance(value, int) and path.rsplit(".", 1)[-1].endswith("port"):
            if not 1 <= value <= 65535 and value != _at(draft, path):
                problems.append(f"{path}: not a TCP/UDP port")
    return problems


def _at(data: Any, path: str) -> Any:
    """The draft's value at ``path``, or None when the draft has no such place."""
    for path_, value in walk(data):
        if path_ == path:
            return value
    return None


def _shape_problems(proposal: BaseModel, draft: BaseModel) -> list[str]:
    """Nothing invented (None stays None), nothing dropped (a list stays non-empty), locks."""
    problems = []
    for name in type(draft).model_fields:
        mine, theirs = getattr(proposal, name), getattr(draft, name)
        if theirs is None and mine is not None:
            problems.append(f"{name}: must stay empty (the design does not call for it)")
        elif isinstance(theirs, list) and theirs and not mine:
            problems.append(f"{name}: may not be emptied")
        elif isinstance(theirs, BaseModel) and isinstance(mine, BaseModel):
            problems += [f"{name}.{p}" for p in _shape_problems(mine, theirs)]
    for name in LOCKED.get(type(draft).__name__, ()):
        if getattr(proposal, name) != getattr(draft, name):
            problems.append(f"{name}: decided elsewhere in the team; keep it as drafted")
    return problems


def _data_problems(proposal: DataPlan, draft: DataPlan) -> list[str]:
    mine, theirs = proposal.database, draft.database
    if mine is None or theirs is None:
        return []
    problems = []
    if (mine.engine, mine.port) != (theirs.engine, theirs.port):
        problems.append("database.engine/port: set by the design")
    if mine.version not in dba.SUPPORTED_VERSIONS[mine.engine]:
        problems.append("database.version: not a supported version of the engine")
    table = dba.CACHE_CLASSES if mine.engine is Engine.REDIS else dba.SQL_CLASSES
    if mine.instance_class not in {c for c, _ in table.values()}:
        problems.append("database.instance_class: not a size the playbook offers")
    if theirs.storage_gb and not theirs.storage_gb <= mine.storage_gb <= MAX_STORAGE_GB:
        problems.append(f"database.storage_gb: between {theirs.storage_gb} and {MAX_STORAGE_GB}")
    if mine.read_replicas > dba.MAX_READ_REPLICAS:
        problems.append(f"database.read_replicas: at most {dba.MAX_READ_REPLICAS}")
    if theirs.multi_az and not mine.multi_az:
        problems.append("database.multi_az: required here")
    problems += _rpo_problems(proposal, draft)
    return problems


def _rpo_problems(proposal: DataPlan, draft: DataPlan) -> list[str]:
    mine, theirs = proposal.database, draft.database
    assert mine is not None and theirs is not None
    problems = []
    if mine.rpo_minutes > theirs.rpo_minutes:
        problems.append("database.rpo_minutes: looser than the request's RPO")
    if mine.achieved_rpo_minutes < theirs.achieved_rpo_minutes:
        problems.append("database.achieved_rpo_minutes: better than the backup schedule gives")
    if mine.achieved_rpo_minutes > mine.rpo_minutes:
        problems.append("database.achieved_rpo_minutes: the backups miss the RPO")
    if not theirs.retention_days <= mine.retention_days <= RDS_MAX_RETENTION_DAYS:
        problems.append(
            f"database.retention_days: between {theirs.retention_days} and {RDS_MAX_RETENTION_DAYS}"
        )
    if theirs.point_in_time_recovery and not mine.point_in_time_recovery:
        problems.append("database.point_in_time_recovery: required for the RPO")
    return problems


def _network_problems(proposal: NetworkPlan, draft: NetworkPlan) -> list[str]:
    vpc = _network(proposal.vpc_cidr)
    if vpc is None:
        return []  # reported by the CIDR check
    problems = []
    subnets = [(s.name, _network(s.cidr)) for s in proposal.subnets]
    for index, (_, net) in enumerate(subnets):
        if net is not None and not net.subnet_of(vpc):
            problems.append(f"subnets[{index}].cidr: outside the VPC range")
        for other_index, (_, other) in enumerate(subnets[:index]):
            if net is not None and other is not None and net.overlaps(other):
                problems.append(f"subnets[{index}].cidr: overlaps subnets[{other_index}]")
    if proposal.vpc_cidr != draft.vpc_cidr and draft.existing_vpc:
        problems.append("vpc_cidr: the VPC exists already")
    return problems + _exposure_problems(proposal, draft)


def _exposure_problems(proposal: NetworkPlan, draft: NetworkPlan) -> list[str]:
    """No port opened to the internet that the playbook did not open."""
    drafted = {(r.direction, r.protocol, r.port, r.source) for r in draft.rules}
    problems = []
    for index, rule in enumerate(proposal.rules):
        source = _network(rule.source)
        public = source is not None and not source.is_private
        if public and (rule.direction, rule.protocol, rule.port, rule.source) not in drafted:
            problems.append(f"rules[{index}]: opens a port to the internet the playbook did not")
    return problems


def _host_problems(proposal: BaseModel, draft: BaseModel) -> list[str]:
    hosts = getattr(proposal, "hosts", [])
    return [
        f"hosts[{i}].count: at most {MAX_HOSTS}"
        for i, host in enumerate(hosts)
        if host.count > MAX_HOSTS
    ]


def _said_something(proposal: BaseModel, draft: BaseModel) -> list[str]:
    """A generic role's answer: a summary and at least one note or recommendation."""
    problems = [] if getattr(proposal, "summary", "") else ["summary: give one sentence"]
    if not (getattr(proposal, "notes", []) or getattr(proposal, "recommendations", [])):
        problems.append("notes: give at least one note or recommendation")
    return problems


SchemaCheck = Callable[[Any, Any], list[str]]
BY_SCHEMA: dict[str, SchemaCheck] = {
    "GenericRoleDecision": _said_something,
    "DataPlan": _data_problems,
    "NetworkPlan": _network_problems,
    "ServerBaseline": _host_problems,
}


def problems(proposal: BaseModel, draft: BaseModel, redactor: Redactor) -> list[str]:
    """Why the proposal may not be used (empty: it may)."""
    if type(proposal) is not type(draft):
        return [f"the decision must be a {type(draft).__name__}"]
    found = _text_problems(_dump(proposal), _dump(draft), redactor)
    found += _shape_problems(proposal, draft)
    check = BY_SCHEMA.get(type(draft).__name__)
    if check is not None:
        found += check(proposal, draft)
    return list(dict.fromkeys(found))
