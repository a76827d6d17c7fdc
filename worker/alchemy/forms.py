"""The names of alchemy forms and post-processors, and what each must produce.

An alchemy "form" is one thing done to one image: ``caption``, ``interrogation`` and ``nsfw`` answer with data; the
post-processors (upscalers, face fixers, ``strip_background``) answer with an image. Post-processors are also asked
for by image requests (``post_processing``), applied after generation.
"""

from __future__ import annotations

from typing import Final

CAPTION: Final = "caption"
INTERROGATION: Final = "interrogation"
NSFW: Final = "nsfw"
STRIP_BACKGROUND: Final = "strip_background"

#: upscaler name -> the scale its result must have (the server checks the size)
UPSCALERS: Final[dict[str, int]] = {
    "RealESRGAN_x4plus": 4,
    "RealESRGAN_x2plus": 2,
    "RealESRGAN_x4plus_anime_6B": 4,
    "NMKD_Siax": 4,
    "4x_AnimeSharp": 4,
}
#: face fixer name -> the spandrel architectures that may serve it. GFPGAN's own project ships RestoreFormer as an
#: alternative GFPGAN model; CodeFormer is only in ``spandrel_extra_arches`` (non-commercial licence), which the
#: worker does not load, so ``CodeFormers`` is never served.
FACE_FIXERS: Final[dict[str, frozenset[str]]] = {
    "GFPGAN": frozenset({"GFPGAN", "RestoreFormer"}),
    "CodeFormers": frozenset({"CodeFormer"}),
}
POST_PROCESSORS: Final[tuple[str, ...]] = (*UPSCALERS, *FACE_FIXERS, STRIP_BACKGROUND)
DATA_FORMS: Final[tuple[str, ...]] = (CAPTION, INTERROGATION, NSFW)
ALL_FORMS: Final[tuple[str, ...]] = (*DATA_FORMS, *POST_PROCESSORS)


def expected_scale(name: str) -> int:
    """How much a post-processor enlarges the image: the upscaler's scale, 1 for the others."""
    return UPSCALERS.get(name, 1)


def is_post_processor(name: str) -> bool:
    """Whether ``name`` is a form that answers with an image."""
    return name in POST_PROCESSORS
