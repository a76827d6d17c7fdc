"""Async HTTP client for the AI Horde v2 worker endpoints: pop, upload, submit (image, text and alchemy).

It speaks only HTTP, so the worker runs against any AI-Horde-compatible server. The API key travels in the
``apikey`` header of API calls and never to presigned upload or source-image URLs, which may be on another host.
Network errors, 5xx and 429 are retried under a :class:`~horde.worker.backoff.BackoffPolicy`; any other 4xx is
raised at once as :class:`~horde.worker.errors.RequestRejectedError`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr

from horde.worker import api_models
from horde.worker.backoff import BackoffPolicy, Sleep, real_sleep
from horde.worker.errors import RequestRejectedError, ServerUnavailableError

logger = logging.getLogger(__name__)

VERSION = "0.1.0"
CLIENT_AGENT = f"horde-worker:{VERSION}:unknown"

ResponseModel = TypeVar("ResponseModel", bound=BaseModel)


def is_retryable_status(status: int) -> bool:
    """5xx and 429 are worth another try; every other status is final."""
    return status >= 500 or status == 429


class HordeClient:
    """One connection pool to a Horde server, with retries; use as an async context manager."""

    def __init__(
        self,
        api_url: str,
        api_key: SecretStr,
        *,
        client_agent: str = CLIENT_AGENT,
        policy: BackoffPolicy | None = None,
        sleep: Sleep = real_sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.client_agent = client_agent
        self._api_key = api_key
        self._policy = policy or BackoffPolicy()
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            transport=transport, timeout=timeout, headers={"Client-Agent": client_agent}, follow_redirects=True
        )

    async def __aenter__(self) -> HordeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def pop_image(self, body: api_models.ImagePopRequest) -> api_models.ImagePopResponse:
        """Ask for image work."""
        return await self._post("/generate/pop", body, api_models.ImagePopResponse)

    async def submit_image(self, body: api_models.ImageSubmitRequest) -> api_models.SubmitResponse:
        """Hand in one image (``generation`` "R2" after an upload, or base64 webp)."""
        return await self._post("/generate/submit", body, api_models.SubmitResponse)

    async def pop_text(self, body: api_models.TextPopRequest) -> api_models.TextPopResponse:
        """Ask for text work."""
        return await self._post("/generate/text/pop", body, api_models.TextPopResponse)

    async def submit_text(self, body: api_models.TextSubmitRequest) -> api_models.SubmitResponse:
        """Hand in one text."""
        return await self._post("/generate/text/submit", body, api_models.SubmitResponse)

    async def pop_alchemy(self, body: api_models.AlchemyPopRequest) -> api_models.AlchemyPopResponse:
        """Ask for alchemy (interrogation) forms."""
        return await self._post("/interrogate/pop", body, api_models.AlchemyPopResponse)

    async def submit_alchemy(self, body: api_models.AlchemySubmitRequest) -> api_models.SubmitResponse:
        """Hand in one form's result."""
        return await self._post("/interrogate/submit", body, api_models.SubmitResponse)

    async def upload(self, url: str, data: bytes) -> None:
        """PUT ``data`` to a presigned URL; anything but 200 is a failure (as AI Horde workers expect)."""
        response = await self._send("PUT", url, content=data)  # no Content-Type, like the reGen worker
        if response.status_code != 200:
            raise RequestRejectedError(response.status_code, message="upload not accepted", url=url)

    async def download(self, url: str) -> bytes:
        """GET a source image (or mask) given to a job as a URL."""
        response = await self._send("GET", url)
        return response.content

    async def _post(self, path: str, body: BaseModel, answer: type[ResponseModel]) -> ResponseModel:
        url = self.api_url + path
        payload = body.model_dump(mode="json", exclude_none=True)
        headers = {"apikey": self._api_key.get_secret_value()}
        response = await self._send("POST", url, json=payload, headers=headers)
        return answer.model_validate(response.json())

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if not is_retryable_status(response.status_code):
                    if response.status_code >= 400:
                        raise rejected(response, url)
                    return response
                last = f"HTTP {response.status_code}"
            if not self._policy.should_retry(attempt):
                raise ServerUnavailableError(url, attempt + 1, last)
            delay = self._policy.delay(attempt)
            logger.warning(
                "%s %s failed (%s); retrying in %.1f s",
                method,
                url,
                last,
                delay,
                extra={"action": "request_retried", "attempt": attempt + 1},
            )
            await self._sleep(delay)
            attempt += 1


def rejected(response: httpx.Response, url: str) -> RequestRejectedError:
    """Turn a 4xx answer into an error, keeping AI Horde's ``rc`` and ``message`` when the body has them."""
    rc, message = "", response.text[:500]
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        rc = str(body.get("rc", ""))
        message = str(body.get("message", message))
    return RequestRejectedError(response.status_code, rc, message, url)
