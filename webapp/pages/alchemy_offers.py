"""What the alchemy and generate pages offer: every alchemy form and post-processor with a label a person reads, in
the groups the pages show them, each marked by whether an online worker runs it now; and reading the choices back.

The names are AI Horde's. Which ones exist is the engine's to say: a name that is not one is passed on, and the
engine refuses it with its usual message (one set of rules, not two).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable

from starlette.datastructures import ImmutableMultiDict

DESCRIBING = (
    ("caption", "Caption", "A sentence that describes the image; you can use it as a prompt."),
    ("nsfw", "NSFW check", "Whether the image is safe for work."),
    ("interrogation", "Tags", "Words that describe the image, each with a confidence."),
)
UPSCALERS = (
    ("RealESRGAN_x2plus", "Upscale ×2", "RealESRGAN"),
    ("RealESRGAN_x4plus", "Upscale ×4", "RealESRGAN"),
    ("RealESRGAN_x4plus_anime_6B", "Upscale ×4, anime", "RealESRGAN anime 6B"),
    ("NMKD_Siax", "Upscale ×4, photos", "NMKD Siax"),
    ("4x_AnimeSharp", "Upscale ×4, sharp anime", "AnimeSharp"),
)
FIXERS = (
    ("GFPGAN", "Fix faces", "GFPGAN"),
    ("CodeFormers", "Fix faces, stronger", "CodeFormers"),
    ("strip_background", "Remove the background", "leaves the subject on transparency"),
)
LABELS = {name: label for name, label, _ in (*DESCRIBING, *UPSCALERS, *FIXERS)}
POST_PROCESSORS = frozenset(name for name, _, _ in (*UPSCALERS, *FIXERS))
NOT_SERVED = "no alchemist online serves this now"


@dataclasses.dataclass(frozen=True)
class Option:
    """One choice on a page."""

    name: str
    label: str
    note: str
    offered: bool  #: some online worker runs it now
    chosen: bool


def options(group: Iterable[tuple[str, str, str]], offered: Collection[str], chosen: Collection[str]) -> list[Option]:
    return [Option(name, label, note, name in offered, name in chosen) for name, label, note in group]


def label(name: str) -> str:
    return LABELS.get(name, name)


def _names(values: Iterable[object]) -> list[str]:
    """Each non-empty name once, in the order given (an uploaded file where a name belongs is no name)."""
    return list(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))


def chosen_forms(form: ImmutableMultiDict[str, object]) -> list[str]:
    """The alchemy page's choices: the ``forms`` checkboxes and the one ``upscaler`` radio button. (Never a field
    named ``form``: the form element would show it as its ``.form``, which htmx reads, and submitting breaks.)"""
    return _names([*form.getlist("forms"), *form.getlist("upscaler")])


def chosen_post_processing(form: ImmutableMultiDict[str, object]) -> list[str]:
    """The generate page's choices: the ``upscaler`` select and the ``post_processing`` checkboxes."""
    return _names([*form.getlist("upscaler"), *form.getlist("post_processing")])
