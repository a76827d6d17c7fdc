"""Browser security: the signed session cookie, CSRF tokens on unsafe requests, and the security headers.

- The session cookie holds only the user id, signed by the service's ``Signer``, HttpOnly, SameSite=Lax.
- CSRF: a random token lives in its own signed HttpOnly cookie; every unsafe request outside ``/api/`` must echo it
  in the ``X-CSRF-Token`` header (htmx sends it from ``<body hx-headers>``) or a ``csrf_token`` form field.
- Every response gets a CSP without inline script, ``nosniff``, a strict referrer policy and no framing.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from horde.queue import dto, errors
from horde.queue.service import Signer
from horde.webapp import appstate

logger = logging.getLogger(__name__)

SESSION_COOKIE = "horde_session"
CSRF_COOKIE = "horde_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SESSION_MAX_AGE = 30 * 24 * 3600
SESSION_SALT = "horde-session"
CSRF_SALT = "horde-csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FORM_BYTES = 24 * 1024 * 1024  #: an upload form (image and mask, 10 MB each) and its fields

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
NOSNIFF = (b"x-content-type-options", b"nosniff")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def _cookie_header(name: str, value: str, *, max_age: int, secure: bool) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    morsel["max-age"] = max_age
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()


def _is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


# --- session ---------------------------------------------------------------------------------------------------


def session(request: Request) -> tuple[int, int] | None:
    """The user id and session generation in the signed session cookie, or None (absent, tampered or expired).
    Whether the generation is still the user's is the service's to say (``sessions.actor``)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    data = appstate.service(request).signer.loads(raw, salt=SESSION_SALT, max_age=SESSION_MAX_AGE)
    if not isinstance(data, dict):
        return None
    uid, generation = data.get("uid"), data.get("gen", 0)
    if not isinstance(uid, int) or not isinstance(generation, int):
        return None
    return uid, generation


async def log_in(request: Request, response: Response, user_id: int, generation: int | None = None) -> None:
    """Set the session cookie for ``user_id``, in the user's current session generation unless one is given."""
    if generation is None:
        generation = await appstate.service(request).sessions.generation(user_id)
    token = appstate.service(request).signer.dumps({"uid": user_id, "gen": generation}, salt=SESSION_SALT)
    response.headers.append(
        "set-cookie", _cookie_header(SESSION_COOKIE, token, max_age=SESSION_MAX_AGE, secure=_is_secure(request))
    )


async def log_out(request: Request, response: Response) -> None:
    """End every session of the viewer (this cookie and any copy of it, in any browser), and drop the cookie."""
    await appstate.service(request).sessions.end_all(await viewer(request))
    response.headers.append("set-cookie", _cookie_header(SESSION_COOKIE, "", max_age=0, secure=_is_secure(request)))


async def viewer(request: Request) -> dto.Actor:
    """Who is looking: the logged-in user, or the anonymous user at this IP. Cached on ``request.state``."""
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, dto.Actor):
        return cached
    service = appstate.service(request)
    ip = appstate.client_ip(request)
    actor: dto.Actor | None = None
    signed = session(request)
    if signed is not None:
        try:
            actor = await service.sessions.actor(*signed, ip=ip)
        except (errors.NotFoundError, errors.ForbiddenError, errors.AuthError):
            actor = None  # ended (logout, new key), deleted or suspended since it was signed: logged out
    if actor is None:
        actor = service.users.anonymous(ip=ip, client_agent="horde-web")
    request.state.viewer = actor
    return actor


# --- CSRF ------------------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token this browser must echo (set by ``SecurityMiddleware``)."""
    token: str = request.scope.get("state", {}).get("csrf_token", "")
    return token


def _read_csrf_cookie(signer: Signer, raw: str | None) -> str | None:
    if not raw:
        return None
    value = signer.loads(raw, salt=CSRF_SALT)
    return value if isinstance(value, str) else None


class SecurityMiddleware:
    """Adds the security headers, issues the CSRF cookie, and rejects unsafe requests without a matching token."""

    def __init__(self, app: ASGIApp, *, exempt_prefixes: Iterable[str] = ("/api/",)) -> None:
        self.app = app
        self.exempt_prefixes = tuple(exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(self.exempt_prefixes):  # the API: no cookie, no CSRF, only ``nosniff``
            await self.app(scope, receive, _with_nosniff(send))
            return
        request = Request(scope)
        signer = appstate.service(request).signer
        token = _read_csrf_cookie(signer, request.cookies.get(CSRF_COOKIE))
        new_cookie = None
        if token is None:
            token = secrets.token_urlsafe(24)
            new_cookie = _cookie_header(
                CSRF_COOKIE,
                signer.dumps(token, salt=CSRF_SALT),
                max_age=SESSION_MAX_AGE,
                secure=_is_secure(request),
            )
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if new_cookie is not None:
                    headers.append("set-cookie", new_cookie)
            await send(message)

        if request.method in SAFE_METHODS:
            await self.app(scope, receive, send_with_headers)
            return
        sent = request.headers.get(CSRF_HEADER)
        body: list[Message] = []
        if sent is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
            sent, body = await _token_from_form(scope, receive)
        if sent is None or new_cookie is not None or not hmac.compare_digest(sent, token):
            logger.info("csrf_rejected", extra={"action": "csrf_rejected", "path": scope["path"]})
            await _reject(scope, receive, send_with_headers)
            return
        await self.app(scope, _replay(body, receive) if body else receive, send_with_headers)


def _with_nosniff(send: Send) -> Send:
    """``send``, adding ``X-Content-Type-Options: nosniff`` to a response that lacks it."""

    async def send_nosniff(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            if all(name != NOSNIFF[0] for name, _ in headers):
                message["headers"] = [*headers, NOSNIFF]
        await send(message)

    return send_nosniff


async def _token_from_form(scope: Scope, receive: Receive) -> tuple[str | None, list[Message]]:
    """Read the whole body (kept for the handler), and find the ``csrf_token`` field in it."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if size > MAX_FORM_BYTES or message["type"] != "http.request" or not message.get("more_body", False):
            break
    if size > MAX_FORM_BYTES:
        return None, messages
    probe = Request(scope, _replay(messages, receive))
    form = await probe.form(max_files=4, max_fields=200)
    value = form.get(CSRF_FIELD)
    await form.close()
    return (value if isinstance(value, str) else None), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    queue = list(messages)

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay


async def _reject(scope: Scope, receive: Receive, send: Send) -> None:
    from horde.webapp.pages import errors as error_pages

    request = Request(scope, receive)
    response = await error_pages.render_error(
        request,
        errors.ForbiddenError("Your form expired or came from another site. Reload the page and try again."),
        status_code=403,
    )
    await response(scope, receive, send)


def vary(response: Response, header: str) -> None:
    """Add ``header`` to ``Vary`` without dropping what is there."""
    current = [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]
    if header.lower() not in (v.lower() for v in current):
        current.append(header)
    response.headers["vary"] = ", ".join(current)


def safe_next(target: object, default: str = "/") -> str:
    """A local path to go back to after logging in (never another site)."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default
