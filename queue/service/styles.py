"""Styles (AI Horde's ``styles``): named prompt templates with fixed parameters and models that every frontend
can apply to a request. Trusted users create them; owners change them; owners and moderators delete them."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import params as params_mod
from horde.queue.domain.jobs import GenerationKind
from horde.queue.service.asks import GenerationAsk
from horde.queue.service.context import Context
from horde.queue.store import styles as style_store
from horde.queue.store.connection import Connection

MAX_MODELS = 5
PAGE_SIZE = 25
IMAGE_KEYS = frozenset(
    {
        "sampler_name",
        "cfg_scale",
        "denoising_strength",
        "height",
        "width",
        "post_processing",
        "karras",
        "tiling",
        "hires_fix",
        "clip_skip",
        "loras",
        "tis",
        "steps",
    }
)
TEXT_KEYS = frozenset({"max_context_length", "max_length", "rep_pen", "temperature", "top_k", "top_p", "stop_sequence"})
#: what a request keeps of its own params when a style is applied: always, and only where the style is silent
KEEP_ALWAYS = ("n", "seed")
KEEP_IF_UNSET = {"image": ("width", "height"), "text": ("max_length", "max_context_length")}


def _info(row: style_store.StyleRow) -> dto.StyleInfo:
    return dto.StyleInfo(
        id=row.id,
        owner_id=row.owner_id,
        kind=row.kind,
        name=row.name,
        info=row.info,
        prompt=row.prompt,
        params=dict(row.params),
        models=tuple(row.models),
        public=row.public,
        uses=row.uses,
        creator=f"{row.owner_name}#{row.owner_id}",
        created_at=row.created_at,
    )


def _check_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Only what a style may fix (never ``n`` or ``seed``), checked by the same rules as a request's."""
    allowed = IMAGE_KEYS if kind == GenerationKind.IMAGE.value else TEXT_KEYS
    kept = {k: v for k, v in params.items() if k in allowed and v is not None}
    if kind == GenerationKind.IMAGE.value:
        params_mod.parse_image_params(kept)
    else:
        params_mod.parse_text_params(kept)
    return kept


def _values(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Column values from the fields given (None: unchanged), each checked."""
    values: dict[str, Any] = {}
    params_mod.reject_nul_bytes({k: v for k, v in fields.items() if v is not None}, "style")
    if fields.get("name") is not None:
        name = " ".join(str(fields["name"]).split())
        if not 1 <= len(name) <= 100:
            raise errors.ValidationError("A style's name has 1 to 100 characters.", {"name": "1-100 characters"})
        values["name"] = name
    if fields.get("info") is not None:
        values["info"] = str(fields["info"])[:1000] or None
    if fields.get("prompt") is not None:
        prompt = str(fields["prompt"])
        needed = ("{p}", "{np}") if kind == GenerationKind.IMAGE.value else ("{p}",)
        if any(var not in prompt for var in needed) or len(prompt) > params_mod.MAX_PROMPT_CHARS:
            raise errors.StylePromptMissingVarsError(field_errors={"prompt": " and ".join(needed) + " required"})
        values["prompt"] = prompt
    if fields.get("params") is not None:
        values["params"] = _check_params(kind, fields["params"])
    if fields.get("models") is not None:
        models = list(dict.fromkeys(str(m).strip() for m in fields["models"] if str(m).strip()))
        if len(models) > MAX_MODELS or any(len(m) > 255 for m in models):
            raise errors.ValidationError(f"A style names at most {MAX_MODELS} models.", {"models": "too many"})
        values["models"] = models
    if fields.get("public") is not None:
        values["public"] = bool(fields["public"])
    return values


def fill_prompt(template: str, prompt: str) -> str:
    """Put the request's prompt into the style's: ``{p}`` the positive part, ``{np}`` the negative (after ###)."""
    positive, _, negative = prompt.partition("###")
    positive, negative = positive.strip(), negative.strip()
    if negative:
        negative = f", {negative}" if "###" in template else f" ### {negative}"
    return template.replace("{p}", positive).replace("{np}", negative).strip()


def styled_params(kind: str, style_params: Mapping[str, Any], asked: Mapping[str, Any]) -> dict[str, Any]:
    """The style's params win; the request keeps its ``n`` and ``seed``, and its size where the style has none."""
    params = {k: asked[k] for k in KEEP_ALWAYS if k in asked}
    params |= {k: asked[k] for k in KEEP_IF_UNSET.get(kind, ()) if k in asked and k not in style_params}
    return params | dict(style_params)


async def _found(conn: Connection, style_id: str) -> style_store.StyleRow:
    """A style just written in this transaction."""
    row = await style_store.by_id(conn, style_id)
    if row is None:  # pragma: no cover - written in this transaction
        raise errors.StyleNotFoundError
    return row


class StyleService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def create(self, actor: dto.Actor, kind: GenerationKind, **fields: Any) -> dto.StyleInfo:
        """A new style; ``name`` and ``prompt`` are required (the prompt defaults as AI Horde's do)."""
        if actor.is_anonymous or not actor.is_trusted:
            raise errors.StylesRequiresCustomizerError
        given = {k: v for k, v in fields.items() if v is not None}
        given.setdefault("prompt", "{p}{np}" if kind is GenerationKind.IMAGE else "{p}")
        if not given.get("name"):
            raise errors.ValidationError("A style needs a name.", {"name": "required"})
        values = _values(kind.value, {"params": {}, "models": [], "public": True} | given)
        style_id = str(uuid.uuid4())
        async with self.ctx.db.write() as conn:
            if await style_store.by_name(conn, values["name"]) is not None:
                raise errors.NameAlreadyExistsError(f"A style named {values['name']!r} exists.")
            row = {"id": style_id, "owner_id": actor.user_id, "kind": kind.value, "uses": 0}
            await style_store.insert(conn, row | values | {"created_at": self.ctx.clock()})
            return _info(await _found(conn, style_id))

    async def get(self, ref: str, kind: GenerationKind | None = None) -> dto.StyleInfo:
        """A style by id or by name (of ``kind``, when given)."""
        if "\x00" in ref:  # no name holds one (PostgreSQL refuses it in a query)
            raise errors.StyleNotFoundError
        async with self.ctx.db.read() as conn:
            row = await style_store.by_id(conn, ref) if _is_uuid(ref) else None
            row = row or await style_store.by_name(conn, ref)
        if row is None or (kind is not None and row.kind != kind.value):
            raise errors.StyleNotFoundError
        return _info(row)

    async def listing(
        self, kind: GenerationKind, *, viewer: dto.Actor | None = None, sort: str = "popular", page: int = 1
    ) -> list[dto.StyleInfo]:
        """Public styles (and the viewer's own), 25 a page, most used or newest first."""
        viewer_id = None if viewer is None or viewer.is_anonymous else viewer.user_id
        async with self.ctx.db.read() as conn:
            rows = await style_store.listing(
                conn,
                kind.value,
                viewer_id=viewer_id,
                popular=sort != "age",
                limit=PAGE_SIZE,
                offset=(max(1, page) - 1) * PAGE_SIZE,
            )
        return [_info(row) for row in rows]

    async def update(self, actor: dto.Actor, style_id: str, **fields: Any) -> dto.StyleInfo:
        """Change a style: its owner, or a moderator."""
        async with self.ctx.db.write() as conn:
            row = await self._owned(conn, actor, style_id)
            values = _values(row.kind, fields)
            if values.get("name", row.name) != row.name and await style_store.by_name(conn, values["name"]):
                raise errors.NameAlreadyExistsError(f"A style named {values['name']!r} exists.")
            if values:
                await style_store.update(conn, style_id, **values)
            return _info(await _found(conn, style_id))

    async def delete(self, actor: dto.Actor, style_id: str) -> None:
        async with self.ctx.db.write() as conn:
            await self._owned(conn, actor, style_id)
            await style_store.delete(conn, style_id)

    async def _owned(self, conn: Connection, actor: dto.Actor, style_id: str) -> style_store.StyleRow:
        row = await style_store.by_id(conn, style_id) if _is_uuid(style_id) else None
        if row is None:
            raise errors.StyleNotFoundError
        if row.owner_id != actor.user_id and not actor.is_moderator:
            raise errors.NotOwnerError
        return row

    async def apply(self, actor: dto.Actor, ref: str, ask: GenerationAsk, kind: GenerationKind) -> GenerationAsk:
        """The request as the style makes it: its prompt template, params and models. ``submit`` then counts the
        use and moves the style tax (the owner earns 2 kudos when someone else uses the style)."""
        style = await self.get(ref, kind)
        return dataclasses.replace(
            ask,
            prompt=fill_prompt(style.prompt, ask.prompt),
            params=styled_params(kind.value, style.params, ask.params),
            models=style.models or ask.models,
            style_id=style.id,
        )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
