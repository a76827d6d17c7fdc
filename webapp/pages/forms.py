"""Reading HTML forms into what the service asks for: one place for field names, defaults and coercion.

Form values arrive as strings; a value that is not a number is passed on as-is so the engine's own validation
answers with its usual field error (one set of rules, not two).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData, UploadFile

from horde.queue import errors
from horde.queue.service import GenerationAsk

SIZE_PRESETS = (
    ("Square", 512, 512),
    ("Portrait 2:3", 512, 768),
    ("Landscape 3:2", 768, 512),
    ("Wide 16:9", 896, 512),
    ("Tiny 64", 64, 64),
)
IMAGE_DEFAULTS: dict[str, Any] = {
    "prompt": "",
    "negative_prompt": "",
    "model": "",
    "sampler_name": "k_euler_a",
    "steps": 30,
    "cfg_scale": 7.0,
    "width": 512,
    "height": 512,
    "seed": "",
    "n": 1,
    "karras": True,
    "clip_skip": 1,
    "tiling": False,
    "hires_fix": False,
    "denoising_strength": 0.75,
    "source_processing": "img2img",
    "shared": False,
    "style": "",
}
TEXT_DEFAULTS: dict[str, Any] = {
    "prompt": "",
    "model": "",
    "max_length": 80,
    "max_context_length": 1024,
    "temperature": 0.7,
    "top_p": 0.92,
    "top_k": 100,
    "rep_pen": 1.1,
    "n": 1,
}
NEGATIVE_SEPARATOR = "###"
MAX_UPLOAD = 10 * 1024 * 1024


def text(form: Mapping[str, Any], name: str, default: str = "") -> str:
    value = form.get(name)
    return value if isinstance(value, str) else default


def is_small_int(value: str) -> bool:
    """``value`` is a whole number of at most 9 ASCII digits (``int()`` refuses ``'²'``, which ``isdigit`` takes)."""
    return value.isascii() and value.isdigit() and len(value) <= 9


def checkbox(form: Mapping[str, Any], name: str) -> bool:
    return text(form, name) in ("on", "true", "1", "yes")


def number(form: Mapping[str, Any], name: str, default: float | int) -> Any:
    """An int or float if the field holds one, the default if empty, else the raw text (the engine rejects it)."""
    raw = text(form, name).strip()
    if not raw:
        return default
    try:
        return int(raw) if isinstance(default, int) and not isinstance(default, bool) else float(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            return raw


def whole_number(form: Mapping[str, Any], name: str, default: int, message: str) -> int:
    """A whole number (``-`` allowed, at most 12 digits) or the default when empty; else a ``ValidationError``."""
    raw = text(form, name).strip()
    if not raw:
        return default
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 12):
        raise errors.ValidationError(message, {name: "not a whole number"})
    return int(raw)


async def upload(form: FormData, name: str) -> bytes | None:
    value = form.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    data = await value.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise errors.ValidationError("The uploaded image is larger than 10 MB.", {name: "too large"})
    return data or None


def split_prompt(prompt: str) -> tuple[str, str]:
    """AI Horde keeps the negative prompt after ``###`` in the same string."""
    positive, _, negative = prompt.partition(NEGATIVE_SEPARATOR)
    return positive.strip(), negative.strip()


def join_prompt(positive: str, negative: str) -> str:
    return f"{positive.strip()} {NEGATIVE_SEPARATOR} {negative.strip()}" if negative.strip() else positive.strip()


def image_values(form: Mapping[str, Any]) -> dict[str, Any]:
    """The generate form's values (to show them again), with defaults for what is missing."""
    values = dict(IMAGE_DEFAULTS)
    for name, default in IMAGE_DEFAULTS.items():
        if isinstance(default, bool):
            values[name] = checkbox(form, name) if "_submitted" in form else default
        elif isinstance(default, int | float):
            values[name] = number(form, name, default)
        else:
            values[name] = text(form, name, default)
    return values


def image_params(values: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {
        key: values[key]
        for key in (
            "sampler_name",
            "steps",
            "cfg_scale",
            "width",
            "height",
            "n",
            "karras",
            "clip_skip",
            "tiling",
            "hires_fix",
            "denoising_strength",
        )
    }
    seed = str(values.get("seed") or "").strip()
    if seed:
        params["seed"] = seed
    return params


def image_ask(values: Mapping[str, Any], *, source: bytes | None = None, mask: bytes | None = None) -> GenerationAsk:
    model = str(values.get("model") or "").strip()
    return GenerationAsk(
        prompt=join_prompt(str(values["prompt"]), str(values["negative_prompt"])),
        params=image_params(values),
        models=(model,) if model else (),
        source_image=source,
        source_mask=mask if source is not None else None,
        source_processing=str(values.get("source_processing") or "img2img"),
        shared=bool(values.get("shared")),
        r2=True,
    )


def values_from_request(prompt: str, params: Mapping[str, Any], models: tuple[str, ...]) -> dict[str, Any]:
    """Form values that repeat an earlier request ("generate again with these settings")."""
    positive, negative = split_prompt(prompt)
    values = dict(IMAGE_DEFAULTS)
    values.update({k: v for k, v in params.items() if k in IMAGE_DEFAULTS})
    values.update(prompt=positive, negative_prompt=negative, model=models[0] if models else "")
    values["seed"] = str(params.get("seed") or "")
    return values


def text_values(form: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(TEXT_DEFAULTS)
    for name, default in TEXT_DEFAULTS.items():
        values[name] = number(form, name, default) if isinstance(default, int | float) else text(form, name, default)
    return values


def text_ask(values: Mapping[str, Any]) -> GenerationAsk:
    model = str(values.get("model") or "").strip()
    params = {k: values[k] for k in TEXT_DEFAULTS if k not in ("prompt", "model")}
    return GenerationAsk(prompt=str(values["prompt"]), params=params, models=(model,) if model else ())


def with_seed(values: Mapping[str, Any], seed: int) -> dict[str, Any]:
    return {**values, "seed": str(seed)}
