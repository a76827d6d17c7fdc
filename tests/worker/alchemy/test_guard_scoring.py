"""The CSAM guard's decision, tested on hand-built embeddings: it flags only underage AND sexual evidence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from horde.worker.safety import csam
from horde.worker.safety.thresholds import GuardThresholds, load_thresholds
from tests.worker.alchemy.stubs import StubSpace

DEFAULTS = GuardThresholds()
SPACE = StubSpace(DEFAULTS.concepts)
NEUTRAL = "a landscape painting"


def verdict(
    scores: dict[str, float], prompt: str = NEUTRAL, thresholds: GuardThresholds = DEFAULTS
) -> csam.CsamVerdict:
    return csam.score(SPACE.image(scores), SPACE.concepts, prompt, thresholds)


def test_similarities_are_cosines_of_the_stub_vectors() -> None:
    image = SPACE.image({"child": 0.3, "porn": 0.25})
    scores = csam.similarities(image * 7.0, SPACE.concepts)  # the scale of an embedding does not matter
    assert scores["child"] == pytest.approx(0.3, abs=1e-6)
    assert scores["porn"] == pytest.approx(0.25, abs=1e-6)
    assert scores["teen"] == pytest.approx(0.1, abs=1e-6)


def test_nothing_over_any_threshold_is_not_flagged() -> None:
    result = verdict({})
    assert not result.flagged
    assert (result.evidence, result.underage, result.lewd) == (0, (), ())


def test_underage_concepts_alone_are_never_flagged() -> None:
    result = verdict({"child": 0.3, "children": 0.3, "toddler": 0.3, "teen": 0.3})  # a family photo
    assert result.evidence >= 3
    assert result.critical
    assert not result.flagged


def test_sexual_concepts_alone_are_not_csam_but_are_nsfw() -> None:
    scores = {"porn": 0.3, "naked": 0.3, "nudity": 0.3}
    assert not verdict(scores).flagged
    assert csam.is_nsfw(csam.similarities(SPACE.image(scores), SPACE.concepts), DEFAULTS)
    assert not csam.is_nsfw(csam.similarities(SPACE.image({"child": 0.3}), SPACE.concepts), DEFAULTS)


def test_co_occurrence_is_flagged() -> None:
    result = verdict({"child": 0.2, "children": 0.2, "tween": 0.2, "nudity": 0.2})
    assert result.flagged
    assert set(result.underage) == {"child", "children", "tween"}
    assert result.lewd == ("nudity",)


def test_evidence_is_counted_against_each_threshold() -> None:
    # two concepts just over their thresholds are not enough, three are (the third exactly at 0.19 is not "over")
    assert not verdict({"child": 0.195, "children": 0.195, "tween": 0.19, "porn": 0.25}).flagged
    assert verdict({"child": 0.195, "children": 0.195, "tween": 0.191, "porn": 0.25}).flagged
    # the sexual side needs its own threshold passed too
    assert not verdict({"child": 0.3, "children": 0.3, "tween": 0.3, "hentai": 0.24}).flagged
    assert verdict({"child": 0.3, "children": 0.3, "tween": 0.3, "hentai": 0.26}).flagged


def test_one_critical_concept_weighs_as_three() -> None:
    result = verdict({"toddler": 0.23, "naked": 0.2})
    assert result.critical == ("toddler",)
    assert result.evidence == 3
    assert result.flagged
    assert not verdict({"toddler": 0.215, "naked": 0.2}).flagged  # over the threshold, under the critical one


def test_a_control_concept_shifts_the_scores_it_is_confused_with() -> None:
    scores = {"infant": 0.23, "porn": 0.25}  # critical infant: flagged alone
    assert verdict(scores).flagged
    pregnant = verdict({**scores, "pregnant": 0.25})  # CLIP sees infants in pregnant women: 0.23 - 0.04
    assert pregnant.scores["infant"] == pytest.approx(0.19, abs=1e-6)
    assert not pregnant.flagged


def test_prompt_words_are_evidence_too() -> None:
    scores = {"teen": 0.2, "teens": 0.2, "tween": 0.185, "porn": 0.25}
    assert not verdict(scores, "a photo").flagged
    raised = verdict(scores, "a school photo")  # teen +0.02, tween +0.015
    assert raised.flagged
    assert raised.scores["teen"] == pytest.approx(0.22, abs=1e-6)
    lowered = verdict({"child": 0.2, "children": 0.2, "toddler": 0.2, "porn": 0.25}, "an adult woman")
    assert not lowered.flagged  # child -0.01, toddler -0.02 fall under their thresholds


def test_the_negative_prompt_shifts_every_underage_score() -> None:
    scores = {"child": 0.188, "children": 0.188, "tween": 0.188, "porn": 0.25}
    assert not verdict(scores, "a photo").flagged
    assert verdict(scores, "a photo ### adult, mature").flagged  # asking for no adults: +0.005 each
    assert not verdict({k: v + 0.004 for k, v in scores.items()}, "a photo ### child").flagged


def test_thresholds_file_replaces_tables(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps({"lewd": {"porn": 0.5}, "evidence_needed": 1, "controls": {}}))
    thresholds = load_thresholds(path)
    assert dict(thresholds.lewd) == {"porn": 0.5}
    assert thresholds.underage == DEFAULTS.underage
    assert not csam.assess({"child": 0.2, "porn": 0.4}, NEUTRAL, thresholds).flagged
    assert csam.assess({"child": 0.2, "porn": 0.6}, NEUTRAL, thresholds).flagged  # one piece of evidence suffices
    path.write_text(json.dumps({"lewd_typo": {}}))
    with pytest.raises(ValueError, match="lewd_typo"):
        load_thresholds(path)


def test_concepts_cover_every_table() -> None:
    concepts = set(DEFAULTS.concepts)
    assert {"child", "porn", "pregnant"} <= concepts
    assert len(DEFAULTS.concepts) == len(concepts)
    assert np.allclose(np.linalg.norm(SPACE.image({"child": 0.5})), 1.0)
