"""The fake Horde of the worker tests, with the alchemy endpoints and a store of source images."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

from tests.worker.fakes import FakeHorde


def png(width: int = 40, height: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((width, height), 60).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def alchemy_form(form_id: str, form: str, *, upload: bool = True) -> dict[str, Any]:
    """One popped form whose source image is ``https://storage.test/source/<id>``."""
    return {
        "id": form_id,
        "form": form,
        "payload": None,
        "source_image": f"https://storage.test/source/{form_id}",
        "r2_upload": f"https://storage.test/upload/{form_id}" if upload else None,
    }


@dataclass
class FakeAlchemyHorde(FakeHorde):
    """Hands out alchemy forms (one pop's worth per entry of ``pops``) and serves their source images."""

    pops: list[list[dict[str, Any]]] = field(default_factory=list)
    sources: dict[str, bytes] = field(default_factory=dict)
    alchemy_submits: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v2/interrogate/pop":
            self.requests.append(request)
            forms = self.pops.pop(0) if self.pops else []
            return httpx.Response(200, json={"forms": forms, "skipped": {}})
        if path == "/api/v2/interrogate/submit":
            self.requests.append(request)
            self.alchemy_submits.append(json.loads(request.content))
            return httpx.Response(200, json={"reward": self.reward})
        if request.method == "GET" and path.startswith("/source/"):
            self.requests.append(request)
            data = self.sources.get(path.removeprefix("/source/"))
            return httpx.Response(200, content=data) if data else httpx.Response(404)
        return super().handle(request)
