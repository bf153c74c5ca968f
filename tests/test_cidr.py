"""CIDR maths: chosen VPCs avoid existing ranges and carved subnets never collide."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsteam.agents.network.cidr import (
    SEARCH_SPACE,
    SMALLEST_SUBNET,
    TIERS,
    carve_subnets,
    choose_vpc,
    vpc_prefix,
)
from opsteam.domain.models import Environment

_BASES = [int(IPv4Network(n).network_address) for n in ("10.0.0.0/8", "172.16.0.0/12")]

networks = st.builds(
    lambda base, offset, prefix: IPv4Network((base + offset, prefix), strict=False),
    st.sampled_from([*_BASES, int(IPv4Network("192.168.0.0/16").network_address)]),
    st.integers(min_value=0, max_value=2**21),
    st.integers(min_value=8, max_value=SMALLEST_SUBNET),
)
zone_lists = st.integers(min_value=1, max_value=6).map(
    lambda n: [f"zone-{chr(ord('a') + i)}" for i in range(n)]
)


def test_prod_gets_a_16_and_dev_is_smaller() -> None:
    assert vpc_prefix(Environment.PROD) == 16
    assert vpc_prefix(Environment.DEV) > vpc_prefix(Environment.PROD)


def test_first_free_block_skips_existing_ranges() -> None:
    taken = [IPv4Network("10.0.0.0/16"), IPv4Network("10.1.0.0/17")]
    assert choose_vpc(taken, 16) == IPv4Network("10.2.0.0/16")
    assert choose_vpc([], 16) == IPv4Network("10.0.0.0/16")


def test_falls_back_to_172_16_when_10_is_full() -> None:
    vpc = choose_vpc([IPv4Network("10.0.0.0/8")], 16)
    assert vpc.subnet_of(IPv4Network("172.16.0.0/12"))


def test_impossible_search_raises_clear_error() -> None:
    with pytest.raises(ValueError, match="no free /16"):
        choose_vpc([IPv4Network("10.0.0.0/8"), IPv4Network("172.16.0.0/12")], 16)


def test_carving_refuses_subnets_below_aws_minimum() -> None:
    with pytest.raises(ValueError, match="too small"):
        carve_subnets(IPv4Network("10.0.0.0/26"), ["a", "b", "c"])


@pytest.mark.parametrize("zones", [[], ["a", "a"]])
def test_carving_rejects_bad_zone_lists(zones: list[str]) -> None:
    with pytest.raises(ValueError):
        carve_subnets(IPv4Network("10.0.0.0/16"), zones)


def test_every_zone_gets_every_tier() -> None:
    zones = ["z1", "z2", "z3"]
    carved = carve_subnets(IPv4Network("10.0.0.0/16"), zones)
    assert {(tier, zone) for tier, zone, _ in carved} == {(t, z) for t in TIERS for z in zones}


@settings(max_examples=300, deadline=None)
@given(
    existing=st.lists(networks, max_size=12),
    prefix=st.sampled_from([16, 18, 20]),
    zones=zone_lists,
)
def test_vpc_and_subnets_never_overlap(
    existing: list[IPv4Network], prefix: int, zones: list[str]
) -> None:
    try:
        vpc = choose_vpc(existing, prefix)
    except ValueError:
        # Only acceptable when every block of the search space is really taken.
        for space in SEARCH_SPACE:
            assert all(
                any(b.overlaps(e) for e in existing) for b in space.subnets(new_prefix=8 + 4)
            )
        return
    assert vpc.prefixlen == prefix
    assert any(vpc.subnet_of(space) for space in SEARCH_SPACE)
    assert not any(vpc.overlaps(e) for e in existing)
    carved = [net for _, _, net in carve_subnets(vpc, zones)]
    assert len(carved) == len(TIERS) * len(zones)
    for i, net in enumerate(carved):
        assert net.subnet_of(vpc)
        assert not any(net.overlaps(e) for e in existing)
        assert not any(net.overlaps(other) for other in carved[i + 1 :])


@settings(max_examples=200, deadline=None)
@given(existing=st.lists(networks, min_size=1, max_size=8), prefix=st.sampled_from([16, 20]))
def test_choice_is_the_lowest_free_block(existing: list[IPv4Network], prefix: int) -> None:
    try:
        vpc = choose_vpc(existing, prefix)
    except ValueError:
        return
    space = next(s for s in SEARCH_SPACE if vpc.subnet_of(s))
    if vpc.network_address != space.network_address:
        before = IPv4Network((int(vpc.network_address) - vpc.num_addresses, prefix))
        assert any(before.overlaps(e) for e in existing)
    assert choose_vpc(list(reversed(existing)), prefix) == vpc
