"""LoRAs from a folder on disk, applied to a pipeline for the length of one job (needs the ``peft`` package).

A requested LoRA ``name`` is the file ``LORA_DIR/<name>.safetensors`` (case-insensitive); nothing is downloaded.
A LoRA that is not there is skipped and reported in ``gen_metadata`` as ``{type: lora, value: download_failed}``.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from horde.worker import api_models

logger = logging.getLogger(__name__)


def peft_available() -> bool:
    """diffusers' ``load_lora_weights`` needs peft."""
    return importlib.util.find_spec("peft") is not None


class LoraLibrary:
    """The LoRA files in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find(self, name: str) -> Path | None:
        """The file for LoRA ``name``, if present."""
        wanted = f"{name}.safetensors".lower()
        for path in self.folder.glob("*.safetensors"):
            if path.name.lower() == wanted:
                return path
        return None

    @contextmanager
    def applied(self, pipe: Any, loras: list[api_models.Lora]) -> Iterator[list[api_models.GenMetadata]]:
        """Load ``loras`` into ``pipe``, yield the metadata of the missing ones, unload on exit."""
        missing: list[api_models.GenMetadata] = []
        names: list[str] = []
        weights: list[float] = []
        for index, lora in enumerate(loras):
            path = self.find(lora.name)
            if path is None:
                missing.append(api_models.GenMetadata(type="lora", value="download_failed", ref=lora.name))
                continue
            adapter = f"lora{index}"
            pipe.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name=adapter)
            names.append(adapter)
            weights.append(lora.model)
        try:
            if names:
                pipe.set_adapters(names, adapter_weights=weights)
            yield missing
        finally:
            if names:
                pipe.unload_lora_weights()
