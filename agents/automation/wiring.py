"""How a New stack's parts refer to each other: the VPC and subnets it creates or shares, the
security group each workload wears (the Kubernetes nodes wear the cluster's), the inputs the
stack needs and the outputs later changes read through its state.

Pure functions of the decisions; :func:`opsteam.agents.automation.terraform.stack` puts the
results into the typed :class:`~opsteam.domain.decisions.TerraformStack`.
"""

from __future__ import annotations

from opsteam.agents.automation import cluster as iac_cluster
from opsteam.agents.automation import inputs as iac_inputs
from opsteam.agents.automation import vpn as iac_vpn
from opsteam.domain.decisions import (
    DatabasePlan,
    MonitoringPath,
    NetworkPlan,
    RouteTableSpec,
    SecurityGroup,
    SubnetSpec,
    VpnSpec,
)
from opsteam.domain.decisions.wiring import (
    ClusterSpec,
    StackOutput,
    TargetGroupSpec,
    TfVariable,
    VariableCheck,
)
from opsteam.domain.models import Engine

TIERS = ("public", "private", "data")


def vpc_ref(network: NetworkPlan | None) -> str:
    """The VPC the stack's resources live in: its own, or an existing one (a variable)."""
    if network is not None and not network.existing_vpc:
        return "aws_vpc.main.id"
    return "var.vpc_id"


def subnet_refs(network: NetworkPlan | None, nets: list[SubnetSpec]) -> dict[str, str]:
    """Per tier, the HCL list of subnet IDs: created subnets, the shared VPC's (variables), or
    the existing private subnets when no network was planned. A missing tier borrows the
    nearest one (hosts use private else data; databases data else private)."""
    if network is None:
        return dict.fromkeys(TIERS, "var.subnet_ids")
    if network.existing_vpc:
        return {tier: f"var.{tier}_subnet_ids" for tier in TIERS}
    found = {
        tier: "[" + ", ".join(f"aws_subnet.{s.ident}.id" for s in nets if s.tier == tier) + "]"
        for tier in TIERS
        if any(s.tier == tier for s in nets)
    }
    for tier, fallback in (("private", "data"), ("data", "private"), ("public", "private")):
        if tier not in found and fallback in found:
            found[tier] = found[fallback]
    return found


def on_cluster(groups: list[SecurityGroup], spec: ClusterSpec | None) -> list[SecurityGroup]:
    """With Kubernetes behind a load balancer the "app" group is the nodes' group: its rules
    go on the cluster security group every node wears; no group of its own is created."""
    if spec is None:
        return groups
    return [
        g.model_copy(update={"attach": "cluster"})
        if g.attach in ("hosts", "external") and g.name.endswith("-app")
        else g
        for g in groups
    ]


def group_refs(groups: list[SecurityGroup], spec: ClusterSpec | None) -> dict[str, str]:
    """The HCL expression of each group's ID."""
    return {
        g.ident: spec.security_group
        if g.attach == "cluster" and spec is not None
        else f"aws_security_group.{g.ident}.id"
        for g in groups
    }


def used_tiers(network: NetworkPlan | None, db: DatabasePlan | None, hosts: bool) -> list[str]:
    """Subnet tiers a stack in a shared VPC needs as inputs."""
    if network is None or not network.existing_vpc:
        return []
    tiers = {"private"} if hosts or network.load_balancer else set()
    if network.load_balancer is not None and network.load_balancer.scheme == "internet-facing":
        tiers.add("public")
    if db is not None:
        tiers.add("data")
    return [t for t in TIERS if t in tiers]


def database_variables(db: DatabasePlan | None, regions: list[str]) -> list[TfVariable]:
    found: list[TfVariable] = []
    if db is not None and db.engine is Engine.REDIS:
        found.append(
            TfVariable(
                name="redis_auth_token",
                description="AUTH token for Redis clients (from the secrets manager, "
                "16-128 characters).",
                example='"set TF_VAR_redis_auth_token from the secrets manager"',
                sensitive=True,
            )
        )
    for region in regions:
        alias = "dr_" + region.replace("-", "_")
        found += [
            iac_inputs.variable(
                f"{alias}_db_subnet_group",
                f"Existing DB subnet group in {region} for the cross-region read replica.",
                '"dr-db-subnets"',
            ),
            iac_inputs.variable(
                f"{alias}_security_group_ids",
                f"Security groups in {region} that admit the application to the replica.",
                iac_inputs.EXAMPLE_ID["subnets"].replace("subnet", "sg"),
                "list(string)",
            ),
        ]
    return found


def stack_variables(
    *,
    region: str,
    env: str,
    network: NetworkPlan | None,
    db: DatabasePlan | None,
    tiers: list[str],
    vpn: VpnSpec | None,
    cluster: ClusterSpec | None,
) -> list[TfVariable]:
    """Every input of a New stack, in the order ``variables.tf`` declares them."""
    lb = network.load_balancer if network is not None else None
    found = iac_inputs.base_variables(region, env)
    found += iac_inputs.network_inputs(
        network is not None and network.existing_vpc, tiers, no_network=network is None
    )
    found += iac_inputs.edge_inputs(lb, network is not None and network.public_records)
    found += database_variables(db, list(db.replica_regions) if db else [])
    found += iac_vpn.variables(vpn) if vpn is not None else []
    found += iac_cluster.variables(cluster)
    found += monitoring_variables(network.monitoring if network is not None else None)
    return iac_inputs.unique(found)


ROUTES = {"peering": "VPC peering", "transit-gateway": "a transit gateway attachment"}


def monitoring_variables(path: MonitoringPath | None) -> list[TfVariable]:
    """The monitoring network's range, when the network plan admits Prometheus's exporters
    from outside the VPC: typed, validated, and saying which route it needs."""
    if path is None or not path.variable:
        return []
    name, ports = path.variable, ", ".join(str(p) for p in path.ports)
    return [
        TfVariable(
            name=name,
            description="IPv4 range Prometheus's exporters connect from (the monitoring "
            f"cluster's node or pod range): the data store admits it on {ports} only. It "
            f"must be routed to this VPC by {ROUTES[path.route]}, which this stack does not "
            "create (see network/network-plan.md).",
            example='"10.100.0.0/16"',
            checks=[
                VariableCheck(
                    condition=f"can(cidrnetmask(var.{name})) && can(cidrhost(var.{name}, 0))",
                    message=f"The {name} value must be one IPv4 CIDR range, such as 10.100.0.0/16.",
                ),
                VariableCheck(
                    condition=f'try(tonumber(split("/", var.{name})[1]) >= 8, false)',
                    message=f"The {name} value must be the monitoring network's own range "
                    "(a /8 or narrower), never 0.0.0.0/0: the data store admits it.",
                ),
            ],
        )
    ]


def stack_outputs(
    network: NetworkPlan | None,
    db: DatabasePlan | None,
    tables: list[RouteTableSpec],
    refs: dict[str, str],
    prefix: str,
) -> list[StackOutput]:
    """What a later Modify reads through this stack's state."""
    created = network is not None and not network.existing_vpc
    database = None
    if db is not None:
        database = (
            "aws_elasticache_replication_group.main.id"
            if db.engine is Engine.REDIS
            else "aws_db_instance.main.identifier"
        )
    found = iac_inputs.stack_outputs(
        vpc=vpc_ref(network) if network is not None else None,
        vpc_cidr="aws_vpc.main.cidr_block" if created else None,
        route_tables=[t.ident for t in tables],
        groups=refs,
        kms_key=True,
        load_balancer=network is not None and network.load_balancer is not None,
        dns_zone=network is not None and network.public_records,
        database=database,
        private_zone=network is not None and bool(network.private_zone),
    )
    return found + scrape_targets(db, prefix)


def scrape_targets(db: DatabasePlan | None, prefix: str) -> list[StackOutput]:
    """The data store's instances as Prometheus file_sd targets, labelled by role: written to
    monitoring/targets/ so the exporter job probes each instance (primary and replicas)."""
    if db is None:
        return []
    if db.engine is Engine.REDIS:
        group = "aws_elasticache_replication_group.main"
        # The cache refuses plain text (transit encryption): redis_exporter speaks TLS to a
        # target only when it says rediss://, and would otherwise report redis_up 0 forever.
        parts = [
            f'{{ targets = ["rediss://${{{group}.primary_endpoint_address}}:{db.port}"], '
            'labels = { role = "primary" } }'
        ]
        if db.read_replicas:
            parts.append(
                f'{{ targets = ["rediss://${{{group}.reader_endpoint_address}}:{db.port}"], '
                'labels = { role = "replica" } }'
            )
        kind = "redis"
    else:
        instances = ["aws_db_instance.main"]
        instances += [f"aws_db_instance.replica_{i}" for i in range(1, db.read_replicas + 1)]
        parts = [
            f'{{ targets = ["${{{name}.address}}:{db.port}"], labels = {{ role = '
            f'"{"primary" if index == 0 else "replica"}" }} }}'
            for index, name in enumerate(instances)
        ]
        kind = db.engine.value
    return [targets_output(kind, prefix, parts)]


def targets_output(kind: str, prefix: str, parts: list[str]) -> StackOutput:
    """The output the SRE's scrape job reads its target file from (one name per kind)."""
    return StackOutput(
        name=f"prometheus_{kind}_targets",
        value="jsonencode([" + ", ".join(parts) + "])",
        description=f"Prometheus file_sd targets: terraform output -raw "
        f"prometheus_{kind}_targets > monitoring/targets/{prefix}-{kind}.json",
    )


def existing_database_targets(db: DatabasePlan | None, prefix: str) -> list[StackOutput]:
    """A change to an existing SQL database publishes it (read through its data source) as
    the scrape target its exporter job reads: the stack that built it may not exist."""
    if db is None or db.engine is Engine.REDIS:
        return []
    source = "data.aws_db_instance.existing"
    part = (
        f'{{ targets = ["${{{source}.address}}:${{{source}.port}}"], '
        'labels = { role = "primary" } }'
    )
    return [targets_output(db.engine.value, prefix, [part])]


def uses_app_port(groups: list[SecurityGroup], target: TargetGroupSpec | None = None) -> bool:
    """Whether the module writes the application's port as its variable anywhere."""
    rules = any(r.port_variable for g in groups for r in g.rules)
    return rules or (target is not None and target.port_variable is not None)
