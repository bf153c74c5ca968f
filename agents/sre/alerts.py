"""Alert rules for one service, each with the promtool scenarios that prove it.

Every expression selects labels the bundle guarantees: the scrape jobs set ``namespace`` and
``service`` on their targets (monitoring/prometheus.yml), kube-state-metrics exports the
Deployment's ``namespace``/``deployment`` and each pod's name. Conditions are evaluated per
instance where a sum would hide one (a down primary pages while its replica is up), and an
``absent()`` guard fires where no data would otherwise mean no page.
"""

from __future__ import annotations

from opsteam.agents.sre import datastores, infra
from opsteam.agents.sre.checks import (
    Check,
    Target,
    case,
    deployment_labels,
    matchers,
    series,
    service_labels,
    service_selector,
)
from opsteam.domain.decisions.monitoring import InputSeries
from opsteam.domain.models import ChangeRequest
from opsteam.domain.naming import namespace
from opsteam.domain.severity import HandbookLevel as H

HIGH_ERROR_RATIO = 0.05  # > 5% of requests fail: P1
ELEVATED_ERROR_RATIO = 0.01  # > 1%: P2
LATENCY_SECONDS = 0.5
RESTARTS_PER_HOUR = 3


# Multi-window burn rates (Google SRE workbook): how many times faster than the SLO allows
# the error budget burns, over a long window and a short one (the short one stops the page
# soon after the burn stops). Fast: 2% of a 30-day budget in an hour; slow: 5% in 6 hours.
BURN_RATES = (
    ("ErrorBudgetBurnFast", 14.4, "1h", "5m", H.P1, "2m"),
    ("ErrorBudgetBurnSlow", 6.0, "6h", "30m", H.P2, "15m"),
)


def error_ratio(request: ChangeRequest, window: str = "5m") -> str:
    sel = service_selector(request)
    errors = service_selector(request, 'code=~"5.."')
    return (
        f"sum(rate(http_requests_total{errors}[{window}])) / "
        f"sum(rate(http_requests_total{sel}[{window}]))"
    )


def latency_quantile(request: ChangeRequest, quantile: float) -> str:
    sel = service_selector(request)
    return (
        f"histogram_quantile({quantile:g}, sum by (le) "
        f"(rate(http_request_duration_seconds_bucket{sel}[5m])))"
    )


def available_replicas(request: ChangeRequest) -> str:
    return f"sum(kube_deployment_status_replicas_available{matchers(deployment_labels(request))})"


def pod_pattern(request: ChangeRequest) -> str:
    """The Deployment's pods (``<name>-<replicaset hash>-<suffix>``), by name: no pod-label
    join that kube-state-metrics does not export by default."""
    return f"{request.service_name}-[a-z0-9]+-[a-z0-9]+"


def pod_restarts(request: ChangeRequest) -> str:
    pods = matchers({"namespace": namespace(request)})[:-1] + f',pod=~"{pod_pattern(request)}"}}'
    return f"sum by (pod) (increase(kube_pod_container_status_restarts_total{pods}[1h]))"


def _replica_checks(t: Target) -> list[Check]:
    r = t.request
    dep = deployment_labels(r)
    sel = matchers(dep)
    avail, spec = "kube_deployment_status_replicas_available", "kube_deployment_spec_replicas"
    pod = f"{r.service_name}-7d9f8b6c5-x2k4q"
    other = {"namespace": namespace(r), "pod": "other-5c6d7e8f9-a1b2c", "container": "app"}
    mine = {**other, "pod": pod}
    restarts = "kube_pod_container_status_restarts_total"
    return [
        Check(
            "ServiceDown",
            f"{available_replicas(r)} < 1 or absent({avail}{sel})",
            H.P0,
            f"{r.service_name} has no available replicas in {namespace(r)}",
            (
                case("no available replica", "40m", [series(avail, dep, "2 2 0x40")], [{}]),
                case("deployment missing", "40m", [], [dep]),
                case("healthy", "40m", [series(avail, dep, "2x40")]),
            ),
        ),
        Check(
            "ReplicasUnavailable",
            f"{avail}{sel} < {spec}{sel}",
            H.P2,
            f"{r.service_name} runs with fewer replicas than desired",
            (
                case(
                    "one replica short",
                    "20m",
                    [series(avail, dep, "1x20"), series(spec, dep, "2x20")],
                    [dep],
                ),
                case("healthy", "20m", [series(avail, dep, "2x20"), series(spec, dep, "2x20")]),
            ),
        ),
        Check(
            "PodRestarting",
            f"{pod_restarts(r)} > {RESTARTS_PER_HOUR}",
            H.P3,
            f"{r.service_name} pods restarted more than {RESTARTS_PER_HOUR} times in 1 hour",
            (
                case(
                    "crash loop",
                    "90m",
                    [series(restarts, mine, "0+1x100"), series(restarts, other, "0x100")],
                    [{"pod": pod}],
                ),
                case(
                    "another workload restarting",
                    "90m",
                    [series(restarts, mine, "2x100"), series(restarts, other, "0+1x100")],
                ),
            ),
        ),
    ]


def _requests(t: Target, errors: int, ok: int, minutes: int = 30) -> list[InputSeries]:
    labels = service_labels(t.request)
    return [
        series("http_requests_total", {**labels, "code": "500"}, f"0+{errors}x{minutes}"),
        series("http_requests_total", {**labels, "code": "200"}, f"0+{ok}x{minutes}"),
    ]


def _burn_checks(t: Target, availability_objective: float) -> list[Check]:
    """Pages while the error budget burns fast enough to matter, whatever the error rate's
    fixed thresholds say (a 2% error rate against a 99.9% objective empties the budget in
    under two days)."""
    r = t.request
    budget = (100 - availability_objective) / 100
    found: list[Check] = []
    for name, rate, long, short, level, hold in BURN_RATES:
        threshold = round(rate * budget, 6)
        if threshold >= 1:  # a budget this large cannot burn this fast
            continue
        failing = min(99, int(threshold * 100 * 1.5) + 1)  # clearly above the threshold
        hours = int(long.removesuffix("h")) * 60 + 60
        found.append(
            Check(
                name,
                f"({error_ratio(r, long)}) > {threshold:g} and "
                f"({error_ratio(r, short)}) > {threshold:g}",
                level,
                f"{r.service_name} burns its {availability_objective:g}% error budget "
                f"{rate:g}x too fast",
                (
                    case(
                        f"{failing}% of requests fail",
                        f"{hours}m",
                        _requests(t, failing, 100 - failing, hours + 10),
                        [{}],
                    ),
                    case("within budget", f"{hours}m", _requests(t, 0, 100, hours + 10)),
                ),
                for_=hold,
            )
        )
    return found


def _latency(t: Target, slow: int) -> list[InputSeries]:
    labels = service_labels(t.request)
    name = "http_request_duration_seconds_bucket"
    fast = 100 - slow
    return [
        series(name, {**labels, "le": f"{LATENCY_SECONDS:g}"}, f"0+{fast}x30"),
        series(name, {**labels, "le": "1"}, "0+100x30"),
        series(name, {**labels, "le": "+Inf"}, "0+100x30"),
    ]


def _web_checks(t: Target, latency_objective: float) -> list[Check]:
    r = t.request
    ratio, svc, quantile = error_ratio(r), r.service_name, latency_objective / 100
    return [
        Check(
            "HighErrorRate",
            f"({ratio}) > {HIGH_ERROR_RATIO:g}",
            H.P1,
            f"{svc} error rate above 5% (partial outage)",
            (
                case("10% of requests fail", "20m", _requests(t, 10, 90), [{}]),
                case("healthy", "20m", _requests(t, 1, 199)),
            ),
        ),
        Check(
            "ElevatedErrorRate",
            f"({ratio}) > {ELEVATED_ERROR_RATIO:g} and ({ratio}) <= {HIGH_ERROR_RATIO:g}",
            H.P2,
            f"{svc} error rate above 1% (degraded)",
            (
                case("3% of requests fail", "25m", _requests(t, 3, 97), [{}]),
                case("healthy", "25m", _requests(t, 1, 199)),
                case("outage pages HighErrorRate instead", "25m", _requests(t, 10, 90)),
            ),
        ),
        Check(
            "HighLatency",
            f"{latency_quantile(r, quantile)} > {LATENCY_SECONDS:g}",
            H.P2,
            f"{svc} p{latency_objective:g} latency above {LATENCY_SECONDS * 1000:g} ms",
            (
                case("half the requests slow", "25m", _latency(t, 50), [{}]),
                case("healthy", "25m", _latency(t, 0)),
            ),
        ),
        Check(
            "ServiceMetricsMissing",
            f"absent(http_requests_total{service_selector(r)})",
            H.P2,
            f"{svc} reports no request metrics: error-rate and latency alerts are blind",
            (
                case("no metrics", "15m", [], [service_labels(r)]),
                case("healthy", "15m", _requests(t, 0, 10)),
            ),
        ),
    ]


def _endpoint_checks(t: Target, primary: bool) -> list[Check]:
    r = t.request
    labels = service_labels(r, job=t.job("probe"))
    sel = matchers(labels)
    probe = {**labels, "instance": t.probe_url or "https://service.example.com/healthz"}
    found: list[Check] = []
    if primary:
        found.append(
            Check(
                "EndpointDown",
                f"probe_success{sel} == 0 or absent(probe_success{sel})",
                H.P0,
                f"{r.service_name} endpoint probe failing",
                (
                    case(
                        "probe fails", "40m", [series("probe_success", probe, "1 1 0x40")], [probe]
                    ),
                    case("not probed", "40m", [], [labels]),
                    case("healthy", "40m", [series("probe_success", probe, "1x40")]),
                ),
            )
        )
    else:
        # The app can be up while its public path is not (load balancer, DNS, a policy): the
        # error ratio then divides nothing by nothing and stays silent, so the probe pages.
        found.append(
            Check(
                "EndpointUnreachable",
                f"probe_success{sel} == 0",
                H.P1,
                f"{r.service_name} is unreachable from outside: its probe fails",
                (
                    case(
                        "probe fails", "40m", [series("probe_success", probe, "1 1 0x40")], [probe]
                    ),
                    case("healthy", "40m", [series("probe_success", probe, "1x40")]),
                ),
            )
        )
        found.append(
            Check(
                "EndpointProbeMissing",
                f"absent(probe_success{sel})",
                H.P3,
                f"{r.service_name} endpoint is not probed: certificate expiry is not watched",
                (
                    case("not probed", "45m", [], [labels]),
                    case("probed", "45m", [series("probe_success", probe, "1x45")]),
                ),
            )
        )
    expiry = "probe_ssl_earliest_cert_expiry"
    found.append(
        Check(
            "CertificateExpiringSoon",
            f"{expiry}{sel} - time() < 14 * 86400",
            H.P3,
            "TLS certificate expires within 14 days",
            (
                case("expires in 7 days", "45m", [series(expiry, probe, "604800x45")], [probe]),
                case("valid for 90 days", "45m", [series(expiry, probe, "7776000x45")]),
            ),
        )
    )
    return found


def checks(t: Target, latency_objective: float, availability_objective: float) -> list[Check]:
    """Every check for the target, most severe first within each component."""
    app_tier = t.kubernetes or t.hosts
    found: list[Check] = []
    if t.kubernetes:
        found += _replica_checks(t)[:1]
        if t.web:
            found += _web_checks(t, latency_objective)
            found += _burn_checks(t, availability_objective)
        found += _replica_checks(t)[1:]
    if t.sql_engine is not None:
        found += datastores.sql_checks(t, primary=not app_tier)
        if t.storage_gb:
            found += datastores.storage_checks(t)
        if t.backup_vault:
            found += datastores.backup_checks(t)
    if t.cache:
        found += datastores.cache_checks(t, primary=not app_tier and t.sql_engine is None)
    if t.buckets:
        found += datastores.bucket_checks(t)
    if t.hosts:
        found += infra.host_checks(t)
    if t.vpn:
        found += infra.vpn_checks(t)
    if t.endpoint:
        found += _endpoint_checks(t, primary=not found)
    return found or infra.fallback_checks(t)
