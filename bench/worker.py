"""Worker throughput: images/s and seconds per denoising step; alchemy forms/s.

Always: the built-in tiny pipeline on the CPU (64x64), and every alchemy form with the tiny alchemy models
(``horde.worker.pipelines.tiny_alchemy``) on a 64x64 image, plus the CSAM guard's check per image. With CUDA:
random-weight SD 1.5-shaped and SDXL-shaped UNets at 512x512 and 1024x1024, 30 steps with classifier-free
guidance (UNet only: it is >90% of the time), in fp16 and bf16, batch 1 and 4, eager and torch.compile'd; the
tiny alchemy forms again on the GPU; and full-size random-weight RealESRGAN_x4plus (x4 of 512x512, tiled) and
GFPGAN (one 512x512 face), the real models' shapes. Run: ``HF_HUB_OFFLINE=1 python bench/worker.py``
(``--quick`` for fewer configurations, ``--no-compile`` to skip torch.compile, ``--no-alchemy`` to skip alchemy).
"""

from __future__ import annotations

import sys

# bench/queue.py would shadow the standard library's queue (torch and asyncio need it) when bench/ is sys.path[0]
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("bench")]

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from horde.worker import api_models  # noqa: E402
from horde.worker.generate import ImageGenerator  # noqa: E402
from horde.worker.pipelines.loader import ModelCache, Runtime  # noqa: E402

SD15 = {
    "sample_size": 64,
    "block_out_channels": (320, 640, 1280, 1280),
    "down_block_types": ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
}
SDXL = {
    "sample_size": 128,
    "block_out_channels": (320, 640, 1280),
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "transformer_layers_per_block": (1, 2, 10),
    "attention_head_dim": (5, 10, 20),
    "cross_attention_dim": 2048,
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
}


def bench_tiny(steps: int, batches: tuple[int, ...]) -> None:
    torch.set_num_threads(os.cpu_count() or 1)
    generator = ImageGenerator(ModelCache(["tiny"], Runtime("cpu", torch.float32)), max_batch=max(batches))
    for batch in batches:
        job = api_models.ImagePopResponse.model_validate(
            {
                "id": "b",
                "ids": [f"b{i}" for i in range(batch)],
                "model": "tiny",
                "payload": {"prompt": "a cat", "ddim_steps": steps, "width": 64, "height": 64, "seed": "1"},
            }
        )
        generator.generate(job)  # warm-up
        runs = 3
        start = time.perf_counter()
        for _ in range(runs):
            generator.generate(job)
        elapsed = (time.perf_counter() - start) / runs
        print(
            f"tiny cpu 64x64 {steps} steps batch {batch}: {batch / elapsed:.2f} images/s, "
            f"{elapsed / steps:.4f} s/step (whole pipeline)"
        )


def unet_inputs(shape: dict[str, Any], batch: int, pixels: int, dtype: torch.dtype) -> dict[str, Any]:
    side = pixels // 8
    rows = 2 * batch  # classifier-free guidance doubles the batch
    inputs: dict[str, Any] = {
        "sample": torch.randn(rows, 4, side, side, device="cuda", dtype=dtype),
        "encoder_hidden_states": torch.randn(rows, 77, shape["cross_attention_dim"], device="cuda", dtype=dtype),
    }
    if shape is SDXL:
        inputs["added_cond_kwargs"] = {
            "text_embeds": torch.randn(rows, 1280, device="cuda", dtype=dtype),
            "time_ids": torch.randn(rows, 6, device="cuda", dtype=dtype),
        }
    return inputs


def bench_unet(name: str, shape: dict[str, Any], pixels: int, dtype: torch.dtype, batch: int, compiled: bool) -> None:
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**shape).to("cuda", dtype).to(memory_format=torch.channels_last).eval()
    model = torch.compile(unet) if compiled else unet
    inputs = unet_inputs(shape, batch, pixels, dtype)
    steps = 30
    with torch.inference_mode():
        for _ in range(3):  # warm-up (and compilation)
            model(timestep=torch.tensor(500, device="cuda"), **inputs)
        torch.cuda.synchronize()
        start = time.perf_counter()
        for step in range(steps):
            model(timestep=torch.tensor(999 - step * 33, device="cuda"), **inputs)
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    label = f"{name} {pixels}x{pixels} {str(dtype).removeprefix('torch.')} batch {batch} {'compiled' if compiled else 'eager'}"
    print(f"{label}: {batch / elapsed:.3f} images/s, {elapsed / steps * 1000:.1f} ms/step")
    del unet, model
    torch.cuda.empty_cache()


def rate(call: Callable[[], Any], runs: int, sync: bool) -> float:
    """Calls per second of ``call`` after one warm-up call."""
    call()
    if sync:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(runs):
        call()
    if sync:
        torch.cuda.synchronize()
    return runs / (time.perf_counter() - start)


def bench_alchemy(runtime: Runtime, runs: int) -> None:
    """Every form with the tiny alchemy models, on one 64x64 image; the CSAM guard's check."""
    from horde.worker.alchemy.alchemist import load_alchemist, load_post_processors
    from horde.worker.alchemy.clip import ClipEncoder
    from horde.worker.pipelines.tiny_alchemy import write_alchemy_dir
    from horde.worker.safety.guard import CsamGuard
    from horde.worker.safety.thresholds import GuardThresholds
    from horde.worker.settings import WorkerSettings

    sync = runtime.device == "cuda"
    with tempfile.TemporaryDirectory() as folder:
        models = write_alchemy_dir(Path(folder))
        settings = WorkerSettings(alchemy_dir=models)
        clip = ClipEncoder(models / "clip", runtime)
        alchemist = load_alchemist(settings, runtime, load_post_processors(settings, runtime), clip, GuardThresholds())
        image = Image.effect_noise((64, 64), 60).convert("RGB")
        for form in alchemist.forms:
            per_second = rate(lambda form=form: alchemist.run(form, image), runs, sync)
            print(f"alchemy {runtime.device} tiny {form} 64x64: {per_second:.2f} forms/s")
        guard = CsamGuard(clip, GuardThresholds())
        print(
            f"csam guard {runtime.device} tiny clip: {rate(lambda: guard.check([image], 'a cat'), runs, sync):.2f} images/s"
        )


def bench_full_size_alchemy(runtime: Runtime) -> None:
    """The real models' shapes with random weights, on CUDA: RealESRGAN_x4plus and GFPGAN."""
    from safetensors.torch import save_file
    from spandrel.architectures.ESRGAN import ESRGAN
    from spandrel.architectures.GFPGAN import GFPGAN

    from horde.worker.alchemy.postprocessors import load_model_file

    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        esrgan = ESRGAN(in_nc=3, out_nc=3, num_filters=64, num_blocks=23, scale=4)  # RealESRGAN_x4plus's shape
        save_file(esrgan.state_dict(), f"{folder}/x4.safetensors")
        gfpgan = GFPGAN(
            out_size=512, num_style_feat=512, channel_multiplier=2, decoder_load_path=None, fix_decoder=False,
            num_mlp=8, input_is_latent=True, different_w=True, narrow=1, sft_half=True,
        )  # fmt: skip
        save_file({k: v.contiguous() for k, v in gfpgan.state_dict().items()}, f"{folder}/gfpgan.safetensors")
        upscaler = load_model_file("RealESRGAN_x4plus", Path(f"{folder}/x4.safetensors"), runtime)
        fixer = load_model_file("GFPGAN", Path(f"{folder}/gfpgan.safetensors"), runtime)
    image = Image.effect_noise((512, 512), 60).convert("RGB")
    print(
        f"RealESRGAN_x4plus full size cuda {upscaler.dtype} 512x512 -> 2048x2048: {rate(lambda: upscaler(image), 3, True):.2f} images/s"
    )
    print(f"GFPGAN full size cuda {fixer.dtype} 512x512 face: {rate(lambda: fixer(image), 5, True):.2f} faces/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="bf16 and eager+compiled batch 1 only on CUDA")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile runs")
    parser.add_argument("--no-cpu", action="store_true", help="skip the tiny CPU run")
    parser.add_argument("--no-alchemy", action="store_true", help="skip the alchemy forms")
    args = parser.parse_args()
    if not args.no_cpu:
        bench_tiny(steps=8, batches=(1, 4))
        if not args.no_alchemy:
            bench_alchemy(Runtime("cpu", torch.float32), runs=3)
    if not torch.cuda.is_available():
        print("no CUDA: GPU benchmarks skipped")
        return
    if not args.no_alchemy:
        bench_alchemy(Runtime.detect(), runs=10)
        bench_full_size_alchemy(Runtime.detect())
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    dtypes = (torch.bfloat16,) if args.quick else (torch.float16, torch.bfloat16)
    batches = (1,) if args.quick else (1, 4)
    compiles = (False,) if args.no_compile else (False, True)
    for name, shape, pixels in (("sd15", SD15, 512), ("sdxl", SDXL, 1024)):
        for dtype in dtypes:
            for batch in batches:
                for compiled in compiles:
                    bench_unet(name, shape, pixels, dtype, batch, compiled)


if __name__ == "__main__":
    main()
