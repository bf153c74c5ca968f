"""What a Modify takes over instead of creating beside: Terraform ``import`` blocks.

A load balancer that exists usually has its listeners already (the change moves them to a
new certificate and TLS policy). Declaring them as new resources would fail at apply
(a listener already holds the port) or, worse, be fixed by hand; an ``import`` block with
the listener's ARN makes ``terraform plan`` show "import, then update in place". The ARN is a
required input: set to null only when the load balancer has no listener on that port yet
(then the plan creates it), so nobody forgets to say which.

A stack opsteam built keeps its listeners in its own state: those are never imported into a
change's state (two states would manage one listener).
"""

from __future__ import annotations

from opsteam.domain.decisions import LoadBalancer
from opsteam.domain.decisions.wiring import TfImport, TfVariable, VariableCheck

_LISTENER_ARN = "^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/"
_EXAMPLE = '"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/0123/{}"'


def listener_port(listener: str, lb: LoadBalancer) -> int:
    return 80 if listener == "http_redirect" else lb.listener_port


def listeners(names: list[str], lb: LoadBalancer) -> list[TfImport]:
    """One import per listener the change declares, its ARN from an input."""
    found = []
    for name in names:
        port = listener_port(name, lb)
        found.append(
            TfImport(
                to=f"aws_lb_listener.{name}",
                variable=f"existing_{name}_listener_arn",
                what=f"the listener of {lb.name} on port {port}",
            )
        )
    return found


def variables(imports: list[TfImport]) -> list[TfVariable]:
    return [
        TfVariable(
            name=i.variable,
            description=f"ARN of {i.what}, imported into {i.to} and updated in place "
            "(aws elbv2 describe-listeners); null only if it has no listener on that port "
            "yet, then the change creates it.",
            example=_EXAMPLE.format(f"{n:04x}"),
            checks=[
                VariableCheck(
                    condition=f"var.{i.variable} == null || "
                    f'can(regex("{_LISTENER_ARN}", var.{i.variable}))',
                    message=f"{i.variable} must be a load balancer listener ARN, or null.",
                )
            ],
        )
        for n, i in enumerate(imports, start=1)
    ]
