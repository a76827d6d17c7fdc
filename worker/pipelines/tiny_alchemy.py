"""Tiny random-weight alchemy models built from configs, written as real model files: for tests and the demo.

``write_alchemy_dir(folder)`` fills a folder in the ``alchemy_dir`` layout, in about a second::

    RealESRGAN_x4plus.pth            Real-ESRGAN key layout ("params_ema"), x4
    RealESRGAN_x2plus.pth            Real-ESRGAN with pixel-unshuffle, x2
    RealESRGAN_x4plus_anime_6B.pth   6 blocks, x4
    NMKD_Siax.pth                    old ESRGAN key layout, x4
    4x_AnimeSharp.safetensors        old ESRGAN key layout, safetensors, x4
    GFPGAN.pth                       a RestoreFormer (GFPGAN's alternative model), 6 levels of 32 channels
    strip_background.onnx            u2net-shaped: (1, 3, 320, 320) in, a (1, 1, 320, 320) mask out
    caption/                         a BLIP captioning folder (transformers), word-piece tokenizer in memory
    clip/                            a CLIP folder (transformers), character-level tokenizer in memory

spandrel, rembg, transformers and open_clip read these exactly as they read real downloads: the code paths are
real, the outputs are noise. A tiny GFPGAN is not possible: spandrel builds GFPGAN at its one full size
(86 M parameters, 17 s for a 512x512 face on 2 CPU cores), so the tiny face fixer is a RestoreFormer, whose size
spandrel reads from the weights. CodeFormer needs ``spandrel_extra_arches``, which the worker does not use.
The CLIP and BLIP configs carry ``"horde_random_weights": true``, so the worker knows their scores mean nothing.

    python -m horde.worker.pipelines.tiny_alchemy DIR
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from horde.worker.alchemy.clip import RANDOM_WEIGHTS_MARK

GROWTH = 32  #: ESRGAN's growth channels (spandrel assumes 32)
CAPTION_WORDS = (
    "a", "an", "the", "of", "on", "in", "with", "and", "is", "at", "photo", "picture", "painting", "drawing", "cat",
    "dog", "man", "woman", "red", "blue", "green", "sky", "tree", "house", "table", "sitting", "standing", "noise",
)  # fmt: skip


def _conv(out_channels: int, in_channels: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    weight = torch.randn(out_channels, in_channels, 3, 3, generator=generator) * 0.02
    return {"weight": weight, "bias": torch.zeros(out_channels)}


def esrgan_state_dict(scale: int = 4, *, blocks: int = 1, features: int = 8, seed: int = 0) -> dict[str, Any]:
    """An ESRGAN in Real-ESRGAN's key layout (``params_ema``, as RealESRGAN_x4plus.pth); x2 uses pixel-unshuffle."""
    if scale not in (2, 4):
        raise ValueError("scale must be 2 or 4")
    generator = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}

    def put(name: str, out_channels: int, in_channels: int) -> None:
        for key, value in _conv(out_channels, in_channels, generator).items():
            state[f"{name}.{key}"] = value

    put("conv_first", features, 3 * (4 if scale == 2 else 1))
    for block in range(blocks):
        for rdb in (1, 2, 3):
            for index in range(1, 6):
                out_channels = GROWTH if index < 5 else features
                put(f"body.{block}.rdb{rdb}.conv{index}", out_channels, features + (index - 1) * GROWTH)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        put(name, features, features)
    put("conv_last", 3, features)
    return {"params_ema": state}


def old_esrgan_state_dict(*, blocks: int = 1, features: int = 8, seed: int = 0) -> dict[str, torch.Tensor]:
    """A x4 ESRGAN in the original key layout (``model.N...``), as NMKD and community upscalers ship."""
    esrgan = importlib.import_module("spandrel.architectures.ESRGAN")
    torch.manual_seed(seed)
    model = esrgan.ESRGAN(in_nc=3, out_nc=3, num_filters=features, num_blocks=blocks, scale=4)
    return {key: value.detach().clone() for key, value in model.state_dict().items()}


def restoreformer_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """A RestoreFormer face restorer: 6 levels (so attention runs at 16x16 for a 512x512 face) of 32 channels."""
    restoreformer = importlib.import_module("spandrel.architectures.RestoreFormer")
    torch.manual_seed(seed)
    model = restoreformer.RestoreFormer(
        n_embed=16,
        embed_dim=8,
        ch=32,
        out_ch=3,
        ch_mult=(1, 1, 1, 1, 1, 1),
        num_res_blocks=1,
        attn_resolutions=(16,),
        dropout=0.0,
        in_channels=3,
        resolution=512,
        z_channels=8,
        double_z=False,
        enable_mid=True,
        head_size=8,
    )
    return {key: value.detach().clone() for key, value in model.state_dict().items()}


def write_u2net_onnx(path: Path, seed: int = 0) -> Path:
    """A two-convolution ONNX graph shaped like u2net: image (1, 3, 320, 320) in, mask (1, 1, 320, 320) out."""
    onnx = importlib.import_module("onnx")
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    rng = np.random.default_rng(seed)
    weights = [
        numpy_helper.from_array((rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float32), "w1"),
        numpy_helper.from_array(np.zeros(4, np.float32), "b1"),
        numpy_helper.from_array((rng.standard_normal((1, 4, 3, 3)) * 0.3).astype(np.float32), "w2"),
        numpy_helper.from_array(np.zeros(1, np.float32), "b2"),
    ]
    nodes = [
        helper.make_node("Conv", ["input.1", "w1", "b1"], ["hidden"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["hidden"], ["relu"]),
        helper.make_node("Conv", ["relu", "w2", "b2"], ["logits"], pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["logits"], ["mask"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_u2net",
        [helper.make_tensor_value_info("input.1", onnx.TensorProto.FLOAT, [1, 3, 320, 320])],
        [helper.make_tensor_value_info("mask", onnx.TensorProto.FLOAT, [1, 1, 320, 320])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _mark_random(folder: Path, config_name: str = "config.json") -> None:
    config_path = folder / config_name
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config[RANDOM_WEIGHTS_MARK] = True
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")


def write_caption_model(folder: Path, seed: int = 0) -> Path:
    """A tiny BLIP captioning folder (32x32 images, one layer each side, a 90-entry word-piece vocabulary)."""
    transformers = importlib.import_module("transformers")
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", *CAPTION_WORDS, *letters]
    vocab += ["##" + letter for letter in letters]
    tokenizer = transformers.BertTokenizer(vocab={token: i for i, token in enumerate(vocab)}, model_max_length=64)
    tokenizer.add_special_tokens({"bos_token": "[DEC]"})
    processor = transformers.BlipProcessor(
        image_processor=transformers.BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer
    )
    torch.manual_seed(seed)
    layer = {"num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 37, "hidden_size": 32}
    config = transformers.BlipConfig(
        text_config={
            **layer,
            "vocab_size": len(vocab),
            "max_position_embeddings": 64,
            "bos_token_id": vocab.index("[DEC]"),
            "sep_token_id": vocab.index("[SEP]"),
            "eos_token_id": vocab.index("[SEP]"),
            "pad_token_id": vocab.index("[PAD]"),
        },
        vision_config={**layer, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    model = transformers.BlipForConditionalGeneration(config)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    _mark_random(folder)
    return folder


def write_clip_model(folder: Path, seed: int = 0) -> Path:
    """A tiny transformers CLIP folder (32x32 images, 64-dimensional embeddings, character-level tokenizer)."""
    transformers = importlib.import_module("transformers")
    tiny = importlib.import_module("horde.worker.pipelines.tiny")
    tokenizer = tiny.clip_tokenizer()
    processor = transformers.CLIPProcessor(
        image_processor=transformers.CLIPImageProcessor(
            size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
        ),
        tokenizer=tokenizer,
    )
    torch.manual_seed(seed)
    layer = {"num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 37, "hidden_size": 32}
    config = transformers.CLIPConfig(
        text_config={
            **layer,
            "vocab_size": len(tokenizer),
            "max_position_embeddings": 77,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={**layer, "image_size": 32, "patch_size": 8},
        projection_dim=64,
    )
    model = transformers.CLIPModel(config)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    _mark_random(folder)
    return folder


def write_open_clip_model(folder: Path, seed: int = 0) -> Path:
    """A tiny open_clip folder (``open_clip_config.json`` + safetensors; open_clip's bundled BPE tokenizer)."""
    open_clip = importlib.import_module("open_clip")
    safetensors = importlib.import_module("safetensors.torch")
    model_cfg = {
        "embed_dim": 64,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
    }
    torch.manual_seed(seed)
    model = open_clip.model.CLIP(**model_cfg)
    folder.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().clone().contiguous() for key, value in model.state_dict().items()}
    safetensors.save_file(state, str(folder / "open_clip_model.safetensors"))
    config = {"model_cfg": model_cfg, "preprocess_cfg": {}, RANDOM_WEIGHTS_MARK: True}
    (folder / "open_clip_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return folder


def write_alchemy_dir(folder: Path, seed: int = 0) -> Path:
    """Every tiny alchemy model, in the ``alchemy_dir`` layout."""
    safetensors = importlib.import_module("safetensors.torch")
    importlib.import_module("transformers").utils.logging.disable_progress_bar()  # "Writing model shards" x2
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(esrgan_state_dict(4, seed=seed), folder / "RealESRGAN_x4plus.pth")
    torch.save(esrgan_state_dict(2, seed=seed + 1), folder / "RealESRGAN_x2plus.pth")
    torch.save(esrgan_state_dict(4, blocks=6, seed=seed + 2), folder / "RealESRGAN_x4plus_anime_6B.pth")
    torch.save(old_esrgan_state_dict(seed=seed + 3), folder / "NMKD_Siax.pth")
    safetensors.save_file(old_esrgan_state_dict(seed=seed + 4), str(folder / "4x_AnimeSharp.safetensors"))
    torch.save(restoreformer_state_dict(seed=seed + 5), folder / "GFPGAN.pth")
    write_u2net_onnx(folder / "strip_background.onnx", seed=seed + 6)
    write_caption_model(folder / "caption", seed=seed + 7)
    write_clip_model(folder / "clip", seed=seed + 8)
    return folder


def main(argv: list[str] | None = None) -> int:
    """``python -m horde.worker.pipelines.tiny_alchemy DIR``: write the tiny alchemy models into DIR."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m horde.worker.pipelines.tiny_alchemy DIR\n")
        return 2
    folder = write_alchemy_dir(Path(args[0]))
    sys.stdout.write(f"tiny alchemy models written to {folder}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
