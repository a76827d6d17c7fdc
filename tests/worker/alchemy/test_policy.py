"""When the CSAM guard runs, what the pops advertise, and what the command line refuses."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from horde.worker import capabilities
from horde.worker.cli import build_parser, main, settings_from_args
from horde.worker.safety.policy import GuardPolicyError, plan
from horde.worker.settings import WorkerSettings


def settings(**values: Any) -> WorkerSettings:
    return WorkerSettings(url="http://horde.test", **values)


@pytest.fixture
def clip_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "clip"
    folder.mkdir()
    return folder


def test_a_worker_with_a_clip_model_runs_the_guard_and_takes_nsfw(clip_dir: Path) -> None:
    guard = plan(settings(models=["sd15=/models/sd15"], clip_model=clip_dir))
    assert (guard.runs, guard.exempt, guard.advertised, guard.nsfw) == (True, False, True, True)
    assert str(clip_dir) in guard.message


def test_without_clip_the_guard_is_off_and_nsfw_is_refused() -> None:
    guard = plan(settings(models=["sd15=/models/sd15"]))
    assert (guard.runs, guard.advertised, guard.nsfw) == (False, False, False)
    assert "CSAM guard OFF" in guard.message and "nsfw=false and censoring on" in guard.message
    with pytest.raises(GuardPolicyError, match="NSFW work needs the CSAM guard"):
        plan(settings(models=["sd15=/models/sd15"], nsfw=True))


def test_the_built_in_tiny_model_needs_no_guard() -> None:
    guard = plan(settings(models=["tiny"]))
    assert (guard.runs, guard.exempt, guard.advertised, guard.nsfw) == (False, True, True, True)
    assert "serves only the built-in random-weight 'tiny' model" in guard.message
    assert plan(settings(models=["tiny"], nsfw=True)).nsfw
    assert not plan(settings(models=["tiny"], nsfw=False)).nsfw
    assert not plan(settings(models=["tiny", "sd15=/models/sd15"])).advertised  # one real model is enough


def test_csam_guard_forces_or_stops_the_guard(clip_dir: Path) -> None:
    forced = plan(settings(models=["tiny"], clip_model=clip_dir, csam_guard=True))
    assert forced.runs and forced.advertised
    off = plan(settings(models=["sd15=/models/sd15"], clip_model=clip_dir, csam_guard=False))
    assert not off.runs and not off.advertised and not off.nsfw
    assert "csam_guard=false" in off.message
    with pytest.raises(GuardPolicyError, match="needs a CLIP model"):
        plan(settings(models=["tiny"], csam_guard=True))


def test_the_alchemy_dir_clip_folder_counts(tmp_path: Path) -> None:
    (tmp_path / "clip").mkdir()
    assert plan(settings(models=["sd15=/models/sd15"], alchemy_dir=tmp_path)).runs
    assert not plan(settings(models=["sd15=/models/sd15"], alchemy_dir=tmp_path / "none")).runs


def test_the_image_pop_advertises_guard_nsfw_and_post_processors(clip_dir: Path) -> None:
    unguarded = capabilities.image_pop_request(settings(models=["sd15=/models/sd15"]))
    body = unguarded.model_dump(exclude_none=True)
    assert (body["csam_guard"], body["nsfw"], body["allow_post_processing"]) == (False, False, False)
    assert "post_processors" not in body
    guarded = capabilities.image_pop_request(
        settings(models=["sd15=/models/sd15"], clip_model=clip_dir), post_processors=["RealESRGAN_x2plus", "GFPGAN"]
    )
    assert (guarded.csam_guard, guarded.nsfw, guarded.allow_post_processing) == (True, True, True)
    assert guarded.post_processors == ["RealESRGAN_x2plus", "GFPGAN"]
    tiny = capabilities.image_pop_request(settings())
    assert (tiny.csam_guard, tiny.nsfw) == (True, True)


def test_the_alchemy_pop_and_its_worker_name() -> None:
    beside = capabilities.alchemy_pop_request(settings(name="w", alchemy=True, amount=2), ["caption", "nsfw"])
    assert (beside.name, beside.forms, beside.amount, beside.max_tiles) == ("w (alchemy)", ["caption", "nsfw"], 2, 16)
    alone = capabilities.alchemy_pop_request(settings(name="w", alchemy_only=True, alchemy_max_tiles=4), ["nsfw"])
    assert (alone.name, alone.max_tiles) == ("w", 4)


def test_the_command_line_reads_the_alchemy_options(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["--alchemy", "--alchemy-dir", str(tmp_path), "--post-processor", "GFPGAN=/m/gfpgan.pth",
         "--post-processor", "RealESRGAN_x4plus=/m/x4.pth", "--clip-model", "/m/clip", "--caption-model", "/m/blip",
         "--no-csam-guard", "--csam-thresholds", "/m/t.json", "--alchemy-max-tiles", "8", "--upscale-tile", "256"]
    )  # fmt: skip
    result = settings_from_args(args)
    assert result.alchemy and not result.alchemy_only
    assert result.post_processors == ["GFPGAN=/m/gfpgan.pth", "RealESRGAN_x4plus=/m/x4.pth"]
    assert (result.clip_model, result.caption_model, result.csam_thresholds) == (
        Path("/m/clip"), Path("/m/blip"), Path("/m/t.json"),
    )  # fmt: skip
    assert (result.csam_guard, result.alchemy_max_tiles, result.upscale_tile) == (False, 8, 256)


def test_the_environment_lists_post_processors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORDE_WORKER_POST_PROCESSORS", "GFPGAN=/m/g.pth, strip_background=/m/u2net.onnx")
    monkeypatch.setenv("HORDE_WORKER_ALCHEMY_ONLY", "true")
    result = WorkerSettings()
    assert result.post_processors == ["GFPGAN=/m/g.pth", "strip_background=/m/u2net.onnx"]
    assert result.serves_alchemy


def test_refusals_exit_with_2(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.ERROR)
    assert main(["--model", "sd15=/models/sd15", "--nsfw"]) == 2
    assert "NSFW work needs the CSAM guard" in caplog.text
    assert main(["--csam-guard"]) == 2
    assert "needs a CLIP model" in caplog.text
    assert main(["--post-processor", "Bogus=/m/x.pth"]) == 2
    assert "unknown post-processor 'Bogus'" in caplog.text
    assert main(["--post-processor", "GFPGAN"]) == 2
    assert "give NAME=PATH" in caplog.text
    caplog.clear()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--url", "http://127.0.0.1:9", "--alchemy-only", "--alchemy-dir", str(empty), "--once"]) == 2
    assert "no alchemy model loaded" in caplog.text
    assert "not caption: no captioning model configured" in caplog.text
    caplog.clear()
    assert main(["--url", "http://127.0.0.1:9", "--clip-model", str(empty), "--once"]) == 2
    assert f"the CLIP model in {empty} cannot be loaded" in caplog.text
