"""The folder result store: small results are written on the event loop, large ones on a thread; both whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from horde.queue.store.results import INLINE_WRITE_BYTES, FolderResultStore


@pytest.mark.parametrize("size", [10, INLINE_WRITE_BYTES, INLINE_WRITE_BYTES + 1, 3 * INLINE_WRITE_BYTES])
async def test_results_of_any_size_are_saved_whole(tmp_path: Path, size: int) -> None:
    store = FolderResultStore(tmp_path / "results")
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    await store.save("job.webp", data)
    assert await store.load("job.webp") == data
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["job.webp"]  # no .part left behind
    await store.save("job.webp", b"again")  # replaced whole
    assert await store.load("job.webp") == b"again"
