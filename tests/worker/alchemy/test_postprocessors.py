"""Post-processors load from real files through spandrel and rembg, fit their names, run, and keep sizes right."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from horde.worker.alchemy import forms
from horde.worker.alchemy.alchemist import load_post_processor, load_post_processors
from horde.worker.alchemy.postprocessors import (
    FaceFixer,
    UnusableModelError,
    Upscaler,
    find_files,
    load_model_file,
    read_descriptor,
    to_tensor,
)
from horde.worker.alchemy.tiling import run_tiled
from horde.worker.pipelines import tiny_alchemy
from horde.worker.pipelines.loader import Runtime
from horde.worker.settings import WorkerSettings


def noise(width: int, height: int, mode: str = "RGB") -> Image.Image:
    return Image.effect_noise((width, height), 60).convert(mode)


@pytest.mark.parametrize("name", list(forms.UPSCALERS))
def test_each_upscaler_loads_from_its_file_and_scales_exactly(name: str, alchemy_dir: Path, cpu: Runtime) -> None:
    [path] = [p for p in alchemy_dir.iterdir() if p.stem == name]
    upscaler = load_model_file(name, path, cpu)
    assert isinstance(upscaler, Upscaler)
    assert upscaler.architecture == "ESRGAN"
    scale = forms.UPSCALERS[name]
    assert upscaler.scale == scale
    result = upscaler(noise(37, 22))  # odd sizes: x2 models need a multiple of 4 inside, not outside
    assert result.size == (37 * scale, 22 * scale)
    assert result.mode == "RGB"


def test_a_file_of_the_wrong_scale_is_not_served_under_the_name(alchemy_dir: Path, cpu: Runtime) -> None:
    with pytest.raises(UnusableModelError, match=r"RealESRGAN_x2plus must upscale x2; this ESRGAN model is SR x4"):
        load_model_file("RealESRGAN_x2plus", alchemy_dir / "RealESRGAN_x4plus.pth", cpu)
    with pytest.raises(UnusableModelError, match=r"GFPGAN needs a face model"):
        load_model_file("GFPGAN", alchemy_dir / "NMKD_Siax.pth", cpu)
    with pytest.raises(UnusableModelError, match="must upscale x4"):
        load_model_file("4x_AnimeSharp", alchemy_dir / "GFPGAN.pth", cpu)


def test_files_spandrel_cannot_read_are_refused_with_a_reason(tmp_path: Path, cpu: Runtime) -> None:
    torch.save({"some.weight": torch.zeros(3)}, tmp_path / "foreign.pth")
    with pytest.raises(UnusableModelError, match="no architecture"):
        read_descriptor(tmp_path / "foreign.pth")
    (tmp_path / "broken.safetensors").write_bytes(b"not a model")
    with pytest.raises(UnusableModelError, match="cannot be read"):
        read_descriptor(tmp_path / "broken.safetensors")
    with pytest.raises(UnusableModelError, match="does not exist"):
        load_model_file("NMKD_Siax", tmp_path / "missing.pth", cpu)


def test_a_reduced_gfpgan_is_not_loadable(tmp_path: Path) -> None:
    # spandrel builds GFPGAN only at its one full size: a smaller state dict with GFPGAN's keys does not load
    state = {"toRGB.0.weight": torch.zeros(3, 8, 1, 1), "stylegan_decoder.style_mlp.1.weight": torch.zeros(8, 8)}
    torch.save(state, tmp_path / "GFPGAN.pth")
    with pytest.raises(UnusableModelError, match="cannot be read"):
        read_descriptor(tmp_path / "GFPGAN.pth")


def test_the_tiny_face_fixer_keeps_the_size_and_blends_by_strength(alchemy_dir: Path, cpu: Runtime) -> None:
    fixer = load_model_file("GFPGAN", alchemy_dir / "GFPGAN.pth", cpu)
    assert isinstance(fixer, FaceFixer)
    assert fixer.architecture == "RestoreFormer"
    fixer.size = 128  # the real models work at 512; a smaller square keeps this test quick on a CPU
    image = noise(48, 30)
    fixed = fixer(image)
    assert fixed.size == (48, 30)
    half = fixer(image, strength=0.5)
    assert torch.allclose(to_tensor(half), (to_tensor(image) + to_tensor(fixed)) / 2, atol=2 / 255)


def test_an_alpha_channel_survives_post_processing(alchemy_dir: Path, cpu: Runtime) -> None:
    upscaler = load_model_file("RealESRGAN_x2plus", alchemy_dir / "RealESRGAN_x2plus.pth", cpu)
    image = noise(20, 16, "RGBA")
    image.putalpha(Image.new("L", (20, 16), 77))
    result = upscaler(image)
    assert result.mode == "RGBA"
    assert result.getchannel("A").getextrema() == (77, 77)


def test_tiling_gives_the_single_pass_result_when_the_overlap_covers_the_receptive_field() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(  # sees 3 pixels around (three 3x3 convolutions, one after a x2 upsampling)
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.Conv2d(4, 4, 3, padding=1),
        torch.nn.Upsample(scale_factor=2),
        torch.nn.Conv2d(4, 3, 3, padding=1),
    )
    image = torch.rand(1, 3, 45, 71)
    seen: list[tuple[int, ...]] = []

    def run(tensor: torch.Tensor) -> torch.Tensor:
        seen.append(tuple(tensor.shape[-2:]))
        result: torch.Tensor = model(tensor)
        return result

    with torch.no_grad():
        whole = model(image)
        tiled = run_tiled(run, image, 2, tile=24, overlap=4)
        padded = run_tiled(run, image, 2, tile=24, overlap=4, multiple_of=8)
    assert tiled.shape == padded.shape == whole.shape == (1, 3, 90, 142)
    assert torch.allclose(tiled, whole, atol=1e-6)
    assert len(seen) == 2 * 3 * 5  # cores of 24 - 2 * 4 = 16 pixels over 45 x 71, twice
    assert max(max(shape) for shape in seen) <= 24
    assert all(h % 8 == 0 and w % 8 == 0 for h, w in seen[15:])
    assert torch.allclose(padded[..., :80, :128], whole[..., :80, :128], atol=1e-6)  # away from padded edges
    with pytest.raises(ValueError, match="twice the overlap"):
        run_tiled(run, image, 2, tile=8, overlap=4)


def test_an_upscaler_never_runs_a_tile_larger_than_its_setting(alchemy_dir: Path, cpu: Runtime) -> None:
    upscaler = load_model_file("RealESRGAN_x2plus", alchemy_dir / "RealESRGAN_x2plus.pth", cpu, tile=64)
    seen: list[tuple[int, ...]] = []
    run = upscaler.run

    def spy(tensor: torch.Tensor) -> torch.Tensor:
        seen.append(tuple(tensor.shape[-2:]))
        return run(tensor)

    upscaler.run = spy  # type: ignore[method-assign]
    assert upscaler(noise(100, 40)).size == (200, 80)
    assert len(seen) == 8  # cores of 64 - 2 * 16 = 32 pixels
    assert max(max(shape) for shape in seen) <= 64


def test_strip_background_returns_the_same_size_with_alpha(alchemy_dir: Path) -> None:
    remover = load_post_processor(
        forms.STRIP_BACKGROUND, alchemy_dir / "strip_background.onnx", Runtime("cpu", torch.float32)
    )
    result = remover(noise(50, 40))
    assert (result.size, result.mode) == ((50, 40), "RGBA")
    alpha = np.asarray(result.getchannel("A"))
    assert alpha.min() < alpha.max()  # the mask is the model's output, not a constant


def test_strip_background_refuses_a_missing_or_foreign_file(tmp_path: Path) -> None:
    with pytest.raises(UnusableModelError, match="does not exist"):
        load_post_processor(forms.STRIP_BACKGROUND, tmp_path / "none.onnx", Runtime("cpu", torch.float32))
    (tmp_path / "bad.onnx").write_bytes(b"\x00" * 64)
    with pytest.raises(UnusableModelError, match="not a usable ONNX model"):
        load_post_processor(forms.STRIP_BACKGROUND, tmp_path / "bad.onnx", Runtime("cpu", torch.float32))


def test_only_what_loads_and_fits_is_advertised(alchemy_dir: Path, tmp_path: Path, cpu: Runtime) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(alchemy_dir / "RealESRGAN_x4plus.pth", folder / "RealESRGAN_x4plus.pth")
    shutil.copy(alchemy_dir / "RealESRGAN_x4plus.pth", folder / "RealESRGAN_x2plus.pth")  # the wrong scale
    (folder / "NMKD_Siax.safetensors").write_bytes(b"broken")
    torch.save(tiny_alchemy.restoreformer_state_dict(), folder / "CodeFormers.pth")  # not a CodeFormer
    settings = WorkerSettings(
        alchemy_dir=folder, post_processors=[f"4x_AnimeSharp={alchemy_dir / '4x_AnimeSharp.safetensors'}"]
    )
    processors = load_post_processors(settings, cpu)
    assert processors.names == ["RealESRGAN_x4plus", "4x_AnimeSharp"]
    reasons = processors.unavailable
    assert "must upscale x2" in reasons["RealESRGAN_x2plus"]
    assert "cannot be read" in reasons["NMKD_Siax"]
    assert "CodeFormer" in reasons["CodeFormers"]
    assert reasons["GFPGAN"] == reasons["strip_background"] == "no model file configured"
    with pytest.raises(KeyError, match="must upscale x2"):
        processors.run("RealESRGAN_x2plus", noise(8, 8))


def test_explicit_files_win_over_the_alchemy_dir(tmp_path: Path) -> None:
    (tmp_path / "GFPGAN.safetensors").touch()
    (tmp_path / "strip_background.onnx").touch()
    (tmp_path / "strip_background.pth").touch()  # not the ONNX: ignored
    files = find_files(["GFPGAN=/models/gfpgan.pth"], tmp_path)
    assert files == {"GFPGAN": Path("/models/gfpgan.pth"), "strip_background": tmp_path / "strip_background.onnx"}


def test_post_processors_apply_in_the_order_given(alchemy_dir: Path, cpu: Runtime) -> None:
    settings = WorkerSettings(alchemy_dir=alchemy_dir)
    processors = load_post_processors(settings, cpu)
    result = processors.apply(noise(16, 12), ["RealESRGAN_x2plus", "strip_background", "NMKD_Siax"])
    assert result.size == (16 * 2 * 4, 12 * 2 * 4)
    assert result.mode == "RGBA"  # background removal's alpha, upscaled along


def test_half_precision_is_chosen_only_where_the_architecture_and_the_device_have_it() -> None:
    from types import SimpleNamespace

    from horde.worker.alchemy.postprocessors import model_dtype

    both = SimpleNamespace(supports_half=True, supports_bfloat16=True)
    bf16_only = SimpleNamespace(supports_half=False, supports_bfloat16=True)  # GFPGAN, RestoreFormer
    fp16_only = SimpleNamespace(supports_half=True, supports_bfloat16=False)
    neither = SimpleNamespace(supports_half=False, supports_bfloat16=False)
    bf16, fp16 = Runtime("cuda", torch.bfloat16), Runtime("cuda", torch.float16)
    assert model_dtype(both, Runtime("cpu", torch.float32)) == torch.float32
    assert (model_dtype(both, bf16), model_dtype(both, fp16)) == (torch.bfloat16, torch.float16)
    assert (model_dtype(bf16_only, bf16), model_dtype(bf16_only, fp16)) == (torch.bfloat16, torch.float32)
    assert (model_dtype(fp16_only, bf16), model_dtype(fp16_only, fp16)) == (torch.float16, torch.float16)
    assert model_dtype(neither, bf16) == torch.float32
