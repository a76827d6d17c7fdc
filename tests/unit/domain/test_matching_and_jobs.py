from __future__ import annotations

from horde.queue.domain import jobs, matching
from horde.queue.domain.jobs import JobState
from horde.queue.domain.matching import RequestNeeds, SkipReason, WorkerProfile
from horde.queue.domain.retry import RetryPolicy

WORKER = WorkerProfile(worker_id="w", owner_id=1, models=frozenset({"a", "b"}), max_pixels=512 * 512, nsfw=False)


def need(**kwargs: object) -> RequestNeeds:
    base: dict[str, object] = {"request_id": "r", "user_id": 2, "models": frozenset({"a"}), "pixels": 64 * 64}
    base.update(kwargs)
    return RequestNeeds(**base)  # type: ignore[arg-type]


def test_a_worker_takes_what_it_can_do() -> None:
    assert matching.skip_reason(WORKER, need()) is None
    assert matching.skip_reason(WORKER, need(models=frozenset())) is None  # any model


def test_each_rule_names_its_reason() -> None:
    cases = {
        SkipReason.MODELS: need(models=frozenset({"c"})),
        SkipReason.MAX_PIXELS: need(pixels=1024 * 1024),
        SkipReason.NSFW: need(nsfw=True),
        SkipReason.UNTRUSTED: need(trusted_only=True),
        SkipReason.WORKER_ID: need(worker_ids=frozenset({"other"})),
        SkipReason.LORA: need(needs_lora=True),
    }
    for reason, request in cases.items():
        assert matching.skip_reason(WORKER, request) is reason
    assert (
        matching.skip_reason(WORKER, need(worker_ids=frozenset({"w"}), worker_blacklist=True)) is SkipReason.WORKER_ID
    )
    assert matching.skip_reason(WORKER, need(worker_ids=frozenset({"w"}))) is None
    blacklisting = WorkerProfile(worker_id="w", owner_id=1, models=frozenset({"a"}), blacklist=frozenset({"cat"}))
    assert matching.skip_reason(blacklisting, need(prompt="A Cat")) is SkipReason.BLACKLIST
    picky = WorkerProfile(worker_id="w", owner_id=1, models=frozenset({"a"}), require_upfront_kudos=True)
    assert matching.skip_reason(picky, need(requester_has_spare_kudos=False)) is SkipReason.KUDOS
    assert matching.skip_reason(picky, need(requester_has_spare_kudos=False, user_id=1)) is None  # own request


def test_model_choice_and_batching() -> None:
    assert matching.choose_model(WORKER, need(models=frozenset({"b", "z"}))) == "b"
    assert matching.choose_model(WORKER, need(models=frozenset())) == "a"
    assert matching.batch_size(512 * 512 * 4, amount=4, pixels=512 * 512, waiting=3) == 3
    assert matching.batch_size(512 * 512, amount=4, pixels=512 * 512, waiting=4) == 1
    assert matching.batch_size(512 * 512, amount=1, pixels=64 * 64, waiting=4) == 1


def test_state_machine_table() -> None:
    assert jobs.can_move(JobState.QUEUED, JobState.PROCESSING)
    assert jobs.can_move(JobState.PROCESSING, JobState.QUEUED)  # re-queued after a timeout
    assert not jobs.can_move(JobState.DONE, JobState.PROCESSING)
    assert all(not jobs.TRANSITIONS[state] for state in jobs.FINAL_STATES)
    assert set(jobs.sources_of(JobState.PROCESSING)) == {JobState.QUEUED}


def test_retry_policy() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.decide(n).requeue for n in (1, 2, 3)] == [True, True, False]
