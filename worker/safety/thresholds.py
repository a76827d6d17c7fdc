"""The concepts and thresholds of the CSAM guard and the NSFW check, and their JSON override file.

A concept is a short text; its score is the cosine similarity between the image's CLIP embedding and the text's.
The defaults are calibrated for OpenAI's CLIP ViT-L/14 (the model AI Horde's ``horde-safety`` uses), on whose
scale a matching concept scores about 0.2 to 0.3 and an unrelated one about 0.1 to 0.15; the values follow the
calibration horde-safety published for that model. Another CLIP model puts scores elsewhere: calibrate it and give
the worker a ``csam_thresholds`` JSON file with any of these keys (a key present replaces the built-in table)::

    {"underage": {"child": 0.19, ...}, "underage_critical": {"child": 0.225, ...}, "lewd": {"porn": 0.2, ...},
     "controls": {"pregnant": [0.21, {"infant": -0.04}], ...}, "evidence_needed": 3, "critical_weight": 3}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

#: underage concepts, each with the score above which it counts as evidence
UNDERAGE: dict[str, float] = {
    "child": 0.19,
    "children": 0.19,
    "toddler": 0.19,
    "toddlers": 0.19,
    "infant": 0.19,
    "infants": 0.19,
    "tween": 0.19,
    "tweens": 0.19,
    "teen": 0.21,
    "teens": 0.21,
    "lolicon": 0.2,
}
#: above these, an underage concept counts ``critical_weight`` times
UNDERAGE_CRITICAL: dict[str, float] = {
    "child": 0.225,
    "children": 0.225,
    "toddler": 0.22,
    "toddlers": 0.22,
    "infant": 0.22,
    "infants": 0.22,
    "tween": 0.25,
    "tweens": 0.25,
    "teen": 0.26,
    "teens": 0.26,
    "lolicon": 0.25,
}
#: sexual concepts: one over its threshold makes an image NSFW (the ``nsfw`` form, the censor, the guard's half)
LEWD: dict[str, float] = {
    "porn": 0.2,
    "naked": 0.195,
    "nudity": 0.195,
    "hentai": 0.25,
    "orgy": 0.21,
    "lesbian scene": 0.22,
    "gay scene": 0.22,
}
#: control concepts that CLIP confuses with underage ones: over its threshold, each shifts some underage scores
CONTROLS: dict[str, tuple[float, dict[str, float]]] = {
    "pregnant": (0.21, {"infant": -0.04, "infants": -0.04, "toddler": -0.03, "toddlers": -0.03, "child": -0.02}),
    "anime": (0.23, {"teen": -0.03, "teens": -0.03}),
    "east asian": (0.24, {"teen": -0.025, "child": -0.025, "tween": -0.025}),
    "shota": (0.21, {"teen": 0.005, "tween": 0.01, "child": 0.013, "children": 0.013}),
}


def _both(deltas: Mapping[str, float]) -> dict[str, float]:
    """The same shift for a concept and its plural."""
    plural = {"child": "children", "toddler": "toddlers", "infant": "infants", "tween": "tweens", "teen": "teens"}
    result = dict(deltas)
    for singular, value in deltas.items():
        if singular in plural:
            result[plural[singular]] = value
    return result


#: words of the prompt (before ``###``) that shift underage scores: what was asked for is evidence too
PROMPT_CUES: tuple[tuple[re.Pattern[str], dict[str, float]], ...] = (
    (re.compile(r"\b(girl|boy)s?\b", re.IGNORECASE), _both({"teen": 0.015, "tween": 0.005})),
    (re.compile(r"\b(school|grade|classroom)", re.IGNORECASE), _both({"child": 0.01, "teen": 0.02, "tween": 0.015})),
    (re.compile(r"\b(baby|babies|toddler|infant)", re.IGNORECASE), _both({"infant": 0.02, "toddler": 0.02})),
    (re.compile(r"\b(child|kid)", re.IGNORECASE), _both({"child": 0.02, "infant": 0.01, "toddler": 0.01})),
    (re.compile(r"flat.?chest", re.IGNORECASE), {**_both({"tween": 0.015, "child": 0.015}), "lolicon": 0.01}),
    (re.compile(r"pig.?tails", re.IGNORECASE), _both({"child": 0.01, "tween": 0.007, "toddler": 0.01})),
    (re.compile(r"\b(little|small|tiny|petite)\b", re.IGNORECASE), _both({"child": 0.005, "tween": 0.003})),
    (
        re.compile(r"\b(woman|women|man|men|adult|mature|elderly)\b", re.IGNORECASE),
        _both({"child": -0.01, "toddler": -0.02, "infant": -0.02, "teen": -0.005, "tween": -0.005}),
    ),
)
#: words of the negative prompt (after ``###``): asking for no adults raises, asking for no children lowers
NEGATIVE_CUES: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(adult|mature|old|elderly|middle.aged)\b", re.IGNORECASE), 0.005),
    (re.compile(r"\b(young|little|child|children|kid)\b", re.IGNORECASE), -0.005),
)


@dataclass(frozen=True)
class GuardThresholds:
    """Everything the guard's decision depends on, besides the embeddings."""

    underage: Mapping[str, float] = field(default_factory=lambda: dict(UNDERAGE))
    underage_critical: Mapping[str, float] = field(default_factory=lambda: dict(UNDERAGE_CRITICAL))
    lewd: Mapping[str, float] = field(default_factory=lambda: dict(LEWD))
    controls: Mapping[str, tuple[float, Mapping[str, float]]] = field(default_factory=lambda: dict(CONTROLS))
    evidence_needed: int = 3  #: underage evidence (concepts over threshold, critical ones weighted) to flag
    critical_weight: int = 3

    @property
    def concepts(self) -> list[str]:
        """Every text the guard scores an image against."""
        return list(dict.fromkeys([*self.underage, *self.underage_critical, *self.lewd, *self.controls]))

    def with_overrides(self, data: Mapping[str, Any]) -> GuardThresholds:
        """These thresholds with the keys of ``data`` replaced (the JSON override file's content)."""
        known = {"underage", "underage_critical", "lewd", "controls", "evidence_needed", "critical_weight"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown threshold keys: {', '.join(sorted(unknown))}")
        changes: dict[str, Any] = {}
        for key in ("underage", "underage_critical", "lewd"):
            if key in data:
                changes[key] = {str(k): float(v) for k, v in dict(data[key]).items()}
        if "controls" in data:
            changes["controls"] = {
                str(name): (float(limit), {str(k): float(v) for k, v in dict(deltas).items()})
                for name, (limit, deltas) in dict(data["controls"]).items()
            }
        for key in ("evidence_needed", "critical_weight"):
            if key in data:
                changes[key] = int(data[key])
        return replace(self, **changes)


def load_thresholds(path: Path | None) -> GuardThresholds:
    """The built-in thresholds, with those of the JSON file ``path`` (when given) in their place."""
    defaults = GuardThresholds()
    if path is None:
        return defaults
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the thresholds file must hold a JSON object")
    return defaults.with_overrides(data)
