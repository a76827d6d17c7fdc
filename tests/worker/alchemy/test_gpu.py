"""On a CUDA device: the alchemy models in half precision, and full-size random-weight GFPGAN and
RealESRGAN_x4plus (the real files' shapes). Marked ``gpu``: run with ``pytest -m gpu`` where a GPU is lent."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from horde.worker.alchemy.alchemist import load_alchemist, load_post_processors
from horde.worker.alchemy.clip import ClipEncoder
from horde.worker.alchemy.postprocessors import load_model_file
from horde.worker.pipelines.loader import Runtime
from horde.worker.safety.thresholds import GuardThresholds
from horde.worker.settings import WorkerSettings

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
IMAGE = Image.effect_noise((96, 64), 60).convert("RGB")


def test_every_tiny_form_runs_on_cuda(alchemy_dir: Path) -> None:
    runtime = Runtime.detect()
    settings = WorkerSettings(alchemy_dir=alchemy_dir)
    clip = ClipEncoder(alchemy_dir / "clip", runtime)
    alchemist = load_alchemist(settings, runtime, load_post_processors(settings, runtime), clip, GuardThresholds())
    assert len(alchemist.forms) == 10
    for form in alchemist.forms:
        result = alchemist.run(form, IMAGE)
        assert result.data or result.image is not None, form


def test_full_size_gfpgan_and_realesrgan_from_files(tmp_path: Path) -> None:
    from safetensors.torch import save_file
    from spandrel.architectures.ESRGAN import ESRGAN
    from spandrel.architectures.GFPGAN import GFPGAN

    runtime = Runtime.detect()
    gfpgan = GFPGAN(
        out_size=512, num_style_feat=512, channel_multiplier=2, decoder_load_path=None, fix_decoder=False,
        num_mlp=8, input_is_latent=True, different_w=True, narrow=1, sft_half=True,
    )  # fmt: skip
    save_file({k: v.contiguous() for k, v in gfpgan.state_dict().items()}, str(tmp_path / "gfpgan.safetensors"))
    fixer = load_model_file("GFPGAN", tmp_path / "gfpgan.safetensors", runtime)
    assert (fixer.architecture, fixer.dtype) == ("GFPGAN", torch.bfloat16)  # GFPGAN has no fp16 support
    assert fixer(IMAGE).size == IMAGE.size
    esrgan = ESRGAN(in_nc=3, out_nc=3, num_filters=64, num_blocks=23, scale=4)
    torch.save({"params_ema": esrgan.state_dict()}, tmp_path / "x4.pth")
    upscaler = load_model_file("RealESRGAN_x4plus", tmp_path / "x4.pth", runtime, tile=256)
    assert upscaler(Image.effect_noise((300, 200), 60).convert("RGB")).size == (1200, 800)
