"""Prometheus metrics at ``GET /metrics``: what each process counts, and what the database says at scrape time.

Counted by every process (``horde serve --workers N`` adds them up through ``PROMETHEUS_MULTIPROC_DIR``):

- ``horde_http_requests_total{method,route,status}`` and ``horde_http_request_duration_seconds{method,route}``,
  labelled by the route's template (``/api/v2/generate/check/{id}``), never by the raw path;
- ``horde_jobs_handed_out_total{kind}``: jobs given to workers by pops;
- ``horde_jobs_timed_out_total{outcome}``: jobs a worker kept past their time, re-queued or (out of attempts)
  faulted by the sweeps;
- ``horde_sweep_runs_total``: sweep rounds this process ran as the leader.

Read from the database on each scrape (the same on every node): ``horde_queued_jobs{kind,model}`` and
``horde_workers_online{kind}``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from horde.queue import dto
from horde.webapp import appstate

REQUESTS = Counter("horde_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "horde_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
JOBS_HANDED_OUT = Counter("horde_jobs_handed_out", "Jobs given to workers", ["kind"])
JOBS_TIMED_OUT = Counter("horde_jobs_timed_out", "Jobs kept past their time by a worker", ["outcome"])
SWEEP_RUNS = Counter("horde_sweep_runs", "Sweep rounds run by this process as the leader")
UNMATCHED = "unmatched"  #: the route label of a request no route matched (404s), so junk paths add no series


def handed_out(kind: str, jobs: int) -> None:
    """A pop gave ``jobs`` jobs of ``kind`` (image or text) to a worker."""
    if jobs:
        JOBS_HANDED_OUT.labels(kind).inc(jobs)


def swept(report: dto.SweepReport) -> None:
    """Count one sweep round (``horde.queue.service.running_sweeps`` calls this after each)."""
    if not report.led:
        return
    SWEEP_RUNS.inc()
    if report.requeued:
        JOBS_TIMED_OUT.labels("requeued").inc(report.requeued)
    if report.faulted:
        JOBS_TIMED_OUT.labels("faulted").inc(report.faulted)


def _route_label(scope: Scope) -> str:
    route: BaseRoute | None = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return UNMATCHED
    return str(scope.get("root_path", "")) + str(path)


class MetricsMiddleware:
    """Counts and times every HTTP request; labels come from the route that answered it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route = _route_label(scope)
            method = str(scope["method"])
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


class _Snapshot(Collector):
    """The database's numbers, read before the scrape is rendered (a collector's ``collect`` cannot await)."""

    def __init__(self, queued: Iterable[dto.ModelStatus], workers: dict[str, int]) -> None:
        self.queued = list(queued)
        self.workers = workers

    def collect(self) -> Iterator[Metric]:
        queued = GaugeMetricFamily(
            "horde_queued_jobs", "Jobs waiting for a worker, per model", labels=["kind", "model"]
        )
        for model in self.queued:
            queued.add_metric([model.kind, model.name], model.queued)
        yield queued
        online = GaugeMetricFamily("horde_workers_online", "Workers that polled recently", labels=["kind"])
        for kind, count in sorted(self.workers.items()):
            online.add_metric([kind], count)
        yield online


def _process_registry() -> CollectorRegistry:
    """This process's counters, or every process's when uvicorn runs several (``horde serve --workers N``)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


async def endpoint(request: Request) -> Response:
    """``GET /metrics``: Prometheus's text format."""
    stats = appstate.service(request).stats
    models = [*await stats.models("image"), *await stats.models("text")]
    performance = await stats.performance()
    snapshot = CollectorRegistry()
    snapshot.register(_Snapshot(models, {"image": performance.worker_count, "text": performance.text_worker_count}))
    body = generate_latest(_process_registry()) + generate_latest(snapshot)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
