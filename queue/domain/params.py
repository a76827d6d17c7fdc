"""Validation and defaults of what a request asks for: one place for every limit (AI Horde's, reference §1.1-1.2)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping
from typing import Any

from horde.queue import errors

KNOWN_SAMPLERS = frozenset(
    {
        "k_lms",
        "k_heun",
        "k_euler",
        "k_euler_a",
        "k_dpm_2",
        "k_dpm_2_a",
        "k_dpm_fast",
        "k_dpm_adaptive",
        "k_dpmpp_2s_a",
        "k_dpmpp_2m",
        "dpmsolver",
        "k_dpmpp_sde",
        "DDIM",
        "lcm",
    }
)
SECOND_ORDER_SAMPLERS = frozenset({"k_heun", "k_dpm_2", "k_dpm_2_a", "k_dpmpp_2s_a", "k_dpmpp_sde"})
UPSCALERS = frozenset(
    {"RealESRGAN_x4plus", "RealESRGAN_x2plus", "RealESRGAN_x4plus_anime_6B", "NMKD_Siax", "4x_AnimeSharp"}
)
FACE_FIXERS = frozenset({"GFPGAN", "CodeFormers"})
POST_PROCESSORS = UPSCALERS | FACE_FIXERS | {"strip_background"}
SOURCE_PROCESSING = frozenset({"img2img", "inpainting", "outpainting"})

MAX_PROMPT_WORDS = 7500
MAX_PROMPT_CHARS = 100_000
MAX_SIDE = 3072
MAX_STEPS = 500
MAX_N = 20
MAX_LORAS = 5
MAX_SEED_CHARS = 256  #: a seed is a number or text hashed to one; AI Horde's schema allows 256 characters


@dataclasses.dataclass(frozen=True)
class LoraSpec:
    name: str
    model: float = 1.0
    clip: float = 1.0


@dataclasses.dataclass(frozen=True)
class ImageParams:
    """The normalised parameters of an image request (defaults as AI Horde's parser applies them)."""

    width: int = 512
    height: int = 512
    steps: int = 30
    n: int = 1
    sampler_name: str = "k_euler_a"
    cfg_scale: float = 5.0
    seed: str | None = None
    seed_variation: int | None = None
    karras: bool = True
    clip_skip: int = 1
    tiling: bool = False
    hires_fix: bool = False
    denoising_strength: float = 0.75
    post_processing: tuple[str, ...] = ()
    facefixer_strength: float = 0.75  #: how much of a face fixer's output is blended over the image
    loras: tuple[LoraSpec, ...] = ()
    tis: int = 0
    control_type: str | None = None

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def accurate_steps(self) -> int:
        """Steps as they cost: second-order samplers run the model twice a step."""
        if self.sampler_name == "k_dpm_adaptive":
            return 40
        return self.steps * 2 if self.sampler_name in SECOND_ORDER_SAMPLERS else self.steps

    def to_payload(self) -> dict[str, Any]:
        """A JSON-ready dict (stored with the request, sent to workers)."""
        data = dataclasses.asdict(self)
        data["post_processing"] = list(self.post_processing)
        data["loras"] = [dataclasses.asdict(lora) for lora in self.loras]
        return data


@dataclasses.dataclass(frozen=True)
class TextParams:
    n: int = 1
    max_length: int = 80
    max_context_length: int = 2048
    temperature: float = 0.7
    top_p: float = 0.92
    top_k: int = 100
    rep_pen: float = 1.1
    seed: int | None = None
    stop_sequence: tuple[str, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["stop_sequence"] = list(self.stop_sequence)
        return data


def reject_nul_bytes(value: object, path: str = "payload") -> None:
    """Raise ``NulByteError`` if a NUL byte hides anywhere in a nested payload (naming where)."""
    if _has_nul(value):
        _raise_at(value, path)


def _has_nul(value: object) -> bool:
    pending = [value]  # a loop, not recursion: every pop and submit checks its payload
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, Mapping):
            pending += item.keys()
            pending += item.values()
        elif isinstance(item, list | tuple):
            pending += item
    return False


def _raise_at(value: object, path: str) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise errors.NulByteError(f"{path} contains a NUL byte.", {path: "contains a NUL byte"})
    if isinstance(value, Mapping):
        for key, item in value.items():
            _raise_at(key, path)
            _raise_at(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _raise_at(item, f"{path}[{index}]")


def check_prompt(prompt: str) -> str:
    reject_nul_bytes(prompt, "prompt")
    if not prompt or not prompt.strip():
        raise errors.MissingPromptError(field_errors={"prompt": "must not be empty"})
    if len(prompt) > MAX_PROMPT_CHARS or len(prompt.split()) > MAX_PROMPT_WORDS:
        raise errors.InvalidPromptSizeError(f"The prompt is longer than {MAX_PROMPT_WORDS} words.")
    return prompt


def _number(raw: Mapping[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = raw.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise errors.ValidationError(f"{name} must be a number.", {name: "must be a number"})
    if not low <= value <= high:
        raise errors.ValidationError(
            f"{name} must be between {low:g} and {high:g}.", {name: f"out of range {low:g}-{high:g}"}
        )
    return float(value)


def _integer(raw: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = _number(raw, name, default, low, high)
    if value != int(value):
        raise errors.ValidationError(f"{name} must be a whole number.", {name: "must be a whole number"})
    return int(value)


def _size(raw: Mapping[str, Any], name: str) -> int:
    value = raw.get(name, 512)
    if isinstance(value, bool) or not isinstance(value, int) or not 64 <= value <= MAX_SIDE or value % 64:
        raise errors.InvalidSizeError(
            f"{name} must be a multiple of 64 between 64 and {MAX_SIDE}.", {name: "must be a multiple of 64, 64-3072"}
        )
    return value


def _post_processing(raw: Mapping[str, Any]) -> tuple[str, ...]:
    names = list(dict.fromkeys(raw.get("post_processing") or []))
    unknown = [name for name in names if name not in POST_PROCESSORS]
    if unknown:
        raise errors.ValidationError(f"Unknown post-processor {unknown[0]!r}.", {"post_processing": "unknown name"})
    if sum(name in UPSCALERS for name in names) > 1:
        raise errors.TooManyUpscalersError
    return tuple(names)


def _loras(raw: Mapping[str, Any]) -> tuple[LoraSpec, ...]:
    items = raw.get("loras") or []
    if len(items) > MAX_LORAS:
        raise errors.ValidationError(f"At most {MAX_LORAS} LoRAs.", {"loras": f"at most {MAX_LORAS}"})
    loras = []
    for item in items:
        name = str(item.get("name", "")).strip()
        if not 1 <= len(name) <= 255:
            raise errors.ValidationError("Each LoRA needs a name.", {"loras": "name must be 1-255 characters"})
        loras.append(LoraSpec(name, _number(item, "model", 1.0, -5, 5), _number(item, "clip", 1.0, -5, 5)))
    return tuple(loras)


def parse_image_params(raw: Mapping[str, Any] | None) -> ImageParams:
    """Check ``params`` of an image request and fill in the defaults; raise a ``ValidationError`` subclass."""
    raw = raw or {}
    reject_nul_bytes(raw, "params")
    sampler = raw.get("sampler_name") or "k_euler_a"
    if sampler not in KNOWN_SAMPLERS:
        raise errors.UnsupportedSamplerError(f"Unknown sampler {sampler!r}.", {"sampler_name": "unknown sampler"})
    steps = raw.get("steps", 30)
    if isinstance(steps, int) and not isinstance(steps, bool) and steps > MAX_STEPS:
        raise errors.TooManyStepsError(f"At most {MAX_STEPS} steps.", {"steps": f"at most {MAX_STEPS}"})
    cfg = _number(raw, "cfg_scale", 5.0, 0, 100)
    if round(cfg, 2) != cfg:
        raise errors.ValidationError("cfg_scale has at most 2 decimals.", {"cfg_scale": "at most 2 decimals"})
    seed = raw.get("seed")
    if seed is not None and len(str(seed)) > MAX_SEED_CHARS:
        raise errors.ValidationError(
            f"seed has at most {MAX_SEED_CHARS} characters.", {"seed": f"at most {MAX_SEED_CHARS} characters"}
        )
    return ImageParams(
        width=_size(raw, "width"),
        height=_size(raw, "height"),
        steps=_integer(raw, "steps", 30, 1, MAX_STEPS),
        n=_integer(raw, "n", 1, 1, MAX_N),
        sampler_name=sampler,
        cfg_scale=cfg,
        seed=None if seed in (None, "") else str(seed),
        seed_variation=_integer(raw, "seed_variation", 0, 0, 1000) or None,
        karras=bool(raw.get("karras", True)),
        clip_skip=_integer(raw, "clip_skip", 1, 1, 12),
        tiling=bool(raw.get("tiling", False)),
        hires_fix=bool(raw.get("hires_fix", False)),
        denoising_strength=_number(raw, "denoising_strength", 0.75, 0.01, 1.0),
        post_processing=_post_processing(raw),
        facefixer_strength=_number(raw, "facefixer_strength", 0.75, 0, 1),
        loras=_loras(raw),
        tis=min(len(raw.get("tis") or []), 20),
        control_type=raw.get("control_type") or None,
    )


def parse_text_params(raw: Mapping[str, Any] | None) -> TextParams:
    """Check ``params`` of a text request and fill in the defaults."""
    raw = raw or {}
    reject_nul_bytes(raw, "params")
    context = _integer(raw, "max_context_length", 2048, 80, 1_048_576)
    length = _integer(raw, "max_length", 80, 16, 4096)
    if length > context:
        raise errors.TokenOverflowError(field_errors={"max_length": "must not exceed max_context_length"})
    stops = tuple(dict.fromkeys(str(s) for s in raw.get("stop_sequence") or []))
    if len(stops) > 128 or sum(map(len, stops)) > 2000:
        raise errors.ValidationError("Too many stop sequences.", {"stop_sequence": "at most 128, 2000 characters"})
    seed = raw.get("seed")
    return TextParams(
        n=_integer(raw, "n", 1, 1, MAX_N),
        max_length=length,
        max_context_length=context,
        temperature=_number(raw, "temperature", 0.7, 0, 5),
        top_p=_number(raw, "top_p", 0.92, 0.001, 1),
        top_k=_integer(raw, "top_k", 100, 0, 200),
        rep_pen=_number(raw, "rep_pen", 1.1, 1, 3),
        seed=None if seed is None else _integer(raw, "seed", 0, 0, 2**32 - 1),
        stop_sequence=stops,
    )


def seed_for_job(params: ImageParams, index: int, random_seed: int) -> int:
    """The seed of the ``index``-th image: random when none was given, else fixed, else varied per image."""
    if params.seed is None:
        return random_seed
    seed = params.seed
    base = (
        int(seed) if seed.isascii() and seed.isdigit() else int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4])
    )
    base %= 2**32
    if params.seed_variation:
        return (base + params.seed_variation * index) % 2**32
    return base
