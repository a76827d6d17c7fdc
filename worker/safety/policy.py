"""When the CSAM guard runs on a worker, and what the worker tells the server: decided from the settings alone.

The policy (:func:`plan`, before any model loads):
- With a CLIP model (``clip_model``, or ``ALCHEMY_DIR/clip``) the guard checks every image the worker makes,
  after post-processing. A flagged image is never sent: the worker submits a black image of the same size with
  state ``csam`` and ``gen_metadata [{type: censorship, value: csam}]``.
- A worker serving only the built-in ``tiny`` model needs no guard: its random weights draw noise, never a
  picture of anyone. It says so at start, tells the server its images are safe (``csam_guard: true``) and takes
  NSFW requests as before, so the offline demo works with no model files. ``csam_guard=true`` runs the guard
  anyway (tests do, with a random-weight CLIP model and thresholds forced by a file).
- Without a CLIP model (or with ``csam_guard=false``) the guard is off: the worker says so at start, pops with
  ``csam_guard: false`` and ``nsfw: false`` (so a Horde server sends it only requests with nsfw=false and
  censoring on), and censors every image it makes whatever the request says, failing closed (black) when no
  checker is configured, in case a server that ignores ``csam_guard`` sends it an uncensored request.
- An owner asking for NSFW work (``nsfw=true``) with the guard off is refused at start.
"""

from __future__ import annotations

from dataclasses import dataclass

from horde.worker.pipelines.loader import parse_source
from horde.worker.settings import WorkerSettings


class GuardPolicyError(ValueError):
    """The settings ask for something the guard policy forbids; the message says what to change."""


@dataclass(frozen=True)
class GuardPlan:
    """What the worker does about the CSAM guard, and what it tells the server."""

    runs: bool  #: every image is checked with CLIP
    exempt: bool  #: only the built-in random-weight tiny model is served: no check needed
    nsfw: bool  #: the image pop's ``nsfw``
    message: str  #: said at start

    @property
    def advertised(self) -> bool:
        """The image pop's ``csam_guard``: the worker's images are checked, or cannot be CSAM."""
        return self.runs or self.exempt


def serves_only_tiny(settings: WorkerSettings) -> bool:
    """Whether every image model is the built-in random-weight ``tiny``."""
    sources = [parse_source(entry, settings.model_dir) for entry in settings.models]
    return bool(sources) and all(source.kind == "builtin" for source in sources)


def plan(settings: WorkerSettings) -> GuardPlan:
    """The guard policy for these settings; GuardPolicyError when they contradict it."""
    if settings.alchemy_only:
        return GuardPlan(runs=False, exempt=False, nsfw=False, message="alchemy only: this worker makes no images")
    clip = settings.clip_folder
    tiny_only = serves_only_tiny(settings)
    if settings.csam_guard and clip is None:
        raise GuardPolicyError("csam_guard=true needs a CLIP model: give --clip-model DIR")
    runs = clip is not None and (settings.csam_guard if settings.csam_guard is not None else not tiny_only)
    exempt = tiny_only and not runs
    if settings.nsfw and not (runs or exempt):
        why = "csam_guard=false" if clip is not None else "no CLIP model is configured"
        raise GuardPolicyError(
            f"NSFW work needs the CSAM guard, and it is off ({why}): give --clip-model DIR "
            "(a CLIP folder, see docs/howto/alchemy-worker.md) or run with --no-nsfw"
        )
    nsfw = settings.nsfw if settings.nsfw is not None else (runs or exempt)
    if runs:
        message = f"CSAM guard on: every image is checked with the CLIP model in {clip}"
    elif exempt:
        message = (
            "CSAM guard not needed: this worker serves only the built-in random-weight 'tiny' model, whose images "
            "are noise; it takes NSFW requests" + (" (csam_guard=true would run it anyway)" if clip else "")
        )
    else:
        why = "csam_guard=false" if clip is not None else "no CLIP model configured (--clip-model DIR)"
        message = (
            f"CSAM guard OFF ({why}): this worker takes only requests with nsfw=false and censoring on, "
            "and censors every image it makes"
        )
    return GuardPlan(runs=runs, exempt=exempt, nsfw=nsfw, message=message)
