"""Prometheus metrics of the server (its own registry, so several apps never share one)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http = Counter(
            "opsteam_http_requests",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "opsteam_http_request_duration_seconds",
            "Time to the response's first byte, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.runs = Counter(
            "opsteam_runs",
            "Request runs (submit or decide) by kind and final status.",
            ["kind", "status"],
            registry=self.registry,
        )
        self.running = Gauge(
            "opsteam_runs_in_progress", "Runs executing now.", registry=self.registry
        )

    def finished(self, kind: str, status: str) -> None:
        self.runs.labels(kind, status).inc()

    def count_running(self, count: Callable[[], int]) -> None:
        self.running.set_function(lambda: float(count()))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_of(scope: Scope) -> str:
    """The matched route's template (bounded label values), or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class Measured:
    """ASGI middleware: counts every response and times it to its first byte."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                method, route = scope["method"], route_of(scope)
                self.metrics.http.labels(method, route, str(message["status"])).inc()
                self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, sending)
