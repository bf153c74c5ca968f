"""How the parts of every example bundle connect, read back from the files themselves.

Each example runs through the service (validators faked: these facts do not depend on them;
every request of a file in one home, so a Modify sees the stack opsteam built before it), and
the tests read the written Terraform, manifests, Prometheus files and plan:

* the load balancer reaches the pods: listener -> target group (protocol, port, health check)
  -> nodes (registered) -> Service NodePort -> container port, and the pods admit it;
* every metric an alert or the dashboard reads has a scrape job that keeps it, every alert a
  promtool scenario that fires and one that stays silent;
* every priced line of the plan is a resource in the bundle, and every resource of a priced
  kind is priced; the diagram's boxes are the bundle's resources;
* every root module owns its state and lists its required inputs in terraform.tfvars.example.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

import hcl2
import pytest
import yaml
from hcl2.utils import SerializationOptions

from opsteam.application.service import Opsteam
from opsteam.graphs.state import RequestState
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    p.name for p in (ROOT / "examples").glob("*.yaml") if p.name != "ci-pipeline.yaml"
)
OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
Files = dict[str, str]
Bundle = tuple[RequestState, Files]
# Resource types that cost money: each one in a bundle must be priced, by some plan line.
PRICED = frozenset({
    "aws_instance", "aws_db_instance", "aws_elasticache_replication_group", "aws_s3_bucket",
    "aws_lb", "aws_nat_gateway", "aws_vpn_connection", "aws_eks_cluster", "aws_eks_node_group",
    "aws_kms_key", "aws_backup_vault", "aws_wafv2_web_acl",
    "aws_db_instance_automated_backups_replication",
})  # fmt: skip
# Resource types the architecture diagram draws (one box each, or a tier box for subnets).
DRAWN = frozenset({
    "aws_vpc", "aws_subnet", "aws_lb", "aws_nat_gateway", "aws_eks_cluster", "aws_instance",
    "aws_db_instance", "aws_elasticache_replication_group", "aws_vpn_connection",
    "aws_vpn_gateway",
})  # fmt: skip


def _run(home: Path, name: str) -> list[Bundle]:
    team = Opsteam(home=home, verifier=ParseOnlyVerifier())
    found = []
    for request in parse_requests((ROOT / "examples" / name).read_bytes()):
        [result] = team.submit([request])
        while result.pending:
            result = team.decide(result.thread_id, "approve", all_pending=True, by="ci")
        assert result.status == "completed", result.summary
        state = team.state(result.thread_id)
        found.append((state, {a.path: a.content for a in state.all_artifacts()}))
    return found


@pytest.fixture(scope="module", params=EXAMPLES)
def bundles(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return _run(tmp_path_factory.mktemp("wiring"), request.param)


def modules(files: Files) -> dict[str, dict[str, Any]]:
    """Each directory of .tf files as one module: its blocks merged across files."""
    found: dict[str, dict[str, Any]] = {}
    for path, text in files.items():
        if path.endswith(".tf"):
            module = found.setdefault(str(PurePosixPath(path).parent), {})
            for section, blocks in hcl2.loads(text, serialization_options=OPTIONS).items():
                module.setdefault(section, []).extend(blocks)
    return found


def resources(module: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``type.name`` -> body, for every resource of a module."""
    return {
        f"{kind}.{name}": body
        for block in module.get("resource", [])
        for kind, items in block.items()
        for name, body in items.items()
    }


def all_resources(files: Files) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for module in modules(files).values():
        found.update(resources(module))
    return found


# ------------------------------------------------------------------ load balancer <-> pods


def test_the_load_balancer_reaches_the_pods_on_their_port_and_protocol(
    bundles: list[Bundle],
) -> None:
    for state, files in bundles:
        net, auto = state.network, state.automation
        k8s = auto.kubernetes if auto else None
        if net is None or net.load_balancer is None or k8s is None:
            continue
        tf = resources(modules(files)["terraform"])
        group = tf["aws_lb_target_group.main"]
        service = yaml.safe_load(files["kubernetes/base/service.yaml"])
        [port] = service["spec"]["ports"]
        deployment = yaml.safe_load(files["kubernetes/base/deployment.yaml"])
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        [named] = [p for p in container["ports"] if p["name"] == port["targetPort"]]
        probe = container["readinessProbe"]["httpGet"]
        # TLS ends at the load balancer: the targets and the pods speak plain HTTP.
        [check] = group["health_check"]
        assert (group["protocol"], check["protocol"]) == ("HTTP", "HTTP")
        assert probe.get("scheme", "HTTP") == "HTTP"
        assert group["target_type"] == "instance" and service["spec"]["type"] == "NodePort"
        assert group["port"] == port["nodePort"] == net.load_balancer.target_port
        assert port["port"] == named["containerPort"] == k8s.port == net.load_balancer.app_port
        assert check["path"] == probe["path"] and check["port"] == "traffic-port"
        assert service["spec"]["externalTrafficPolicy"] == "Local"
        [listener] = [b for a, b in tf.items() if a == "aws_lb_listener.https"]
        assert (
            listener["default_action"][0]["target_group_arn"] == "${aws_lb_target_group.main.arn}"
        )
        attached = [b for a, b in tf.items() if a.startswith("aws_autoscaling_attachment.")]
        assert attached and all(
            b["lb_target_group_arn"] == "${aws_lb_target_group.main.arn}" for b in attached
        ), "nothing registers the nodes as targets"
        node_rules = [
            b for a, b in tf.items()
            if a.startswith("aws_security_group_rule.") and b["type"] == "ingress"
            and b["from_port"] == port["nodePort"]
        ]  # fmt: skip
        assert node_rules and all("source_security_group_id" in b for b in node_rules)
        _pods_admit_the_load_balancer(state, files, named["containerPort"])


def _pods_admit_the_load_balancer(state: RequestState, files: Files, port: int) -> None:
    net = state.network
    assert net is not None and net.load_balancer is not None
    env = state.current_request.environment.value
    edge = yaml.safe_load(files[f"kubernetes/overlays/{env}/networkpolicy-edge.yaml"])
    [rule] = edge["spec"]["ingress"]
    assert [p["port"] for p in rule["ports"]] == [port]
    admitted = [peer["ipBlock"]["cidr"] for peer in rule["from"]]
    tier = "public" if net.load_balancer.scheme == "internet-facing" else "private"
    lb_subnets = [s.cidr for s in net.subnets if s.tier == tier]
    if lb_subnets:  # the load balancer's own subnets only: never the data tier
        assert admitted == lb_subnets
        data = {s.cidr for s in net.subnets if s.tier == "data"}
        assert not data & set(admitted)
    kustomization = yaml.safe_load(files[f"kubernetes/overlays/{env}/kustomization.yaml"])
    assert "networkpolicy-edge.yaml" in kustomization["resources"]


def test_kubernetes_objects_need_nothing_that_is_not_in_the_bundle(bundles: list[Bundle]) -> None:
    for _state, files in bundles:
        if "kubernetes/base/kustomization.yaml" not in files:
            continue
        base = yaml.safe_load(files["kubernetes/base/kustomization.yaml"])
        assert "namespace.yaml" in base["resources"]
        namespace = yaml.safe_load(files["kubernetes/base/namespace.yaml"])
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        deployment = yaml.safe_load(files["kubernetes/base/deployment.yaml"])
        assert "replicas" not in deployment["spec"]  # the HorizontalPodAutoscaler owns it
        for path, text in files.items():
            if path.startswith("kubernetes/overlays/"):
                assert "/spec/replicas" not in text, path


# ------------------------------------------------------------------ metrics <-> scrape jobs

_METRIC = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}")


def _jobs(files: Files) -> dict[str, tuple[set[str], dict[str, str]]]:
    """Job name -> (families it keeps, labels it sets on every target)."""
    config = yaml.safe_load(files["monitoring/prometheus.yml"])
    jobs = {}
    for job in config["scrape_configs"]:
        keep = next(
            r["regex"] for r in job["metric_relabel_configs"]
            if r["source_labels"] == ["__name__"] and r["action"] == "keep"
        )  # fmt: skip
        labels = {
            r["target_label"]: r["replacement"]
            for r in job.get("relabel_configs") or []
            if "replacement" in r and not r["target_label"].startswith("__")
        }
        jobs[job["job_name"]] = (set(keep.split("|")), labels)
    return jobs


def _matchers(text: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', text))


def test_every_metric_an_alert_or_panel_reads_is_scraped(bundles: list[Bundle]) -> None:
    for _, files in bundles:
        jobs = _jobs(files)
        rules = yaml.safe_load(files["monitoring/alerts.rules.yml"])["groups"][0]["rules"]
        board = yaml.safe_load(files["monitoring/dashboard.json"])
        exprs = [r["expr"] for r in rules] + [p["targets"][0]["expr"] for p in board["panels"]]
        for expr in exprs:
            for metric, selector in _METRIC.findall(expr):
                if metric in ("by", "on", "without"):
                    continue
                wanted = _matchers(selector)
                if metric == "up":  # Prometheus writes it for every target of a job
                    owners = [
                        name for name, (_, labels) in jobs.items()
                        if wanted.get("job", name) == name
                        and all(labels.get(k, v) == v for k, v in wanted.items() if k != "job")
                    ]  # fmt: skip
                else:
                    owners = [n for n, (keep, _) in jobs.items() if metric in keep]
                assert owners, f"{metric} in {expr!r} has no scrape job"
                if "job" in wanted:
                    assert wanted["job"] in owners, (metric, wanted["job"])


def _exporter_addresses(files: Files) -> set[str]:
    """host:port of every exporter a scrape job sends its targets to (or scrapes directly)."""
    found = set()
    for job in yaml.safe_load(files["monitoring/prometheus.yml"])["scrape_configs"]:
        for rule in job.get("relabel_configs") or []:
            if rule.get("target_label") == "__address__":
                found.add(rule["replacement"])
        for static in job.get("static_configs") or []:
            found |= {t for t in static["targets"] if ".monitoring.svc" in t}
    return {a for a in found if ".monitoring.svc" in a}


def test_every_exporter_a_job_reads_is_deployed_with_its_settings(bundles: list[Bundle]) -> None:
    for _, files in bundles:
        addresses = _exporter_addresses(files)
        if not addresses:
            continue
        kustomization = yaml.safe_load(files["monitoring/kustomization.yaml"])
        served: dict[str, Any] = {}
        for resource in kustomization["resources"]:
            for doc in yaml.safe_load_all(files[f"monitoring/{resource}"]):
                served[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
        generated = {
            g["name"]: g["files"] for g in kustomization.get("configMapGenerator") or []
        }  # fmt: skip
        for address in addresses:
            name, port = address.split(".monitoring.svc.cluster.local:")
            service = served[f"Service/{name}"]
            assert [p["port"] for p in service["spec"]["ports"]] == [int(port)], address
            assert f"NetworkPolicy/{name}" in served, address
            pod = served[f"Deployment/{name}"]["spec"]["template"]["spec"]
            [settings] = [v for v in pod["volumes"] if v["name"] == "settings"]
            if "configMap" in settings:  # shipped: the file is in the bundle
                [file] = generated[settings["configMap"]["name"]]
                assert f"monitoring/{file}" in files, file
            else:  # a credential: a Secret the operator creates, never a file here
                assert settings["secret"]["secretName"].endswith("-credentials")


def test_every_alert_is_proven_to_fire_and_to_stay_silent(bundles: list[Bundle]) -> None:
    for _, files in bundles:
        rules = yaml.safe_load(files["monitoring/alerts.rules.yml"])["groups"][0]["rules"]
        tests = yaml.safe_load(files["monitoring/alerts.test.yml"])
        assert tests["rule_files"] == ["alerts.rules.yml"]
        cases = [c for t in tests["tests"] for c in t["alert_rule_test"]]
        for rule in rules:
            mine = [c for c in cases if c["alertname"] == rule["alert"]]
            assert any(c["exp_alerts"] for c in mine), f"{rule['alert']} never shown to fire"
            assert any(not c["exp_alerts"] for c in mine), f"{rule['alert']} never silent"
            assert rule["annotations"]["runbook_url"].startswith("https://")


# ------------------------------------------------------------------ plan <-> terraform


def test_every_priced_line_is_a_resource_and_every_priced_resource_a_line(
    bundles: list[Bundle],
) -> None:
    for state, files in bundles:
        plan = state.plan
        assert plan is not None
        built = Counter(address.split(".")[0] for address in all_resources(files))
        priced = {kind for item in plan.estimate.items for kind in item.resources}
        for item in plan.estimate.items:
            assert item.resources, f"{item.use} prices no resource"
            missing = [k for k in item.resources if not built[k]]
            assert not missing, f"{item.use} prices {missing}, not in the bundle"
        unpriced = sorted(k for k in built if k in PRICED and k not in priced)
        assert not unpriced, f"resources the plan does not price: {unpriced}"
        lines = {i.use: i for i in plan.estimate.items}
        for use, kind in (("Load balancer", "aws_lb"), ("NAT egress", "aws_nat_gateway"),
                          ("VPN", "aws_vpn_connection"),
                          ("Kubernetes control plane", "aws_eks_cluster")):  # fmt: skip
            assert (lines[use].quantity if use in lines else 0) == built[kind], use


def test_the_diagram_draws_the_resources_of_the_bundle(bundles: list[Bundle]) -> None:
    for state, files in bundles:
        plan = state.plan
        assert plan is not None
        drawn = plan.diagram.addresses()
        built = {a for a in all_resources(files) if a.split(".")[0] in DRAWN}
        assert drawn - set(all_resources(files)) == set(), "boxes with no resource behind them"
        assert built - drawn == set(), "resources the diagram leaves out"
        text = files["plan/infrastructure-plan.md"]
        assert "```mermaid\nflowchart TB\n" in text
        for node in plan.diagram.nodes:
            assert f'  {node.id}["' in text


# ------------------------------------------------------------------ state and inputs


def test_every_root_module_owns_its_state_and_lists_its_inputs(bundles: list[Bundle]) -> None:
    keys: list[str] = []
    for state, files in bundles:
        auto = state.automation
        assert auto is not None
        for directory, module in modules(files).items():
            backends = [b for t in module.get("terraform", []) for b in t.get("backend", [])]
            if directory.endswith("bootstrap") or auto.mode == "remove":
                assert not backends, f"{directory} must keep no remote state"
            else:
                [backend] = backends
                keys.append(backend["s3"]["key"])
                stack_key = "/stack/" in backend["s3"]["key"]
                assert stack_key == (auto.mode == "create"), backend
            required = {
                name for block in module.get("variable", [])
                for name, body in block.items() if "default" not in body
            }  # fmt: skip
            example = files.get(f"{directory}/terraform.tfvars.example", "")
            listed = set(re.findall(r"^#? ?(\w+) = ", example, flags=re.MULTILINE))
            assert required <= listed, f"{directory}: {sorted(required - listed)} not listed"
    assert len(keys) == len(set(keys)), "two bundles share a state key"


# ------------------------------------------------------------------ exporters <-> data stores


def test_an_encrypted_cache_is_scraped_over_tls(bundles: list[Bundle]) -> None:
    """A cache with transit encryption refuses plain text: a redis:// (or bare) target would
    leave redis_up at 0 and page for an outage that is not there."""
    for _, files in bundles:
        caches = {
            k: v
            for k, v in all_resources(files).items()
            if k.startswith("aws_elasticache_replication_group.")
        }
        if not caches:
            continue
        assert all(
            str(v.get("transit_encryption_enabled")).lower() == "true" for v in caches.values()
        )
        outputs = [t for p, t in files.items() if p.endswith("outputs.tf")]
        targets = re.findall(r'targets = \[\\?"([^"\\]+)', "\n".join(outputs))
        assert targets, "the cache's instances are published as scrape targets"
        assert all(t.startswith("rediss://") for t in targets), targets


def test_the_postgres_exporter_logs_in_with_a_login_the_data_plan_creates(
    bundles: list[Bundle],
) -> None:
    """Without a database name the exporter connects to a database named after its login
    (none exists); without the login itself it cannot connect at all: DatabaseDown pages."""
    for state, files in bundles:
        settings_file = files.get("monitoring/postgres-exporter.yml")
        if settings_file is None:
            continue
        [module] = yaml.safe_load(settings_file)["auth_modules"].values()
        assert module["options"]["dbname"] == "postgres"
        login = module["userpass"]["username"]
        assert state.data is not None and state.data.database is not None
        steps = " ".join(state.data.database.migration_plan)
        if state.request.type.value == "New":
            assert f"CREATE ROLE {login} LOGIN" in steps
            assert f"GRANT pg_monitor TO {login}" in steps


# -------------------------------------------------------- host firewall <-> security group


def test_the_host_firewall_opens_no_port_wider_than_its_security_group(
    bundles: list[Bundle],
) -> None:
    """Every port the hosts' nftables accept is accepted only from named ranges, each a
    source of the security group's rule for that port (or the VPC, for a peer group)."""
    for state, files in bundles:
        site = files.get("ansible/site.yml")
        if site is None:
            continue
        accepts = [line.strip() for line in site.splitlines() if "dport" in line]
        assert accepts and all(line.startswith("ip saddr ") for line in accepts), accepts
        assert state.automation is not None and state.automation.playbook is not None
        allowed = {o.port: set(o.sources) for o in state.automation.playbook.inbound}
        for line in accepts:
            port = int(line.split("dport ")[1].split()[0])
            sources = set(re.findall(r"\d+\.\d+\.\d+\.\d+/\d+", line.split("dport")[0]))
            assert port == 22 or sources <= allowed.get(port, set()), line


def test_every_datastore_target_file_a_job_reads_has_the_output_that_writes_it(
    bundles: list[Bundle],
) -> None:
    """A job reading targets/<x>-postgres.json with nothing producing it is a dangling
    scrape: absent() pages as soon as the rules load. New stacks and changes to an existing
    database both publish the instances as a Terraform output of that name."""
    for state, files in bundles:
        assert state.reliability is not None
        tf = "\n".join(text for path, text in files.items() if path.endswith(".tf"))
        for job in state.reliability.scrape_jobs:
            for target_file in job.files:
                kind = target_file.removesuffix(".json").rsplit("-", 1)[-1]
                if kind not in ("postgres", "mysql", "redis"):
                    continue  # the service's own target list, written by its operator
                assert f'output "prometheus_{kind}_targets"' in tf, (target_file, job.name)


# ------------------------------------------------------------------ DNS names <-> zones


def test_every_dns_name_lives_in_a_zone_that_can_hold_it(bundles: list[Bundle]) -> None:
    """Route 53 refuses a name outside its zone's domain: internal names go to the stack's
    private zone (attached to its VPC), public ones to the zone the operator names."""
    for _, files in bundles:
        res = all_resources(files)
        zones = {k: v for k, v in res.items() if k.startswith("aws_route53_zone.")}
        for address, body in res.items():
            if not address.startswith("aws_route53_record.") or "for_each" in body:
                continue
            name, zone_ref = str(body["name"]), str(body["zone_id"])
            if name.endswith(".internal"):
                [zone] = [z for k, z in zones.items() if zone_ref.startswith(f"${{{k}.")]
                assert name == zone["name"] or name.endswith("." + str(zone["name"])), address
                assert zone.get("vpc"), "a private zone is attached to the VPC"
            else:
                assert "aws_route53_zone." not in zone_ref, address


def test_a_created_cluster_lets_its_deployer_in(bundles: list[Bundle]) -> None:
    """API authentication: without an access entry nobody can apply the bundle's manifests
    (or its monitoring stack) to the cluster it creates."""
    for _, files in bundles:
        res = all_resources(files)
        if not any(k.startswith("aws_eks_cluster.") for k in res):
            continue
        entry = res["aws_eks_access_entry.deployer"]
        association = res["aws_eks_access_policy_association.deployer"]
        assert "var.deployer_role_arn" in str(entry["principal_arn"])
        assert "aws_eks_access_entry.deployer" in str(association["principal_arn"])
        declared = [
            name
            for module in modules(files).values()
            for block in module.get("variable", [])
            for name in block
        ]
        assert "deployer_role_arn" in declared
