"""What a request carries from the app and the connection: the ``HordeService`` and the client's address.

Pages, the API and the security middleware all reach the service through ``service(request)``, never through the
untyped ``request.app.state``.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from horde.queue.service import HordeService


def service(request: HTTPConnection) -> HordeService:
    """The service this app was built around (set in ``create_app``'s lifespan)."""
    svc: HordeService = request.app.state.service
    return svc


def client_ip(request: HTTPConnection) -> str | None:
    return request.client.host if request.client else None
