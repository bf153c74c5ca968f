"""Request routing data a team tunes in its roster: the words people use, as data.

The synonym tables turn what a person writes in the form ("Compute", "production", "tear
down") into the form's values; the fact words let intake recognise what a request changes
(exposure, placement, hosts, data stores, schemas, customers, other divisions...). How the
facts route work and raise checkpoints lives in code; which words mean what lives here.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

DesignComponent = Literal[
    "web",  # an HTTP service (runs on Kubernetes)
    "kubernetes",
    "database",
    "cache",
    "object-storage",
    "server",  # virtual machines the systems administrator baselines
    "load-balancer",
    "dns",
    "vpn",
    "firewall",
    "monitoring",
]
FactKind = Literal[
    "exposure",  # endpoints, ports, DNS, TLS, load balancers, allowlists
    "placement",  # networks, subnets, regions, zones, moves between them
    "connectivity",  # VPN, peering, traffic between networks or data stores
    "hosts",  # servers, VMs, OS, patching, hardening
    "data_stores",  # databases, caches, buckets (the stores themselves)
    "data_work",  # backups, restores, replicas, retention, engine parameters, upgrades
    "schemas",  # tables, columns, fields, indexes, renames, drops, backfills
    "customers",  # data or features customers see or depend on
    "third_parties",  # vendors, partners, SaaS, external APIs
    "other_divisions",  # work for or with another division
    "topology",  # new services/clusters/regions, re-architecture, replacements
    "platform",  # platform-wide work touching many components
    "operations",  # alerts, dashboards, SLOs, autoscaling, pod limits, chaos experiments
    "in_place",  # changes inside something that exists (parameters, versions, sizes)
]
FACT_KINDS: tuple[FactKind, ...] = get_args(FactKind)
FORM_COMPONENTS = (
    "server",
    "network",
    "database",
    "cache",
    "storage",
    "kubernetes",
    "dns",
    "load-balancer",
    "firewall",
    "vpn",
    "monitoring",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clean(words: tuple[str, ...], where: str) -> None:
    bad = [w for w in words if not w or w != w.strip().lower()]
    if bad:
        raise ValueError(f"{where}: words must be lower-case and non-empty, got {bad[:3]}")


class Synonyms(_Strict):
    """What people write for the form's closed fields, per canonical value."""

    type: dict[Literal["New", "Modify", "Remove"], tuple[str, ...]]
    environment: dict[Literal["dev", "staging", "prod"], tuple[str, ...]]
    component: dict[str, tuple[str, ...]]
    # Words that name several components at once ("platform" -> kubernetes, network, ...).
    component_groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known(self) -> Synonyms:
        unknown = sorted(set(self.component) - set(FORM_COMPONENTS))
        if unknown:
            raise ValueError(
                f"synonyms.component: unknown component(s) {unknown}; "
                f"use one of {', '.join(FORM_COMPONENTS)}"
            )
        for word, members in self.component_groups.items():
            wrong = sorted(set(members) - set(FORM_COMPONENTS))
            if wrong:
                raise ValueError(f"synonyms.component_groups.{word}: unknown component(s) {wrong}")
        for field in ("type", "environment", "component"):
            for key, words in getattr(self, field).items():
                _clean(words, f"synonyms.{field}.{key}")
        return self


class RequestRouting(_Strict):
    """The request routing data of a roster (``request_routing`` in registry.yaml)."""

    synonyms: Synonyms
    # Words that name a design component in a request's text (a web service, a cache...).
    components: dict[DesignComponent, tuple[str, ...]]
    # Plain nouns that name a component when someone adds or removes it ("add a cache").
    generic_components: dict[DesignComponent, tuple[str, ...]] = Field(default_factory=dict)
    facts: dict[FactKind, tuple[str, ...]]
    # Words that name something to build or change (a request with none is incomplete).
    things: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> RequestRouting:
        missing = [k for k in FACT_KINDS if k not in self.facts]
        if missing:
            raise ValueError(f"facts: every fact kind needs words (missing: {', '.join(missing)})")
        for kind, words in self.facts.items():
            _clean(words, f"facts.{kind}")
        for component, words in {**self.components, **self.generic_components}.items():
            _clean(words, f"components.{component}")
        return self
