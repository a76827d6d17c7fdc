from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ["TOKENIZERS_PARALLELISM"] = "false"  # open_clip's tokenizer module sets it on import, whatever it was

from pathlib import Path

import pytest

from horde.worker.alchemy.clip import ClipEncoder
from horde.worker.pipelines.loader import Runtime


@pytest.fixture(scope="session")
def alchemy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every tiny alchemy model, written once per test process (about 2 s)."""
    from horde.worker.pipelines.tiny_alchemy import write_alchemy_dir

    return write_alchemy_dir(tmp_path_factory.mktemp("alchemy"))


@pytest.fixture(scope="session")
def tiny_clip(alchemy_dir: Path, cpu: Runtime) -> ClipEncoder:
    return ClipEncoder(alchemy_dir / "clip", cpu)
