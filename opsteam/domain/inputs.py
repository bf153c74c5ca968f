"""What a run knows from outside the request: the address pool, the stacks opsteam already
built (where their state lives, which range they took) and where runbooks are published.

The application layer reads these before a run (settings and the history store) and hands
them to the graph; roles read them from their context and stay pure. Remembering the ranges
opsteam allocated is what keeps two networks it built peerable: none overlaps another.
"""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Network

from pydantic import BaseModel, ConfigDict, Field

# The defaults live with the settings that override them (a light module: no models to build).
from opsteam.domain.settings import DEFAULT_ADDRESS_POOL, DEFAULT_RUNBOOK_BASE_URL

__all__ = ["DEFAULT_ADDRESS_POOL", "DEFAULT_RUNBOOK_BASE_URL", "BuiltStack", "RunInputs"]


class BuiltStack(BaseModel):
    """A Terraform stack opsteam built: its state, region and (when it made one) its VPC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prefix: str  # service-environment, e.g. "orders-api-prod"
    region: str
    state_bucket: str
    state_key: str
    vpc_cidr: IPv4Network | None = None
    # Names of the outputs it exports (what a later change can read from its state).
    outputs: list[str] = Field(default_factory=list)
    thread_id: str = ""


class RunInputs(BaseModel):
    """Facts from outside the request, read once before the run (never by a role itself)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address_pool: list[IPv4Network] = Field(default_factory=lambda: list(DEFAULT_ADDRESS_POOL))
    stacks: list[BuiltStack] = Field(default_factory=list)
    runbook_base_url: str = DEFAULT_RUNBOOK_BASE_URL
    # When the run started (the application's clock): the gate judges the window against it.
    now: datetime | None = None

    def stack(self, prefix: str) -> BuiltStack | None:
        """The newest stack opsteam built for ``prefix``, if any."""
        return next((s for s in reversed(self.stacks) if s.prefix == prefix), None)

    def allocated(self, except_prefix: str = "") -> list[IPv4Network]:
        """Ranges other opsteam stacks took (a stack's own range is not a clash with itself)."""
        return [s.vpc_cidr for s in self.stacks if s.vpc_cidr and s.prefix != except_prefix]
