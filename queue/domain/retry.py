"""What happens to a job that timed out or came back faulted."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class RetryDecision:
    requeue: bool  #: True: back to the queue; False: the job (and its request) is faulted


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """A job may be handed out ``max_attempts`` times in all."""

    max_attempts: int = 3

    def decide(self, attempts_so_far: int) -> RetryDecision:
        return RetryDecision(requeue=attempts_so_far < self.max_attempts)
