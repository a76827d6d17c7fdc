"""Running an image model tile by tile, so that memory stays bounded whatever the image size.

The image is cut into cores of at most ``tile - 2 * overlap`` pixels a side; each core is run with up to ``overlap``
pixels of its neighbours around it (clamped at the image's edges), and only the core's part of the output is kept.
When ``overlap`` covers the model's receptive field the result equals a single pass exactly; for deep models a
32-pixel overlap leaves no visible seams. Tiles are padded (edge pixels repeated) to the model's size multiple.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention

Model = Callable[[torch.Tensor], torch.Tensor]


def spans(length: int, core: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """For one axis: ``(core_start, core_end, read_start, read_end)`` of every tile."""
    result = []
    for start in range(0, length, core):
        end = min(start + core, length)
        result.append((start, end, max(0, start - overlap), min(length, end + overlap)))
    return result


def run_tiled(
    model: Model, image: torch.Tensor, scale: int, *, tile: int = 512, overlap: int = 32, multiple_of: int = 1
) -> torch.Tensor:
    """``model`` over ``image`` (N, C, H, W), tile by tile; the output is (N, C', H * scale, W * scale)."""
    if tile <= 2 * overlap:
        raise ValueError(f"tile ({tile}) must exceed twice the overlap ({overlap})")
    height, width = image.shape[-2:]
    core = tile - 2 * overlap
    output: torch.Tensor | None = None
    for y0, y1, ry0, ry1 in spans(height, core, overlap):
        for x0, x1, rx0, rx1 in spans(width, core, overlap):
            piece = image[..., ry0:ry1, rx0:rx1]
            pad_h = -piece.shape[-2] % multiple_of
            pad_w = -piece.shape[-1] % multiple_of
            if pad_h or pad_w:
                piece = F.pad(piece, (0, pad_w, 0, pad_h), mode="replicate")
            result = model(piece)
            if output is None:
                output = result.new_zeros((*result.shape[:-2], height * scale, width * scale))
            top, left = (y0 - ry0) * scale, (x0 - rx0) * scale
            output[..., y0 * scale : y1 * scale, x0 * scale : x1 * scale] = result[
                ..., top : top + (y1 - y0) * scale, left : left + (x1 - x0) * scale
            ]
    if output is None:
        raise ValueError("the image has no pixels")
    return output
