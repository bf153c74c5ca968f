"""What each Terraform root module stores, needs and exports: its state backend, its input
variables (rendered once in ``variables.tf`` and listed in ``terraform.tfvars.example``), the
outputs a New stack exports, and how a change refers to infrastructure that exists.

Every bundle owns its state. A New stack keeps ``<prefix>/stack``; each Modify gets its own
key under ``<prefix>/changes/<change>`` (never the stack's: a plan there would destroy what
the change does not declare) and reads the owning stack through ``terraform_remote_state``
when opsteam built it, through variables otherwise. A Remove is rendered into the owning
stack's module (``removed`` blocks only mean something in the state that manages them).
"""

from __future__ import annotations

from collections.abc import Iterable

from opsteam.domain import naming
from opsteam.domain.decisions import LoadBalancer
from opsteam.domain.decisions.wiring import StackOutput, StateBackend, TfVariable, VariableCheck
from opsteam.domain.inputs import BuiltStack
from opsteam.domain.models import Artifact, ChangeRequest, slugify
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

REMOTE = "data.terraform_remote_state.stack.outputs"
EXAMPLE_ID = {
    "vpc": '"vpc-0123456789abcdef0"',
    "subnets": '["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]',
    "sg": '"sg-0123456789abcdef0"',
    "tables": '["rtb-0123456789abcdef0"]',
}


def state_bucket(prefix: str) -> str:
    return f"{prefix}-tfstate"[:63]


def stack_backend(request: ChangeRequest, region: str) -> StateBackend:
    """A New stack's own state; the bundle bootstraps its bucket."""
    prefix = naming.resource_prefix(request)
    key = f"{prefix}/stack/terraform.tfstate"
    return StateBackend(bucket=state_bucket(prefix), key=key, region=region, bootstrap=True)


def change_slug(request: ChangeRequest) -> str:
    return slugify(request.request)[:48].strip("-")


def change_backend(request: ChangeRequest, region: str, owner: BuiltStack | None) -> StateBackend:
    """A Modify's own state key (per change), in the owning stack's bucket when opsteam built
    it; otherwise in a bucket this bundle bootstraps."""
    prefix = naming.resource_prefix(request)
    key = f"{prefix}/changes/{change_slug(request)}/terraform.tfstate"
    if owner is not None:
        return StateBackend(bucket=owner.state_bucket, key=key, region=owner.region)
    return StateBackend(bucket=state_bucket(prefix), key=key, region=region, bootstrap=True)


def owner_backend(owner: BuiltStack) -> StateBackend:
    return StateBackend(bucket=owner.state_bucket, key=owner.state_key, region=owner.region)


def variable(
    name: str, description: str, example: str, type_: str = "string", sensitive: bool = False
) -> TfVariable:
    return TfVariable(
        name=name, type=type_, description=description, example=example, sensitive=sensitive
    )


def existing_refs(
    wanted: Iterable[tuple[str, str, str, str]], owner_outputs: Iterable[str]
) -> tuple[dict[str, str], list[TfVariable]]:
    """(HCL expression per name, variables to declare) for existing infrastructure.

    ``wanted`` holds (name, type, description, example). A name the owning stack exports is
    read from its state; every other one becomes a required variable.
    """
    exported = set(owner_outputs)
    refs: dict[str, str] = {}
    variables: list[TfVariable] = []
    for name, type_, description, example in wanted:
        if name in exported:
            refs[name] = f"{REMOTE}.{name}"
            continue
        refs[name] = f"var.{name}"
        variables.append(variable(name, description, example, type_))
    return refs, variables


def stack_outputs(
    *,
    vpc: str | None,
    vpc_cidr: str | None,
    route_tables: list[str],
    groups: dict[str, str],
    kms_key: bool,
    load_balancer: bool,
    dns_zone: bool,
    database: str | None,
    private_zone: bool = False,
) -> list[StackOutput]:
    """What later changes need to reference this stack (IDs, never secrets)."""
    found: list[StackOutput] = []
    if vpc:
        found.append(StackOutput(name="vpc_id", value=vpc, description="ID of the stack's VPC"))
    if vpc_cidr:
        found.append(StackOutput(name="vpc_cidr", value=vpc_cidr, description="The VPC's range"))
    if route_tables:
        value = "[" + ", ".join(f"aws_route_table.{t}.id" for t in route_tables) + "]"
        found.append(
            StackOutput(
                name="private_route_table_ids",
                value=value,
                description="IDs of the private route tables (one per zone or shared)",
            )
        )
    if kms_key:
        found.append(
            StackOutput(
                name="kms_key_arn",
                value="aws_kms_key.main.arn",
                description="ARN of the stack's customer-managed KMS key",
            )
        )
    if load_balancer:
        found += [
            StackOutput(
                name="load_balancer_arn",
                value="aws_lb.main.arn",
                description="ARN of the load balancer",
            ),
            StackOutput(
                name="target_group_arn",
                value="aws_lb_target_group.main.arn",
                description="ARN of the load balancer's target group",
            ),
        ]
    if dns_zone:
        found.append(
            StackOutput(
                name="dns_zone_id",
                value="var.dns_zone_id",
                description="Route 53 zone holding the service's records",
            )
        )
    if private_zone:
        found.append(
            StackOutput(
                name="private_zone_id",
                value="aws_route53_zone.private.zone_id",
                description="Route 53 private zone (attached to the VPC) of the internal names",
            )
        )
    if database:
        found.append(
            StackOutput(
                name="db_instance_identifier",
                value=database,
                description="Identifier of the primary database (or cache group)",
            )
        )
    for ident, expr in sorted(groups.items()):
        found.append(
            StackOutput(
                name=f"{ident}_security_group_id",
                value=expr,
                description=f"ID of the security group {ident}",
            )
        )
    return found


def base_variables(region: str, env: str) -> list[TfVariable]:
    """Every root module's region and environment, defaulting to what the design chose."""
    return [
        TfVariable(
            name="region",
            description="AWS region chosen by the architect.",
            example=f'"{region}"',
            default=f'"{region}"',
        ),
        TfVariable(
            name="environment",
            description="Deployment environment.",
            example=f'"{env}"',
            default=f'"{env}"',
        ),
    ]


def network_inputs(existing: bool, tiers: Iterable[str], no_network: bool) -> list[TfVariable]:
    """The VPC and subnets a stack uses but does not create (a shared or unplanned network)."""
    if no_network:
        return [
            variable("vpc_id", "Existing VPC (no network plan was part of this request).",
                     EXAMPLE_ID["vpc"]),
            variable("subnet_ids", "Existing private subnets for the database and hosts.",
                     EXAMPLE_ID["subnets"], "list(string)"),
        ]  # fmt: skip
    if not existing:
        return []
    found = [
        variable("vpc_id", "ID of the existing shared VPC this stack uses.", EXAMPLE_ID["vpc"])
    ]
    for tier in tiers:
        found.append(
            variable(
                f"{tier}_subnet_ids",
                f"IDs of the shared VPC's {tier} subnets (one per zone) this stack uses.",
                EXAMPLE_ID["subnets"],
                "list(string)",
            )
        )
    return found


PRIVATE_CA_VARIABLE = "private_ca_arn"
PRIVATE_CA_EXAMPLE = (
    '"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/'
    '00000000-0000-0000-0000-000000000000"'
)


def private_ca_input(name: str) -> TfVariable:
    """The ACM Private CA that issues an internal load balancer's certificate."""
    return TfVariable(
        name=PRIVATE_CA_VARIABLE,
        description=f"ARN of the ACM Private CA that issues the certificate for {name} "
        "(a private name behind an internal load balancer: public ACM cannot issue for it). "
        "The CA must be ACTIVE and allow this account to request certificates.",
        example=PRIVATE_CA_EXAMPLE,
        checks=[
            VariableCheck(
                condition='can(regex("^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:[0-9]{12}:'
                'certificate-authority/[0-9a-f-]+$", var.private_ca_arn))',
                message="private_ca_arn must be an ACM Private CA ARN "
                "(arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>).",
            )
        ],
    )


def edge_inputs(lb: LoadBalancer | None, dns: bool) -> list[TfVariable]:
    """The listener's certificate (an existing public one, or the private CA that issues an
    internal one here) and the public zone the records go to."""
    found = []
    if lb is not None and lb.private_ca:
        found.append(private_ca_input(lb.certificate))
    elif lb is not None:
        found.append(
            variable(
                "certificate_arn",
                f"ACM certificate for the listener: {lb.certificate}",
                '"arn:aws:acm:us-east-1:123456789012:certificate/'
                '00000000-0000-0000-0000-000000000000"',
            )
        )
    if dns:
        found.append(
            variable(
                "dns_zone_id",
                "Route 53 hosted zone that holds the service records.",
                '"Z0123456789ABCDEFGHIJ"',
            )
        )
    return found


APP_PORT_VARIABLE = "app_port"


def app_port_inputs(port: int | None, used: bool) -> list[TfVariable]:
    """The application's port (the network plan's, named or assumed) as a module input, so
    it changes in one place: declared when a rule or the target group uses it."""
    if port is None or not used:
        return []
    return [
        TfVariable(
            name=APP_PORT_VARIABLE,
            type="number",
            description="Port the application listens on: the security group rules and the "
            "target group that reach it use this one value (the Kubernetes Service's port, "
            "if any, must match).",
            example=str(port),
            default=str(port),
            checks=[
                VariableCheck(
                    condition=f"var.{APP_PORT_VARIABLE} >= 1 && var.{APP_PORT_VARIABLE} <= 65535"
                    f" && floor(var.{APP_PORT_VARIABLE}) == var.{APP_PORT_VARIABLE}",
                    message="app_port must be a whole number from 1 to 65535.",
                )
            ],
        )
    ]


def unique(variables: Iterable[TfVariable]) -> list[TfVariable]:
    """Each variable once (first declaration wins), in order."""
    seen: dict[str, TfVariable] = {}
    for item in variables:
        seen.setdefault(item.name, item)
    return list(seen.values())


def module_files(
    role: RoleSlug,
    variables: list[TfVariable],
    backend: StateBackend | None,
    tags: dict[str, str],
    prefix: str,
    required_version: str,
) -> list[Artifact]:
    """What every root module carries besides its resources: ``variables.tf``, the example
    values of its required inputs and, when its state bucket may not exist, ``bootstrap/``."""
    files = [
        Artifact(
            path="terraform/variables.tf",
            role=role,
            kind="terraform",
            content=render_template("automation/terraform/variables.tf.j2", variables=variables),
        ),
        Artifact(
            path="terraform/terraform.tfvars.example",
            role=role,
            kind="tfvars",
            content=render_template("automation/terraform/tfvars.example.j2", variables=variables),
        ),
    ]
    if backend is not None and backend.bootstrap:
        content = render_template(
            "automation/terraform/bootstrap.tf.j2",
            backend=backend,
            tags=tags,
            prefix=prefix,
            required_version=required_version,
        )
        files.append(
            Artifact(
                path="terraform/bootstrap/main.tf", role=role, kind="terraform", content=content
            )
        )
    return files
