"""The job and request state machines: one table of allowed moves, shared by the domain and the store."""

from __future__ import annotations

import enum


class JobState(enum.StrEnum):
    """Where one job (one image or text for one worker) stands."""

    QUEUED = "queued"  #: waiting for a worker
    PROCESSING = "processing"  #: handed to a worker, which must submit before the deadline
    DONE = "done"  #: a result came back (ok or censored)
    FAULTED = "faulted"  #: failed more times than the retry policy allows
    CANCELLED = "cancelled"  #: the requester cancelled it before a worker took it


#: state -> the states a job may move to from it
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.PROCESSING, JobState.CANCELLED, JobState.FAULTED}),
    # back to QUEUED on a timeout or a faulted submit; FAULTED when out of attempts
    JobState.PROCESSING: frozenset({JobState.DONE, JobState.QUEUED, JobState.FAULTED}),
    JobState.DONE: frozenset(),
    JobState.FAULTED: frozenset(),
    JobState.CANCELLED: frozenset(),
}

FINAL_STATES = frozenset({JobState.DONE, JobState.FAULTED, JobState.CANCELLED})


def sources_of(target: JobState) -> tuple[JobState, ...]:
    """The states from which a job may move to ``target`` (for guarded ``UPDATE … WHERE state IN``)."""
    return tuple(state for state, targets in TRANSITIONS.items() if target in targets)


def can_move(source: JobState, target: JobState) -> bool:
    return target in TRANSITIONS[source]


class RequestState(enum.StrEnum):
    """Where a generation request stands as a whole."""

    WAITING = "waiting"  #: some jobs are queued or processing
    DONE = "done"  #: every job is finished
    CANCELLED = "cancelled"  #: the requester cancelled; finished results are kept
    FAULTED = "faulted"  #: a job failed too often; finished results are kept
    EXPIRED = "expired"  #: nobody served it in time, or its results were removed


ACTIVE_REQUEST_STATES = frozenset({RequestState.WAITING})


class GenerationKind(enum.StrEnum):
    """What a request asks for."""

    IMAGE = "image"  #: images (Stable Diffusion and friends)
    TEXT = "text"  #: text (language models)
    INTERROGATION = "interrogation"  #: alchemy: forms asked of an image (its workers are "alchemists")


class ResultState(enum.StrEnum):
    """What a worker says about one result, as AI Horde's ``state`` field."""

    OK = "ok"  #: a good result
    CENSORED = "censored"  #: the worker's NSFW censor replaced the image
    FAULTED = "faulted"  #: the worker could not make it
    CSAM = "csam"  #: the worker's CSAM check blocked it
