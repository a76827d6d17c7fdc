"""CLIP (transformers and open_clip), BLIP captions and the CLIP forms load from folders on disk and run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from horde.worker.alchemy import concepts
from horde.worker.alchemy.captions import Captioner
from horde.worker.alchemy.clip import ClipEncoder
from horde.worker.alchemy.interrogation import ClipForms, interrogation, rank
from horde.worker.pipelines.loader import Runtime
from horde.worker.pipelines.tiny_alchemy import write_open_clip_model
from horde.worker.safety.thresholds import GuardThresholds
from tests.worker.alchemy.stubs import StubSpace

IMAGE = Image.effect_noise((40, 30), 60).convert("RGB")


def test_a_transformers_clip_folder_gives_unit_embeddings(tiny_clip: ClipEncoder) -> None:
    assert tiny_clip.backend == "transformers"
    assert tiny_clip.random_weights
    images = tiny_clip.encode_images([IMAGE, IMAGE.rotate(90)])
    texts = tiny_clip.encode_texts(["a cat", "a dog", "a cat"])
    assert images.shape == (2, 64)
    assert texts.shape == (3, 64)
    assert np.allclose(np.linalg.norm(images, axis=1), 1, atol=1e-5)
    assert np.array_equal(texts[0], texts[2])
    assert not np.allclose(images[0], images[1])


def test_an_open_clip_folder_loads_too(tmp_path: Path, cpu: Runtime) -> None:
    folder = write_open_clip_model(tmp_path / "open_clip")
    clip = ClipEncoder(folder, cpu)
    assert clip.backend == "open_clip"
    assert clip.random_weights
    assert clip.encode_images([IMAGE]).shape == (1, 64)
    assert np.allclose(np.linalg.norm(clip.encode_texts(["a cat", "nudity"]), axis=1), 1, atol=1e-5)


def test_a_real_clip_folder_is_not_marked_random(tmp_path: Path, alchemy_dir: Path, cpu: Runtime) -> None:
    folder = tmp_path / "clip"
    folder.mkdir()
    for path in (alchemy_dir / "clip").iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    config = json.loads((folder / "config.json").read_text())
    del config["horde_random_weights"]
    (folder / "config.json").write_text(json.dumps(config))
    assert not ClipEncoder(folder, cpu).random_weights


def test_blip_captions_from_a_folder(alchemy_dir: Path, cpu: Runtime) -> None:
    captioner = Captioner(alchemy_dir / "caption", cpu)
    caption = captioner.caption(IMAGE)
    assert isinstance(caption, str)
    assert caption  # random weights say random words of the tiny vocabulary
    assert caption == captioner.caption(IMAGE)  # beam search is deterministic
    assert "[SEP]" not in caption and "[DEC]" not in caption


def test_rank_orders_texts_by_similarity() -> None:
    space = StubSpace(["cat", "dog", "tree"])
    image = space.image({"dog": 0.6, "cat": 0.3, "tree": 0.1})
    texts = ["cat", "dog", "tree"]
    embeddings = np.stack([space.concepts[t] for t in texts])
    assert rank(image, texts, embeddings, 2) == [{"text": "dog", "confidence": 0.6}, {"text": "cat", "confidence": 0.3}]
    result = interrogation(
        image, {"tags": texts, "mediums": ["tree"]}, {"tags": embeddings, "mediums": embeddings[2:]}, {"tags": 1}
    )
    assert result == {"tags": [{"text": "dog", "confidence": 0.6}], "mediums": [{"text": "tree", "confidence": 0.1}]}


def test_interrogation_and_nsfw_with_the_tiny_clip(tiny_clip: ClipEncoder) -> None:
    forms = ClipForms(tiny_clip, GuardThresholds())
    result = forms.interrogate(IMAGE)
    assert set(result) == set(concepts.CATEGORIES)
    for category, tags in result.items():
        assert len(tags) == concepts.TOP[category]
        assert all(tag["text"] in concepts.CATEGORIES[category] for tag in tags)
        confidences = [float(tag["confidence"]) for tag in tags]
        assert confidences == sorted(confidences, reverse=True)
        assert all(-1 <= c <= 1 for c in confidences)
    assert isinstance(forms.is_nsfw(IMAGE), bool)
    everything = ClipForms(tiny_clip, GuardThresholds().with_overrides({"lewd": {"porn": -1.0}}))
    nothing = ClipForms(tiny_clip, GuardThresholds().with_overrides({"lewd": {"porn": 1.01}}))
    assert everything.is_nsfw(IMAGE) is True
    assert nothing.is_nsfw(IMAGE) is False


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_a_missing_clip_folder_fails_loudly(tmp_path: Path, cpu: Runtime, folder: str) -> None:
    path = tmp_path / folder
    if folder == "empty":
        path.mkdir()
    with pytest.raises(OSError):  # noqa: PT011 - transformers' own message names the folder
        ClipEncoder(path, cpu)
