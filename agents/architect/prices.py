"""The dated price table behind the infrastructure plan's cost estimates.

``opsteam/data/prices.yaml`` ships in the package; :func:`load_prices` reads it once per
file version, validates it with pydantic and reports a broken file in one readable line per
problem (:class:`PriceTableError`), never a traceback.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from opsteam.domain.decisions.plan import PlatformKey
from opsteam.domain.errors import OpsteamError
from opsteam.domain.models import Size
from opsteam.domain.yamlio import parse_model

PLATFORMS: tuple[PlatformKey, ...] = ("aws", "gcp", "azure", "simple")
MAX_PRICE_BYTES = 1_000_000


class PriceTableError(OpsteamError):
    """The shipped (or configured) price table is missing or malformed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class InstancePrice(_Strict):
    instance_class: str = Field(alias="class", min_length=1)
    hourly: float = Field(ge=0)


class SizedPrices(_Strict):
    small: InstancePrice
    medium: InstancePrice
    large: InstancePrice
    xlarge: InstancePrice

    def for_size(self, size: Size) -> InstancePrice:
        price: InstancePrice = getattr(self, size.value)
        return price


class Services(_Strict):
    compute: str
    kubernetes: str
    database: str
    cache: str
    object_storage: str
    block_storage: str
    backup: str
    load_balancer: str
    nat: str
    dns: str
    vpn: str
    kms: str
    audit: str
    secrets: str


class CloudPrices(_Strict):
    label: str
    pros: str
    cons: str
    suitable_for_kubernetes: bool
    suitable_for_private_networking: bool
    compliance: tuple[Literal["gdpr", "hipaa", "soc2", "pci-dss"], ...]
    services: Services
    compute: SizedPrices
    database: SizedPrices
    cache: SizedPrices
    kubernetes_hourly: float = Field(ge=0)
    block_gb_month: float = Field(ge=0)
    database_gb_month: float = Field(ge=0)
    object_gb_month: float = Field(ge=0)
    backup_gb_month: float = Field(ge=0)
    load_balancer_hourly: float = Field(ge=0)
    nat_hourly: float = Field(ge=0)
    dns_zone_month: float = Field(ge=0)
    vpn_hourly: float = Field(ge=0)
    security_month: float = Field(ge=0)
    # A web application firewall (one ACL and its managed rule groups) per month.
    waf_month: float = Field(default=0.0, ge=0)


class Clouds(_Strict):
    aws: CloudPrices
    gcp: CloudPrices
    azure: CloudPrices
    simple: CloudPrices


# A price table older than this is flagged in the plan: prices drift, review them.
REVIEW_DAYS = 180


class PriceTable(_Strict):
    as_of: date
    currency: Literal["USD"]
    source: str = Field(min_length=10)
    hours_per_month: int = Field(ge=672, le=744)
    labor_hourly: float = Field(ge=0)
    clouds: Clouds

    def stale(self, today: date) -> bool:
        """True when the table is older than its review period on ``today``."""
        return (today - self.as_of).days > REVIEW_DAYS

    def cloud(self, key: PlatformKey) -> CloudPrices:
        prices: CloudPrices = getattr(self.clouds, key)
        return prices


def default_prices_path() -> Path:
    """The table shipped with the package (works from a wheel and a checkout)."""
    return Path(str(resources.files("opsteam").joinpath("data/prices.yaml")))


def parse_prices(text: str, source: str = "prices.yaml") -> PriceTable:
    return parse_model(text, PriceTable, source, PriceTableError, what="price table is invalid: ")


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> PriceTable:
    chosen = Path(path)
    try:
        size = chosen.stat().st_size
        if size > MAX_PRICE_BYTES:
            raise PriceTableError(f"{path}: price table is {size} bytes, limit {MAX_PRICE_BYTES}")
        text = chosen.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceTableError(f"{path}: cannot read price table ({exc})") from None
    return parse_prices(text, source=path)


def load_prices(path: str | Path | None = None) -> PriceTable:
    """Load the dated price table: an explicit path, else the packaged one (cached)."""
    chosen = Path(path) if path is not None else default_prices_path()
    try:
        mtime = chosen.stat().st_mtime_ns
    except OSError:
        raise PriceTableError(f"{chosen}: price table not found") from None
    return _load_cached(str(chosen), mtime)
