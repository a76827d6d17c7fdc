"""``horde worker``: run a worker against a Horde (or any AI-Horde-compatible) server.

Options override ``HORDE_WORKER_*`` environment variables, which override the ``--config`` TOML file. With
``--once`` the worker does a single pop round (image, and text if text models are served), finishes and submits
what it got, and exits: handy for scripts and demos. ``--alchemy`` adds alchemy forms (captions, interrogation,
NSFW checks, post-processors) beside the image work, ``--alchemy-only`` serves only them.

Exit status 2: bad settings, or settings the CSAM guard policy refuses (NSFW work without the guard), a CLIP
model that does not load, or alchemy asked for with no alchemy model that loads.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from horde.worker.settings import WorkerSettings, load_settings

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The ``horde worker`` argument parser."""
    parser = argparse.ArgumentParser(prog="horde worker", description="Serve image and text jobs of a Horde.")
    parser.add_argument("--url", help="server base URL (default http://127.0.0.1:7001)")
    parser.add_argument(
        "--api-key",
        help="the worker owner's API key; visible to every user in ps, so prefer the HORDE_WORKER_API_KEY "
        "environment variable or --api-key-file",
    )
    parser.add_argument("--api-key-file", type=Path, help="a file holding the API key (its first line)")
    parser.add_argument(
        "--model",
        dest="models",
        action="append",
        metavar="MODEL",
        help="image model NAME or NAME=SOURCE (folder, file.safetensors[@CONFIG_DIR], repo id); repeatable",
    )
    parser.add_argument("--text-model", dest="text_models", action="append", metavar="MODEL", help="text model")
    parser.add_argument("--name", help="worker name")
    parser.add_argument("--max-pixels", type=int, help="largest width*height accepted")
    parser.add_argument("--threads", type=int, help="jobs handled at once")
    parser.add_argument("--amount", type=int, help="jobs asked for in one pop (batched)")
    parser.add_argument("--nsfw", action=argparse.BooleanOptionalAction, default=None, help="accept NSFW requests")
    parser.add_argument("--lora-dir", type=Path, help="folder of LoRA .safetensors files (enables LoRAs)")
    parser.add_argument("--model-dir", type=Path, help="folder where model names are looked up")
    parser.add_argument("--safety-checker", type=Path, help="folder of a diffusers safety checker")
    add_alchemy_options(parser)
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None, help="torch.compile on CUDA")
    parser.add_argument("--poll-interval", type=float, help="seconds between pops when idle")
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument("--once", action="store_true", default=None, help="one pop round, then exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return parser


def add_alchemy_options(parser: argparse.ArgumentParser) -> None:
    """The options of alchemy and image safety."""
    group = parser.add_argument_group("alchemy and image safety (see docs/howto/alchemy-worker.md)")
    group.add_argument("--alchemy", action="store_true", default=None, help="also serve alchemy forms")
    group.add_argument("--alchemy-only", action="store_true", default=None, help="serve only alchemy forms")
    group.add_argument(
        "--alchemy-dir", type=Path, help="folder of NAME.pth|.safetensors, strip_background.onnx, caption/, clip/"
    )
    group.add_argument(
        "--post-processor",
        dest="post_processors",
        action="append",
        metavar="NAME=PATH",
        help="a post-processor model file (e.g. RealESRGAN_x4plus=/models/RealESRGAN_x4plus.pth); repeatable",
    )
    group.add_argument("--caption-model", type=Path, help="folder of a BLIP captioning model")
    group.add_argument("--clip-model", type=Path, help="folder of a CLIP model (CSAM guard, NSFW, interrogation)")
    group.add_argument(
        "--csam-guard", action=argparse.BooleanOptionalAction, default=None, help="run the CSAM guard on every image"
    )
    group.add_argument("--csam-thresholds", type=Path, help="JSON file of CSAM guard thresholds")
    group.add_argument("--alchemy-max-tiles", type=int, help="largest alchemy image, in 512x512 tiles")
    group.add_argument("--upscale-tile", type=int, help="upscalers' tile side in pixels")


def settings_from_args(args: argparse.Namespace) -> WorkerSettings:
    """Merge the parsed options over the environment and the TOML file."""
    overrides: dict[str, Any] = {
        "url": args.url,
        "api_key": SecretStr(args.api_key) if args.api_key else None,
        "api_key_file": args.api_key_file,
        "models": args.models,
        "text_models": args.text_models,
        "name": args.name,
        "max_pixels": args.max_pixels,
        "threads": args.threads,
        "amount": args.amount,
        "nsfw": args.nsfw,
        "lora_dir": args.lora_dir,
        "allow_lora": True if args.lora_dir else None,
        "model_dir": args.model_dir,
        "safety_checker": args.safety_checker,
        "alchemy": args.alchemy,
        "alchemy_only": args.alchemy_only,
        "alchemy_dir": args.alchemy_dir,
        "post_processors": args.post_processors,
        "caption_model": args.caption_model,
        "clip_model": args.clip_model,
        "csam_guard": args.csam_guard,
        "csam_thresholds": args.csam_thresholds,
        "alchemy_max_tiles": args.alchemy_max_tiles,
        "upscale_tile": args.upscale_tile,
        "compile": args.compile,
        "poll_interval": args.poll_interval,
        "once": args.once,
    }
    return load_settings(args.config, **overrides)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``horde worker``; returns the process exit status."""
    args = build_parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
        )
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll drowns the job lines
    try:
        settings = settings_from_args(args)
    except (ValidationError, OSError, ValueError) as exc:
        logger.error("bad worker settings: %s", exc)
        return 2
    from horde.worker.assembly import StartupError, run_worker
    from horde.worker.safety.policy import GuardPolicyError, plan

    try:
        plan(settings)
    except GuardPolicyError as exc:
        logger.error("refusing to start: %s", exc)
        return 2
    try:
        summary = asyncio.run(run_worker(settings, show_progress=not args.no_progress))
    except StartupError as exc:
        logger.error("refusing to start: %s", exc)
        return 2
    except KeyboardInterrupt:
        logger.warning("interrupted")
        return 130
    sys.stderr.write(summary.line() + "\n")
    return 0
