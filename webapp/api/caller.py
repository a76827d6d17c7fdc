"""Who is calling the API: the ``apikey`` header (a user key, a shared key, or none) and the client agent, resolved
to the service's ``Actor``."""

from __future__ import annotations

import uuid

from starlette.requests import Request

from horde.queue.dto import Actor
from horde.webapp import appstate
from horde.webapp.api import parsing


def client_agent(request: Request) -> str | None:
    """``Client-Agent``, or horde-sdk's ``client_agent`` spelling; neither is required."""
    value = request.headers.get("client-agent") or request.headers.get("client_agent")
    return value[:200] if value else None


def api_key(request: Request) -> str | None:
    return request.headers.get("apikey") or None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def actor(request: Request) -> Actor:
    """The caller: a user key, a shared key (a UUID), or anonymous (no key, or ``0000000000``)."""
    key = api_key(request)
    svc = appstate.service(request)
    ip, agent = appstate.client_ip(request), client_agent(request)
    if key and len(key) == 36 and _is_uuid(key):
        return await svc.sharedkeys.authenticate(key, ip=ip, client_agent=agent)
    if key is not None:
        parsing.check_strings(key, "apikey")
    return await svc.users.authenticate(key, ip=ip, client_agent=agent)
