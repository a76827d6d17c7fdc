"""Built-in random-weight models made from configs in memory: nothing is downloaded or read from disk.

``tiny`` is a Stable-Diffusion-1.x-shaped pipeline (64x64 by default, about 1.8 M parameters) and ``tiny`` for text
is a two-layer GPT-2 with a byte-level tokenizer. Weights come from ``torch.manual_seed(seed)``, so the same torch
version always rebuilds the same model and the same seed gives the same image. They make noise, not pictures: they
exist so that tests and the offline demo exercise the real diffusers and transformers code paths.
"""

from __future__ import annotations

import importlib
from typing import Any

import torch

# Imported as modules (their attributes are Any): diffusers and transformers are only partly typed.
transformers = importlib.import_module("transformers")
# Without torchvision (which must not be installed beside the CPU torch build), transformers says twice per start
# that it falls back to its PIL image processors; that is expected here, so only its errors are shown.
transformers.logging.set_verbosity_error()
diffusers = importlib.import_module("diffusers")
tokenizers = importlib.import_module("tokenizers")

TINY = "tiny"
END_OF_TEXT = "<|endoftext|>"


def bytes_to_unicode() -> dict[int, str]:
    """The byte -> printable character table used by GPT-2 and CLIP byte-level tokenizers."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {byte: chr(byte) for byte in printable}
    extra = 0
    for byte in range(256):
        if byte not in table:
            table[byte] = chr(256 + extra)
            extra += 1
    return dict(sorted(table.items()))


def clip_tokenizer(model_max_length: int = 77) -> Any:
    """A character-level CLIP tokenizer: 514 tokens, no merges, built in memory."""
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in bytes_to_unicode().values():
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    return transformers.CLIPTokenizer(vocab=vocab, merges=[], model_max_length=model_max_length)


#: the tiny SD-1.x-shaped UNet, VAE, CLIP text encoder and Euler scheduler, as constructor arguments
UNET: dict[str, Any] = {
    "sample_size": 32,
    "out_channels": 4,
    "block_out_channels": (32, 64),
    "layers_per_block": 2,
    "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"),
    "cross_attention_dim": 32,
    "attention_head_dim": 8,
    "norm_num_groups": 32,
}
VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "block_out_channels": (32, 64),
    "down_block_types": ("DownEncoderBlock2D", "DownEncoderBlock2D"),
    "up_block_types": ("UpDecoderBlock2D", "UpDecoderBlock2D"),
    "latent_channels": 4,
    "norm_num_groups": 32,
    "sample_size": 64,
}
TEXT_ENCODER: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 37,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "max_position_embeddings": 77,
}
SCHEDULER: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "timestep_spacing": "trailing",
    "steps_offset": 1,
}


def sd_components(seed: int = 0, unet_in_channels: int = 4) -> dict[str, Any]:
    """The modules of the tiny SD pipeline (UNet, VAE, CLIP text encoder, tokenizer, Euler scheduler)."""
    torch.manual_seed(seed)  # the modules draw their weights in this order: UNet, VAE, text encoder
    unet = diffusers.UNet2DConditionModel(in_channels=unet_in_channels, **UNET)
    vae = diffusers.AutoencoderKL(**VAE)
    tokenizer = clip_tokenizer()
    special = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    config = transformers.CLIPTextConfig(vocab_size=len(tokenizer), **TEXT_ENCODER, **special)
    return {
        "unet": unet,
        "vae": vae,
        "text_encoder": transformers.CLIPTextModel(config),
        "tokenizer": tokenizer,
        "scheduler": diffusers.EulerDiscreteScheduler(**SCHEDULER),
        "safety_checker": None,
        "feature_extractor": None,
        "image_encoder": None,
    }


def sd_pipeline(seed: int = 0) -> Any:
    """The tiny random-weight text-to-image pipeline; a 64x64 image takes well under a second on a CPU."""
    pipe = diffusers.StableDiffusionPipeline(**sd_components(seed), requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def byte_tokenizer(model_max_length: int = 2048) -> Any:
    """A byte-level tokenizer (256 byte tokens plus ``<|endoftext|>``), built in memory with no merges."""
    vocab = {char: index for index, char in enumerate(bytes_to_unicode().values())}
    vocab[END_OF_TEXT] = len(vocab)
    backend = tokenizers.Tokenizer(tokenizers.models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = tokenizers.decoders.ByteLevel()
    special = {"eos_token": END_OF_TEXT, "bos_token": END_OF_TEXT, "pad_token": END_OF_TEXT}
    return transformers.PreTrainedTokenizerFast(tokenizer_object=backend, model_max_length=model_max_length, **special)


def text_model(seed: int = 0) -> tuple[Any, Any]:
    """The tiny random-weight causal LM and its tokenizer."""
    tokenizer = byte_tokenizer()
    torch.manual_seed(seed)
    config = transformers.GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=tokenizer.model_max_length,
        n_embd=32,
        n_layer=2,
        n_head=4,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = transformers.GPT2LMHeadModel(config)
    model.eval()
    return model, tokenizer
