from __future__ import annotations

from horde.worker import api_models
from tests.worker.fakes import NO_JOB, image_job


def test_pop_response_ignores_unknown_fields_and_lists_jobs() -> None:
    job = api_models.ImagePopResponse.model_validate(image_job(n=2, seed=5, unknown_param=1))
    assert job.job_ids == ["job-1-0", "job-1-1"]
    assert job.payload.seed == 5
    assert job.payload.n_iter == 2
    assert job.upload_url(1) == "https://storage.test/upload/job-1-1"


def test_empty_pop_has_no_jobs() -> None:
    assert api_models.ImagePopResponse.model_validate(NO_JOB).job_ids == []
    assert api_models.TextPopResponse.model_validate(NO_JOB).job_ids == []


def test_single_upload_url_only_for_the_first_job() -> None:
    job = api_models.ImagePopResponse.model_validate({**image_job(), "r2_uploads": None})
    assert job.upload_url(0) == "https://storage.test/upload/job-1"
    assert job.upload_url(1) is None


def test_payload_accepts_steps_and_blank_seed_aliases() -> None:
    payload = api_models.ImagePayload.model_validate({"steps": 9, "n": 3, "seed": ""})
    assert (payload.ddim_steps, payload.n_iter, payload.seed) == (9, 3, None)


def test_submit_dump_leaves_out_unset_optionals() -> None:
    body = api_models.ImageSubmitRequest(id="j", generation="R2", seed=1)
    assert body.model_dump(mode="json", exclude_none=True) == {
        "id": "j",
        "generation": "R2",
        "seed": 1,
        "state": "ok",
        "censored": False,
        "gen_metadata": [],
    }
