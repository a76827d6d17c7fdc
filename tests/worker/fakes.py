"""A fake AI Horde server for worker tests, served through ``httpx.MockTransport``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

Handler = Callable[[httpx.Request], httpx.Response | None]


def image_job(job_id: str = "job-1", *, n: int = 1, **payload: Any) -> dict[str, Any]:
    """A pop response carrying one (or ``n``) 64x64 jobs on the tiny model."""
    ids = [job_id] if n == 1 else [f"{job_id}-{i}" for i in range(n)]
    body: dict[str, Any] = {
        "prompt": "a red cat ### blurry",
        "ddim_steps": 2,
        "seed": "42",
        "sampler_name": "k_euler",
        "cfg_scale": 5.0,
        "width": 64,
        "height": 64,
        "n_iter": n,
    }
    body.update(payload)
    return {
        "id": ids[0],
        "ids": ids,
        "model": "tiny",
        "payload": body,
        "ttl": 600,
        "r2_upload": f"https://storage.test/upload/{ids[0]}",
        "r2_uploads": [f"https://storage.test/upload/{i}" for i in ids],
        "skipped": {},
        "an_unknown_field": True,
    }


NO_JOB: dict[str, Any] = {"id": None, "ids": [], "payload": {}, "skipped": {"models": 1}}


@dataclass
class FakeHorde:
    """Hands out queued jobs, records uploads and submits, and can be told to fail."""

    jobs: list[dict[str, Any]] = field(default_factory=list)
    text_jobs: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    submits: list[dict[str, Any]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    failures: list[Handler] = field(default_factory=list)  #: tried first; None falls through
    reward: float = 10.0
    on_pop: Callable[[], None] | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for failure in list(self.failures):
            answer = failure(request)
            if answer is not None:
                return answer
        path = request.url.path
        if request.method == "PUT" and path.startswith("/upload/"):
            self.uploads[path.removeprefix("/upload/")] = request.content
            return httpx.Response(200)
        if path == "/api/v2/generate/pop":
            if self.on_pop is not None:
                self.on_pop()
            return httpx.Response(200, json=self.jobs.pop(0) if self.jobs else NO_JOB)
        if path == "/api/v2/generate/text/pop":
            return httpx.Response(200, json=self.text_jobs.pop(0) if self.text_jobs else NO_JOB)
        if path in ("/api/v2/generate/submit", "/api/v2/generate/text/submit"):
            self.submits.append(json.loads(request.content))
            return httpx.Response(200, json={"reward": self.reward})
        return httpx.Response(404, json={"message": "no such route", "rc": "NotFound"})

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.url.path == path and r.content]


def fail_times(count: int, status: int = 503, path: str = "", exc: Exception | None = None) -> Handler:
    """A failure that answers ``status`` (or raises ``exc``) to the first ``count`` matching requests."""
    left = [count]

    def failure(request: httpx.Request) -> httpx.Response | None:
        if left[0] <= 0 or path not in request.url.path:
            return None
        left[0] -= 1
        if exc is not None:
            raise exc
        return httpx.Response(status, json={"message": "failing on purpose", "rc": "TestFailure"})

    return failure


class FakeSleep:
    """Records the delays asked for instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


# diffusers 0.42 schedulers hand torch tensors to numpy 2 (np.array(..., copy=False), np.maximum), which warns.
# Third-party only; drop these when diffusers stops doing it.
DIFFUSERS_NUMPY2_WARNINGS = [
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context and return_scalar:DeprecationWarning"),
]
