"""The portal's Prometheus metrics (served at /metrics by portal.health, recorded by the request log)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# Latency buckets for an API whose reads take milliseconds and whose updates wait for a workflow
# (the bench's answer p95 is about 0.1 s; the gateway gives up after 20 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)


class PortalMetrics:
    """The portal's own metrics, in a registry of each app's own (tests build many apps per process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "onething_portal_requests",
            "HTTP requests answered, by method, route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "onething_portal_request_duration_seconds",
            "time from the request's arrival to the end of its answer, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # The route template, never the path: case ids would make one series per case.
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
