"""Rating spam: ratings that never vary are not ratings. A rater whose ratings (score and artifacts) have been the
same ``IN_A_ROW`` times running earns nothing for them (issue 16: a rater who rates every image 10 got nearly
every image's price back, and with it a contributor's place in the queue)."""

from __future__ import annotations

from collections.abc import Sequence

IN_A_ROW = 10


def never_varies(latest: Sequence[tuple[int | None, int | None]]) -> bool:
    """Whether the latest ``IN_A_ROW`` ratings, (score, artifacts) newest first, are all the same."""
    scored = [pair for pair in latest if pair[0] is not None][:IN_A_ROW]
    return len(scored) >= IN_A_ROW and len(set(scored)) == 1
