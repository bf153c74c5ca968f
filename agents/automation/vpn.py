"""Terraform for the site-to-site VPN the network plan decided (``NetworkPlan.vpn``).

The tunnel settings (IKE version, ciphers, DH group, routing) and the partner range come from
the plan; nothing is re-decided here. What the request cannot know (the partner's public IP,
and the partner range when the plan has none) becomes a required, validated Terraform
variable instead of a guess. The security-group rules that admit the partner range are the
network plan's own rules, rendered next to the tunnel so the VPN and what it opens travel
together.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from opsteam.domain.decisions import NetworkPlan, PartnerRule, SecurityGroup, VpnSpec
from opsteam.domain.decisions.wiring import TfVariable, VariableCheck

# Network-plan names -> the values the AWS API accepts. Unknown names fall back to the
# strongest setting, never to a weaker one.
IKE_VERSIONS = {"ikev2": "ikev2"}
ENCRYPTION = {
    "aes256-gcm16": "AES256-GCM-16",
    "aes128-gcm16": "AES128-GCM-16",
    "aes256": "AES256",
}
INTEGRITY = {"sha2-256": "SHA2-256", "sha2-384": "SHA2-384", "sha2-512": "SHA2-512"}
STRONG_DH_GROUPS = frozenset(range(19, 25)) | {14, 15, 16, 17, 18}
DEFAULT_DH_GROUP = 20
DEFAULT_BGP_ASN = 65000  # private range; the partner overrides it with var.vpn_bgp_asn
AMAZON_SIDE_ASN = 64512  # the gateway's own ASN, so the partner's must differ


def wanted(network: NetworkPlan | None) -> bool:
    return network is not None and bool(network.vpn)


def _v4(value: str) -> IPv4Network | None:
    try:
        return IPv4Network(value, strict=False)
    except ValueError:
        return None


def _dh_group(settings: dict[str, str]) -> int:
    raw = settings.get("dh_group", "")
    group = int(raw) if raw.isdigit() else DEFAULT_DH_GROUP
    return group if group in STRONG_DH_GROUPS else DEFAULT_DH_GROUP


def partner_rules(groups: list[SecurityGroup], peer_cidr: str | None) -> list[PartnerRule]:
    """The plan's security-group rules whose CIDR is the partner range (or inside it)."""
    peer = _v4(peer_cidr or "")
    if peer is None or peer.prefixlen == 0:  # a "partner" that is the internet is not one
        return []
    found: list[PartnerRule] = []
    for group in groups:
        for rule in group.rules:
            cidr = _v4(rule.cidr or "")
            if cidr is not None and cidr.subnet_of(peer):
                found.append(PartnerRule(group=group.ident, rule=rule))
    return found


def spec(network: NetworkPlan, groups: list[SecurityGroup], *, existing_vpc: bool) -> VpnSpec:
    """The VPN as Terraform will codify it, from the network plan's VPN settings, into a VPC
    this stack creates or one that exists (``existing_vpc``)."""
    settings = network.vpn
    parsed = _v4(settings.get("peer_cidr", ""))
    peer = str(parsed) if parsed is not None else None
    return VpnSpec(
        peer_cidr=peer,
        ike_versions=[IKE_VERSIONS.get(settings.get("ike_version", ""), "ikev2")],
        encryption=ENCRYPTION.get(settings.get("encryption", ""), "AES256-GCM-16"),
        integrity=INTEGRITY.get(settings.get("integrity", ""), "SHA2-256"),
        dh_group=_dh_group(settings),
        static_routes=settings.get("routing", "static") != "bgp",
        propagate_to_private=any(s.tier != "public" for s in network.subnets),
        rules=partner_rules(groups, peer),
        existing_vpc=existing_vpc,
    )


_PUBLIC_IP = (
    r'!can(regex("^(0|10|127|22[4-9]|2[3-5][0-9])\\.|^169\\.254\\.|^172\\.(1[6-9]|2[0-9]|3[01])'
    r'\\.|^192\\.168\\.|^100\\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\\.", var.vpn_peer_ip))'
)
_RESERVED_ASNS = "7224, 9059, 10124, 17943"
# The ASNs AWS accepts for its side of a virtual private gateway: the private ranges.
_PRIVATE_ASN = (
    "floor(var.vpn_amazon_side_asn) == var.vpn_amazon_side_asn && "
    "((var.vpn_amazon_side_asn >= 64512 && var.vpn_amazon_side_asn <= 65534) || "
    "(var.vpn_amazon_side_asn >= 4200000000 && var.vpn_amazon_side_asn <= 4294967294))"
)


def _asn_variable(
    name: str, description: str, default: int, condition: str, rule: str
) -> TfVariable:
    """A BGP ASN input with a default, checked by ``condition`` (``rule`` says what it wants)."""
    return TfVariable(
        name=name,
        type="number",
        description=description,
        example=str(default),
        default=str(default),
        checks=[VariableCheck(condition=condition, message=f"The {name} value must be {rule}")],
    )


def gateway_variables(vpn: VpnSpec) -> list[TfVariable]:
    """The gateway's own ASN (a BGP design may have one reserved), and in a VPC that exists,
    the gateway it may already have: a VPC takes one virtual private gateway."""
    found = [
        _asn_variable(
            "vpn_amazon_side_asn",
            "BGP ASN of the AWS side of a virtual private gateway this module creates (a "
            "private ASN; take the one your BGP design reserves).",
            AMAZON_SIDE_ASN,
            _PRIVATE_ASN,
            "a private ASN: 64512-65534 or 4200000000-4294967294.",
        )
    ]
    if vpn.existing_vpc:
        found.append(
            TfVariable(
                name="vpn_gateway_id",
                description="The virtual private gateway already attached to the VPC, if it "
                "has one (another VPN, Direct Connect): a VPC takes one, so it is reused. "
                "null: this module creates and attaches one.",
                example='"vgw-0123456789abcdef0"',
                default="null",
                checks=[
                    VariableCheck(
                        condition='var.vpn_gateway_id == null || can(regex("^vgw-[0-9a-f]{8,17}$",'
                        " var.vpn_gateway_id))",
                        message="The vpn_gateway_id value must be a gateway ID such as "
                        "vgw-0123456789abcdef0, or null.",
                    )
                ],
            )
        )
    return found


def variables(vpn: VpnSpec) -> list[TfVariable]:
    """What the request cannot know about the partner, as validated required inputs."""
    found = [
        TfVariable(
            name="vpn_peer_ip",
            description="Public IPv4 address of the partner's VPN device "
            "(ask the partner; the request does not name it).",
            example='"203.0.113.10"',
            checks=[
                VariableCheck(
                    condition=r'can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}$", var.vpn_peer_ip))'
                    r' && can(cidrhost("${var.vpn_peer_ip}/32", 0))',
                    message="The vpn_peer_ip value must be one IPv4 address, such as 203.0.113.10.",
                ),
                VariableCheck(
                    condition=_PUBLIC_IP,
                    message="The vpn_peer_ip value must be the partner's public address, not a "
                    "private, shared, loopback, link-local or multicast one.",
                ),
            ],
        ),
        _asn_variable(
            "vpn_bgp_asn",
            "BGP ASN of the partner's customer gateway; AWS requires one even for static "
            "routing (default: a private ASN).",
            DEFAULT_BGP_ASN,
            "var.vpn_bgp_asn >= 1 && var.vpn_bgp_asn <= 2147483647 && "
            "floor(var.vpn_bgp_asn) == var.vpn_bgp_asn && "
            f"!contains([{_RESERVED_ASNS}], var.vpn_bgp_asn)",
            f"a whole number from 1 to 2147483647, other than the ASNs AWS reserves "
            f"({_RESERVED_ASNS}); the customer gateway also checks it differs from the AWS "
            "side's.",
        ),
    ]
    found += gateway_variables(vpn)
    if vpn.peer_cidr is None:
        found.append(
            TfVariable(
                name="vpn_peer_cidr",
                description="The partner's on-premises IPv4 range; the network plan did not "
                "know it.",
                example='"192.168.40.0/24"',
                checks=[
                    VariableCheck(
                        condition="can(cidrnetmask(var.vpn_peer_cidr)) && "
                        '!startswith(var.vpn_peer_cidr, "0.0.0.0/")',
                        message="The vpn_peer_cidr value must be one IPv4 CIDR range, such as "
                        "192.168.40.0/24, and not 0.0.0.0/0.",
                    )
                ],
            )
        )
    return found
