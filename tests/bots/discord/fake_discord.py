"""A small Discord-compatible server on a loopback port, for driving the real discord.py client over the wire.

It does what discord.py depends on (``reference/recipes.md`` part D): responses with ``Content-Type:
application/json`` exactly; ``GET /gateway/bot``; a gateway WebSocket (HELLO, IDENTIFY → READY, heartbeat ACKs a
little late, ``INTERACTION_CREATE`` with ``attachment_size_limit``); interaction callbacks with ``?with_response=1``
answered with the interaction and its resource. And it enforces Discord's rules: a callback later than 3 s is
404 "Unknown interaction", a second one 400; tokens last 15 minutes; content ≤ 2,000 characters, embed title ≤ 256,
≤ 5 rows of ≤ 5 buttons, ``custom_id`` ≤ 100; no privileged intent. Everything the bot did is in ``messages`` and
``log`` for tests to assert on; tests call it from their own thread (the server runs on its own loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 4000
BOT_ID = 4001
ANSWER_WITHIN = 3.0
TOKEN_LIFETIME = 15 * 60.0
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SIZE_LIMIT = 10 * 1024 * 1024
BOT_USER = {
    "id": str(BOT_ID),
    "username": "horde",
    "discriminator": "0",
    "global_name": "Horde",
    "avatar": None,
    "bot": True,
}


def json_response(data: Any, status: int = 200) -> web.Response:
    """Exactly ``application/json``: with ``; charset=utf-8`` discord.py reads the body as text."""
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def discord_error(status: int, code: int, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status)


class InvalidFormError(Exception):
    pass


def check_message(payload: dict[str, Any]) -> None:
    """Discord's limits on a message body (400 Invalid Form Body beyond them)."""
    if len(payload.get("content") or "") > 2000:
        raise InvalidFormError("content: Must be 2000 or fewer in length.")
    for embed in payload.get("embeds") or []:
        if len(embed.get("title") or "") > 256:
            raise InvalidFormError("embeds.title: Must be 256 or fewer in length.")
        if len(embed.get("description") or "") > 4096:
            raise InvalidFormError("embeds.description: Must be 4096 or fewer in length.")
    rows = payload.get("components") or []
    if len(rows) > 5:
        raise InvalidFormError("components: Must be 5 or fewer in length.")
    for row in rows:
        children = row.get("components") or []
        if len(children) > 5:
            raise InvalidFormError("components.components: Must be 5 or fewer in length.")
        for child in children:
            if len(child.get("custom_id") or "") > 100:
                raise InvalidFormError("custom_id: Must be 100 or fewer in length.")
            if len(child.get("options") or []) > 25:
                raise InvalidFormError("options: Must be 25 or fewer in length.")


@dataclasses.dataclass
class User:
    id: int
    name: str
    permissions: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
        }


@dataclasses.dataclass
class Interaction:
    id: int
    token: str
    user: User
    channel_id: int
    created: float
    answered: bool = False
    ephemeral: bool = False
    response: dict[str, Any] | None = None  #: the callback body
    original_id: int | None = None  #: the message the interaction's response is
    pressed_id: int | None = None  #: the message whose component was used


class FakeDiscord:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ids = itertools.count(10_000)
        self.lock = threading.Condition()
        self.messages: dict[int, dict[str, Any]] = {}
        self.interactions: dict[str, Interaction] = {}  #: by token
        self.log: list[tuple[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.sockets: list[web.WebSocketResponse] = []
        self.identified = threading.Event()
        self.clock_offset = 0.0
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-discord", daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> FakeDiscord:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        async def close() -> None:
            for ws in self.sockets:
                await ws.close()
            if self._runner is not None:
                await self._runner.cleanup()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v10"

    def now(self) -> float:
        return time.monotonic() + self.clock_offset

    # --- what tests call ------------------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what or predicate}; log: {self.log[-12:]}")
                self.lock.wait(min(left, 0.2))

    def _record(self, kind: str, data: Any) -> None:
        with self.lock:
            self.log.append((kind, data))
            self.lock.notify_all()

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        async def send() -> None:
            for ws in self.sockets:
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self.ids), "d": data}))

        asyncio.run_coroutine_threadsafe(send(), self.loop).result(5)

    def interact(
        self,
        user: User,
        kind: int,
        data: dict[str, Any],
        *,
        guild_id: int = 1,
        channel_id: int = 11,
        nsfw: bool = False,
        message: dict[str, Any] | None = None,
    ) -> Interaction:
        """Send an INTERACTION_CREATE as Discord would; returns the interaction to wait on."""
        interaction = Interaction(
            id=next(self.ids), token=f"tok-{next(self.ids)}", user=user, channel_id=channel_id, created=self.now()
        )
        with self.lock:
            self.interactions[interaction.token] = interaction
        payload: dict[str, Any] = {
            "id": str(interaction.id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": interaction.token,
            "version": 1,
            "guild_id": str(guild_id),
            "channel_id": str(channel_id),
            "channel": {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": f"channel-{channel_id}",
                "position": 0,
                "nsfw": nsfw,
                "permission_overwrites": [],
                "parent_id": None,
            },
            "member": {
                "user": user.payload(),
                "roles": [],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(user.permissions),
            },
            "app_permissions": "0",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": SIZE_LIMIT,
            "data": data,
        }
        if message is not None:
            payload["message"] = {
                k: v for k, v in message.items() if k not in ("edits", "interaction_token", "history")
            }
            interaction.pressed_id = int(message["id"])
        self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def command(self, user: User, name: str, options: dict[str, Any] | None = None, **where: Any) -> Interaction:
        command = next(c for c in self.commands if c["name"] == name)
        kinds = {o["name"]: o["type"] for o in command.get("options", [])}
        opts = [{"name": k, "type": kinds[k], "value": v} for k, v in (options or {}).items()]
        return self.interact(user, 2, {"id": command["id"], "name": name, "type": 1, "options": opts}, **where)

    def press(self, user: User, message_id: int, custom_id: str, **where: Any) -> Interaction:
        message = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return self.interact(user, 3, data, message=message, channel_id=int(message["channel_id"]), **where)

    def submit_modal(self, user: User, custom_id: str, values: dict[str, str], **where: Any) -> Interaction:
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()]
        return self.interact(user, 5, {"custom_id": custom_id, "components": rows}, **where)

    def react(self, user: User, message_id: int, emoji: str, *, guild_id: int = 1) -> None:
        """A reaction added to a message, as MESSAGE_REACTION_ADD (needs only the non-privileged reactions intent)."""
        message = self.messages[message_id]
        data = {
            "user_id": str(user.id),
            "channel_id": message["channel_id"],
            "message_id": str(message_id),
            "guild_id": str(guild_id),
            "emoji": {"id": None, "name": emoji},
            "message_author_id": message["author"]["id"],
            "burst": False,
            "type": 0,
        }
        self.dispatch("MESSAGE_REACTION_ADD", data)

    def dms_to(self, user: User) -> list[str]:
        """What the bot sent ``user`` in direct messages."""
        channel = str(90_000 + user.id % 1000)
        with self.lock:
            return [m["content"] for m in self.messages.values() if m["channel_id"] == channel]

    def original(self, interaction: Interaction) -> dict[str, Any] | None:
        with self.lock:
            return None if interaction.original_id is None else self.messages.get(interaction.original_id)

    def age_tokens(self, seconds: float) -> None:
        self.clock_offset += seconds

    # --- the gateway ----------------------------------------------------------------------------------------

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                await asyncio.sleep(0.03)  # an instant ACK makes discord.py log "Can't keep up"
                await ws.send_str(json.dumps({"op": 11}))
            elif frame["op"] == 2:
                if frame["d"].get("intents", 0) & PRIVILEGED_INTENTS:
                    await ws.close(code=4014, message=b"Disallowed intent(s).")
                    break
                self.sockets.append(ws)
                ready = {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [],
                    "session_id": "session",
                    "resume_gateway_url": f"ws://{request.host}/gateway",
                    "application": {"id": str(APP_ID), "flags": 0},
                }
                await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": 1, "d": ready}))
                self.identified.set()
        return ws

    # --- REST -----------------------------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            files = [(f.filename, f.file.read()) for k, f in form.items() if k.startswith("files[")]  # type: ignore[union-attr]
            return json.loads(str(form["payload_json"])), files
        if request.can_read_body:
            return await request.json(), []
        return {}, []

    async def rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        parts = path.strip("/").split("/")
        try:
            body, files = await self._body(request)
            if isinstance(body, dict):
                check_message(body)
            return await self._route(request.method, parts, body, files, request)
        except InvalidFormError as exc:
            self._record("rejected", str(exc))
            return json_response({"code": 50035, "message": "Invalid Form Body", "errors": str(exc)}, 400)

    async def _route(
        self, method: str, parts: list[str], body: dict[str, Any], files: list[tuple[str, bytes]], request: web.Request
    ) -> web.Response:
        match method, parts:
            case "GET", ["users", "@me"]:
                return json_response(BOT_USER)
            case "GET", ["users", user_id]:
                return json_response(User(int(user_id), f"user{user_id}").payload())
            case "GET", ["oauth2", "applications", "@me"]:
                owner = User(1, "owner").payload()
                return json_response(
                    {"id": str(APP_ID), "name": "Horde", "icon": None, "description": "", "bot_public": True,
                     "bot_require_code_grant": False, "owner": owner, "verify_key": "0", "flags": 0, "team": None}
                )  # fmt: skip
            case "GET", ["gateway", "bot"]:
                limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
                return json_response({"url": f"ws://{request.host}/gateway", "shards": 1, "session_start_limit": limit})
            case "PUT", ["applications", _, "commands"]:
                return self._sync(body)
            case "POST", ["interactions", _, token, "callback"]:
                return self._callback(token, body, files, request)
            case _, ["webhooks", _, token, *rest]:
                return self._webhook(method, token, rest, body, files)
            case "POST", ["channels", channel_id, "messages"]:
                return json_response(self._new_message(int(channel_id), body, files, kind="channel"))
            case "GET", ["channels", channel_id, "messages", message_id]:
                return json_response(self.messages[int(message_id)])
            case "PATCH", ["channels", _, "messages", message_id]:
                return json_response(self._edit(int(message_id), body, files, "channel"))
            case "POST", ["users", "@me", "channels"]:
                recipient = User(int(body["recipient_id"]), "dm").payload()
                return json_response(
                    {"id": str(90_000 + int(body["recipient_id"]) % 1000), "type": 1, "recipients": [recipient]}
                )
        return discord_error(404, 0, f"404: Not Found {method} {'/'.join(parts)}")

    def _sync(self, body: Any) -> web.Response:
        self.commands = [{**c, "id": str(next(self.ids)), "application_id": str(APP_ID), "version": "1"} for c in body]
        self._record("synced", [c["name"] for c in self.commands])
        return json_response(self.commands)

    def _callback(
        self, token: str, body: dict[str, Any], files: list[tuple[str, bytes]], request: web.Request
    ) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or self.now() - interaction.created > ANSWER_WITHIN:
            self._record("late", token)
            return discord_error(404, 10062, "Unknown interaction")
        if interaction.answered:
            return discord_error(400, 40060, "Interaction has already been acknowledged.")
        if request.query.get("with_response") != "1":
            return discord_error(400, 50035, "with_response expected (discord.py 2.7 always asks)")
        interaction.answered = True
        interaction.response = body
        kind, data = body["type"], body.get("data") or {}
        flags = int(data.get("flags") or 0)
        interaction.ephemeral = bool(flags & EPHEMERAL)
        resource: dict[str, Any] = {"type": kind}
        message = None
        if kind in (4, 5):  # a message, or "thinking…" to be replaced by the first edit
            message = self._new_message(
                interaction.channel_id, data if kind == 4 else {"flags": flags | LOADING}, files, kind="response"
            )
            message["interaction_token"] = token
            interaction.original_id = int(message["id"])
            resource["message"] = message
        elif kind == 7:  # update the component's message
            pressed = interaction.pressed_id
            if pressed is not None:
                message = self._edit(pressed, data, files, "update")
                resource["message"] = message
        self._record("callback", (token, kind, data))
        answer = {
            "interaction": {
                "id": str(interaction.id),
                "type": 2,
                "activity_instance_id": None,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": interaction.ephemeral,
            },
            "resource": resource,
        }
        return json_response(answer)

    def _webhook(
        self, method: str, token: str, rest: list[str], body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or self.now() - interaction.created > TOKEN_LIFETIME:
            return discord_error(401, 50027, "Invalid Webhook Token")
        if not rest and method == "POST":  # a follow-up; the first after a defer replaces "thinking…"
            original = self.original(interaction)
            if original is not None and int(original["flags"]) & LOADING:
                return json_response(self._edit(int(original["id"]), body, files, "followup"))
            message = self._new_message(interaction.channel_id, body, files, kind="followup")
            return json_response(message)
        target = rest[1] if len(rest) == 2 else None
        if target == "@original":
            message_id = interaction.original_id or interaction.pressed_id
        else:
            message_id = int(target) if target else None
        if message_id is None or message_id not in self.messages:
            return discord_error(404, 10008, "Unknown Message")
        if method == "PATCH":
            return json_response(self._edit(message_id, body, files, "edit"))
        if method == "DELETE":
            with self.lock:
                self.messages[message_id]["deleted"] = True
            self._record("deleted", message_id)
            return web.Response(status=204)
        return json_response(self.messages[message_id])

    def _new_message(
        self, channel_id: int, body: dict[str, Any], files: list[tuple[str, bytes]], *, kind: str
    ) -> dict[str, Any]:
        message_id = next(self.ids)
        message = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": BOT_USER,
            "content": body.get("content") or "",
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(files),
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
            "edits": 0,
        }
        with self.lock:
            self.messages[message_id] = message
        self._record(kind, message_id)
        return message

    def _attachments(self, files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
        return [
            {"id": str(next(self.ids)), "filename": name, "size": len(data), "url": f"{self.url}/cdn/{name}",
             "proxy_url": f"{self.url}/cdn/{name}", "data": data.hex()[:64], "bytes": len(data)}
            for name, data in files
        ]  # fmt: skip

    def _edit(self, message_id: int, body: dict[str, Any], files: list[tuple[str, bytes]], kind: str) -> dict[str, Any]:
        with self.lock:
            message = self.messages[message_id]
            for key in ("content", "embeds", "components"):
                if key in body:
                    message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
            if "attachments" in body or files:
                message["attachments"] = self._attachments(files)
            message["flags"] = int(message["flags"]) & ~LOADING
            message["edits"] += 1
            message.setdefault("history", []).append([e.get("title") for e in message["embeds"]])
        self._record(kind, message_id)
        return message
