from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before diffusers/transformers are imported: never download
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import pytest

from horde.worker.generate import ImageGenerator
from horde.worker.pipelines.loader import ModelCache, Runtime
from horde.worker.text import TextGenerator


@pytest.fixture(scope="session")
def cpu() -> Runtime:
    import torch

    torch.set_num_threads(2)
    return Runtime("cpu", torch.float32)


@pytest.fixture(scope="session")
def image_models(cpu: Runtime) -> ModelCache:
    models = ModelCache(["tiny"], cpu)
    models.preload()
    return models


@pytest.fixture
def image_generator(image_models: ModelCache) -> ImageGenerator:
    return ImageGenerator(image_models, max_batch=2)


@pytest.fixture(scope="session")
def text_generator(cpu: Runtime) -> TextGenerator:
    return TextGenerator(ModelCache(["tiny"], cpu, text=True))
