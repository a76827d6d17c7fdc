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
    nsfw: bool = Field(True, description="Accept requests that allow NSFW content.")
    allow_img2img: bool = Field(True, description="Accept img2img jobs.")
    allow_painting: bool = Field(True, description="Accept inpainting and outpainting jobs.")
    allow_lora: bool = Field(False, description="Accept jobs with LoRAs (needs lora_dir and the peft package).")
    lora_dir: Path | None = Field(None, description="Folder holding LoRA .safetensors files, named as requested.")
    model_dir: Path | None = Field(None, description="Folder searched for model names without an explicit source.")
    safety_checker: Path | None = Field(
        None, description="Folder of a diffusers StableDiffusionSafetyChecker (with its feature extractor)."
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

    @field_validator("models", "text_models", mode="before")
    @classmethod
    def _split_comma_list(cls, value: object) -> object:
        return split_list(value) if isinstance(value, str) else value

    @property
    def api_url(self) -> str:
        """The API root, ``<url>/api/v2``."""
        return self.url.rstrip("/") + "/api/v2"


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
