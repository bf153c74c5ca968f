"""Words people use for the parts of a design, shared by intake and the architect.

One table, so a requested change ("add a Redis cache") and a new request ("with a Redis
cache") name the same design component.
"""

from __future__ import annotations

from opsteam.domain.decisions import DesignComponent

COMPONENT_WORDS: dict[DesignComponent, tuple[str, ...]] = {
    "database": (
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "rds",
        "aurora",
        "new database",
        "schema",
    ),
    "cache": ("redis", "memcached", "elasticache"),
    "object-storage": ("s3", "bucket", "object storage", "blob storage"),
    "web": (
        "web service",
        "web app",
        "website",
        "api service",
        "http service",
        "microservice",
        "web application",
    ),
    "kubernetes": ("kubernetes", "k8s", "pods", "helm", "eks", "gke", "aks"),
    "server": ("server", "servers", "vm", "vms", "virtual machine", "ec2", "hosts", "bastion"),
    "load-balancer": ("load balancer", "alb", "nlb", "elb", "load balancing"),
    "dns": ("dns", "domain", "cname", "dns record", "hostname"),
    "vpn": ("vpn", "site-to-site", "ipsec", "tunnel"),
    "firewall": ("firewall", "security group", "allowlist", "whitelist", "port", "ingress rule"),
    "monitoring": ("monitoring", "alerting", "dashboard", "prometheus", "grafana"),
}

# Plain nouns that name a component when someone adds or removes it ("add a cache").
GENERIC_WORDS: dict[DesignComponent, tuple[str, ...]] = {
    "database": ("database", "db"),
    "cache": ("cache", "valkey"),
    "object-storage": ("object store", "storage bucket"),
    "server": ("host", "instance"),
}
