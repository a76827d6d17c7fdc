"""The worker's settings: ``HORDE_WORKER_*`` environment variables, an optional TOML file, and the command line.

Precedence, highest first: values given in code (the command line passes them this way), environment variables,
the TOML file named by ``--config``, the defaults below. The TOML file holds the same names as the fields, at top
level or under a ``[worker]`` table; ``api_key`` may be left out of it and given by the environment instead.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from horde.worker.alchemy.forms import POST_PROCESSORS

ANONYMOUS_KEY = "0000000000"


class WorkerSettings(BaseSettings):
    """Everything one worker process needs to know; built once by the entry point and passed down."""

    model_config = SettingsConfigDict(env_prefix="HORDE_WORKER_", frozen=True, extra="ignore", protected_namespaces=())

    url: str = Field("http://127.0.0.1:7001", description="Base URL of the Horde server (the API is under /api/v2).")
    api_key: SecretStr = Field(
        SecretStr(ANONYMOUS_KEY),
        description="The worker owner's API key. Prefer this variable or `api_key_file` to `--api-key`: command "
        "lines are visible to every user in `ps`.",
    )
    api_key_file: Path | None = Field(
        None, description="A file holding the worker owner's API key (its first line); instead of `api_key`."
    )
    name: str = Field("horde-worker", description="Worker name; unique across the whole horde.")
    models: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["tiny"],
        description="Image models to serve; each `NAME` or `NAME=SOURCE` (a diffusers folder, a .safetensors "
        "file or a hub repo id). Comma-separated in the environment.",
    )
    text_models: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Text models to serve, `NAME` or `NAME=SOURCE`; none by default."
    )
    max_pixels: int = Field(262144, ge=4096, description="Largest width*height this worker accepts.")
    threads: int = Field(1, ge=1, le=50, description="Jobs handled at once (generation itself is serialised).")
    amount: int = Field(1, ge=1, le=20, description="Jobs asked for in one pop (batched into one pass).")
    max_batch: int = Field(4, ge=1, description="Most images generated in one pipeline call.")
    nsfw: bool | None = Field(
        None,
        description="Accept image requests that allow NSFW content. Default: yes when the CSAM guard runs (or only "
        "the built-in `tiny` model is served), else no. `true` without the guard refuses to start.",
    )
    allow_img2img: bool = Field(True, description="Accept img2img jobs.")
    allow_painting: bool = Field(True, description="Accept inpainting and outpainting jobs.")
    allow_lora: bool = Field(False, description="Accept jobs with LoRAs (needs lora_dir and the peft package).")
    lora_dir: Path | None = Field(None, description="Folder holding LoRA .safetensors files, named as requested.")
    model_dir: Path | None = Field(None, description="Folder searched for model names without an explicit source.")
    safety_checker: Path | None = Field(
        None, description="Folder of a diffusers StableDiffusionSafetyChecker (with its feature extractor)."
    )
    clip_model: Path | None = Field(
        None,
        description="Folder of a CLIP model (transformers `CLIPModel`, or open_clip with `open_clip_config.json`): "
        "runs the CSAM guard on every image, the NSFW censor when no `safety_checker` is set, and the alchemy "
        "`nsfw` and `interrogation` forms. Default: `ALCHEMY_DIR/clip` when that exists.",
    )
    csam_guard: bool | None = Field(
        None,
        description="Run the CSAM guard on every image. Default: yes when `clip_model` is set and a model other "
        "than the built-in `tiny` is served. `true` needs `clip_model`; `false` limits the worker to requests with "
        "nsfw=false and censoring on.",
    )
    csam_thresholds: Path | None = Field(
        None,
        description="A JSON file overriding the guard's concept thresholds (they are calibrated for OpenAI CLIP "
        "ViT-L/14; another CLIP model needs its own).",
    )
    alchemy: bool = Field(False, description="Also serve alchemy (interrogation) forms, as `NAME (alchemy)`.")
    alchemy_only: bool = Field(False, description="Serve only alchemy forms: no image or text jobs.")
    alchemy_dir: Path | None = Field(
        None,
        description="Folder of alchemy models: `<NAME>.pth` or `<NAME>.safetensors` post-processors, "
        "`strip_background.onnx`, `caption/` (BLIP) and `clip/`.",
    )
    post_processors: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Post-processors as `NAME=PATH` (a .pth or .safetensors file spandrel loads, or the u2net "
        "ONNX file for `strip_background`); they win over `alchemy_dir`. Comma-separated in the environment.",
    )
    caption_model: Path | None = Field(
        None, description="Folder of a transformers captioning model (BLIP). Default: `ALCHEMY_DIR/caption`."
    )
    alchemy_max_tiles: int = Field(
        16, ge=1, le=256, description="Largest alchemy source image accepted, in 512x512 tiles."
    )
    upscale_tile: int = Field(
        512, ge=32, description="Upscalers work on tiles of at most this many pixels a side (bounds memory)."
    )
    compile: bool = Field(False, description="torch.compile the UNet on CUDA (slow first job, faster after).")
    poll_interval: float = Field(2.0, gt=0, description="Seconds between pops when there is no work.")
    max_length: int = Field(512, ge=16, description="Most tokens generated for one text job.")
    max_context_length: int = Field(2048, ge=80, description="Longest text prompt accepted, in tokens.")
    once: bool = Field(False, description="Do one pop round, finish what it brought, then exit.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings

    @model_validator(mode="before")
    @classmethod
    def _key_from_file(cls, data: Any) -> Any:
        """``api_key_file``: the key is read from the file, so it never appears on a command line."""
        if not isinstance(data, dict) or not data.get("api_key_file"):
            return data
        if data.get("api_key") is not None:
            raise ValueError("give api_key or api_key_file, not both")
        path = Path(data["api_key_file"]).expanduser()
        lines = path.read_text(encoding="utf-8").splitlines()
        key = lines[0].strip() if lines else ""
        if not key:
            raise ValueError(f"{path} holds no API key")
        return {**data, "api_key": SecretStr(key)}

    @field_validator("models", "text_models", "post_processors", mode="before")
    @classmethod
    def _split_comma_list(cls, value: object) -> object:
        return split_list(value) if isinstance(value, str) else value

    @field_validator("post_processors")
    @classmethod
    def _known_post_processors(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            name, equals, path = entry.partition("=")
            if not equals or not path.strip():
                raise ValueError(f"post-processor {entry!r}: give NAME=PATH")
            if name.strip() not in POST_PROCESSORS:
                raise ValueError(f"unknown post-processor {name.strip()!r}; known: {', '.join(POST_PROCESSORS)}")
        return entries

    @property
    def serves_alchemy(self) -> bool:
        """Whether the alchemy loop runs (``alchemy`` or ``alchemy_only``)."""
        return self.alchemy or self.alchemy_only

    @property
    def clip_folder(self) -> Path | None:
        """The CLIP model folder: ``clip_model``, else ``ALCHEMY_DIR/clip`` when it exists."""
        return self.clip_model or _in_alchemy_dir(self.alchemy_dir, "clip")

    @property
    def caption_folder(self) -> Path | None:
        """The captioning model folder: ``caption_model``, else ``ALCHEMY_DIR/caption`` when it exists."""
        return self.caption_model or _in_alchemy_dir(self.alchemy_dir, "caption")

    @property
    def api_url(self) -> str:
        """The API root, ``<url>/api/v2``."""
        return self.url.rstrip("/") + "/api/v2"


def _in_alchemy_dir(folder: Path | None, name: str) -> Path | None:
    return folder / name if folder is not None and (folder / name).is_dir() else None


def split_list(value: str) -> list[str]:
    """Split a comma-separated environment value into its non-empty items."""
    return [item.strip() for item in value.split(",") if item.strip()]


def read_toml(path: Path) -> dict[str, Any]:
    """Read a worker TOML file: top-level keys, or those of a ``[worker]`` table."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    table = data.get("worker", data)
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [worker] must be a table")
    return dict(table)


def names_in_environment(environ: dict[str, str] | None = None) -> set[str]:
    """The field names that a ``HORDE_WORKER_*`` environment variable sets."""
    env = os.environ if environ is None else environ
    prefix = "HORDE_WORKER_"
    present = {key.upper() for key in env if key.upper().startswith(prefix)}
    return {name for name in WorkerSettings.model_fields if prefix + name.upper() in present}


def load_settings(config: Path | None = None, **overrides: Any) -> WorkerSettings:
    """Build the settings: ``overrides`` (from the command line) beat the environment, which beats the TOML file."""
    from_file = read_toml(config) if config is not None else {}
    from_env = names_in_environment()
    merged = {key: value for key, value in from_file.items() if key not in from_env}
    merged.update({key: value for key, value in overrides.items() if value is not None})
    return WorkerSettings(**merged)
