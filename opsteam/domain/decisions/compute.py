"""What an EC2 instance type runs: its CPU architecture, decided with the type.

An AMI boots only on its own architecture (RunInstances refuses an arm64 image on an x86_64
type), so the host's architecture is decided once, together with its instance type, by the
systems administrator, and the automation engineer's AMI lookup reads it.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Architecture", "cpu_architecture"]

# The names EC2 gives them (``aws_ami.architecture``, ``supported_architectures``).
Architecture = Literal["x86_64", "arm64"]

# Graviton families: a generation digit followed by "g" (t4g, m7g, c7gn, r8gd, im4gn, x2gd,
# g5g, hpc7g), and the first-generation a1.
_GRAVITON = re.compile(r"^(?:a1|[a-z]+\d+g[a-z]*)$")


def cpu_architecture(instance_type: str) -> Architecture:
    """The architecture of an instance type such as ``m7g.large`` (arm64) or ``m6i.large``."""
    family = instance_type.strip().lower().split(".", 1)[0]
    return "arm64" if _GRAVITON.match(family) else "x86_64"
