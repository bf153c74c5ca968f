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


def spec(network: NetworkPlan, groups: list[SecurityGroup]) -> VpnSpec:
    """The VPN as Terraform will codify it, from the network plan's VPN settings."""
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
    )
