"""The worker loop: pop, generate in a thread, upload, submit, repeat; drain on SIGINT/SIGTERM.

Each of ``threads`` image slots (one text slot when text models are served, and ``threads`` alchemy slots when
alchemy forms are served) pops on its own; generation runs in
``asyncio.to_thread`` so the event loop keeps serving uploads, submits and signals, and the generators serialise the
pipeline calls themselves. A job whose generation raises is submitted as ``faulted``. A 4xx from the server (or
retries exhausted on a submit) abandons that job only, and the loop goes on. Setting the stop event (the signal
handlers do) lets the jobs in hand finish and be submitted, then the loop returns its :class:`Summary`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from PIL import Image
from tqdm import tqdm  # type: ignore[import-untyped]

from horde.worker import api_models, capabilities
from horde.worker.alchemy.alchemist import FormResult
from horde.worker.client import HordeClient
from horde.worker.errors import RequestRejectedError, WorkerApiError
from horde.worker.generate import GeneratedImage, SourceImages, StepCallback, parse_seed
from horde.worker.imagefiles import decode_image, encode_result, is_url, to_base64
from horde.worker.safety.policy import GuardPlan
from horde.worker.settings import WorkerSettings
from horde.worker.text import GeneratedText

PopT = TypeVar("PopT")

logger = logging.getLogger(__name__)


class ImageRunner(Protocol):
    """Generates the images of a popped job (``horde.worker.generate.ImageGenerator``)."""

    def generate(
        self, job: api_models.ImagePopResponse, sources: SourceImages | None = None, on_step: StepCallback | None = None
    ) -> list[GeneratedImage]: ...


class TextRunner(Protocol):
    """Generates the text of a popped job (``horde.worker.text.TextGenerator``)."""

    def generate(self, job: api_models.TextPopResponse) -> GeneratedText: ...


class AlchemyRunner(Protocol):
    """Runs alchemy forms (``horde.worker.alchemy.alchemist.Alchemist``)."""

    @property
    def forms(self) -> list[str]: ...

    def run(self, form: str, image: Image.Image) -> FormResult: ...


@dataclass
class Summary:
    """What a worker run achieved."""

    submitted: int = 0
    faulted: int = 0
    abandoned: int = 0
    kudos: float = 0.0

    def line(self) -> str:
        """The one-line summary printed at the end of a run."""
        return (
            f"{self.submitted} generations submitted, {self.faulted} faulted, {self.abandoned} abandoned; "
            f"{self.kudos:.2f} kudos earned"
        )


class WorkerLoop:
    """One worker process's main loop over a :class:`HordeClient`."""

    def __init__(
        self,
        settings: WorkerSettings,
        client: HordeClient,
        images: ImageRunner | None,
        texts: TextRunner | None = None,
        *,
        alchemist: AlchemyRunner | None = None,
        post_processors: Sequence[str] = (),
        guard: GuardPlan | None = None,
        stop: asyncio.Event | None = None,
        show_progress: bool = True,
    ) -> None:
        self.settings = settings
        self.client = client
        self.images = images
        self.texts = texts
        self.alchemist = alchemist
        self.stop = stop or asyncio.Event()
        self.show_progress = show_progress
        self.summary = Summary()
        agent = client.client_agent
        self._image_pop = capabilities.image_pop_request(settings, agent, post_processors=post_processors, guard=guard)
        self._text_pop = capabilities.text_pop_request(settings, agent)
        forms = alchemist.forms if alchemist is not None else []
        self._alchemy_pop = capabilities.alchemy_pop_request(settings, forms, agent)

    async def run(self) -> Summary:
        """Work until the stop event is set (or after one pop round with ``once``); return the summary."""
        slots = []
        if self.images is not None and self._image_pop.models and not self.settings.alchemy_only:
            slots += [self._slot(self.image_round) for _ in range(self.settings.threads)]
        if self.texts is not None and self._text_pop.models and not self.settings.alchemy_only:
            slots.append(self._slot(self.text_round))
        if self.alchemist is not None and self._alchemy_pop.forms:
            slots += [self._slot(self.alchemy_round) for _ in range(self.settings.threads)]
        await asyncio.gather(*slots)
        logger.info("worker stopped: %s", self.summary.line(), extra={"action": "worker_stopped"})
        return self.summary

    async def _slot(self, round_: Callable[[], Any]) -> None:
        while not self.stop.is_set():
            worked = await round_()
            if self.settings.once:
                return
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), timeout=self.settings.poll_interval)

    async def _unless_stopped(self, pop: Coroutine[Any, Any, PopT]) -> PopT | None:
        """A pop, abandoned (None) when the worker is asked to stop: it holds no job yet, and a pop waiting out the
        backoff of an unreachable server must not keep a draining worker alive. A job the server handed out just
        as the pop was abandoned goes back to the queue at its deadline."""
        popping = asyncio.ensure_future(pop)
        stopping = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({popping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            popping.cancel()
            raise
        finally:
            stopping.cancel()
        if popping.done():
            return popping.result()
        popping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await popping
        return None

    async def image_round(self) -> bool:
        """Pop once and handle what came; True when a job was handled."""
        try:
            job = await self._unless_stopped(self.client.pop_image(self._image_pop))
        except WorkerApiError as exc:
            logger.error("image pop failed: %s", exc, extra={"action": "pop_failed"})
            return False
        if job is None or not job.job_ids:
            return False
        await self.process_image(job)
        return True

    async def process_image(self, job: api_models.ImagePopResponse) -> None:
        """Generate, upload and submit every image of ``job`` (or submit it as faulted)."""
        ids = job.job_ids
        logger.info("image job %s (%d) on %s", ids[0], len(ids), job.model, extra={"action": "job_started"})
        with self._bar(ids[0], job.payload.ddim_steps) as on_step:
            try:
                sources = await self._sources(job)
                results = await asyncio.to_thread(self.images.generate, job, sources, on_step)  # type: ignore[union-attr]
            except Exception:  # a worker-loop boundary: any generation failure faults the job
                logger.exception("image job %s failed", ids[0], extra={"action": "job_faulted"})
                await self._fault_images(job)
                return
        for index, (job_id, result) in enumerate(zip(ids, results, strict=False)):
            generation = await self._deliver(job.upload_url(index), result.webp)
            body = api_models.ImageSubmitRequest(
                id=job_id,
                generation=generation,
                seed=result.seed,
                state=result.state,
                censored=result.state in ("censored", "csam"),
                gen_metadata=result.metadata,
            )
            await self._submit(job_id, self.client.submit_image(body))

    async def text_round(self) -> bool:
        """Pop text work once and handle it; True when a job was handled."""
        try:
            job = await self._unless_stopped(self.client.pop_text(self._text_pop))
        except WorkerApiError as exc:
            logger.error("text pop failed: %s", exc, extra={"action": "pop_failed"})
            return False
        if job is None or not job.job_ids:
            return False
        job_id = job.job_ids[0]
        logger.info("text job %s on %s", job_id, job.model, extra={"action": "job_started"})
        try:
            result = await asyncio.to_thread(self.texts.generate, job)  # type: ignore[union-attr]
        except Exception:  # a worker-loop boundary: any generation failure faults the job
            logger.exception("text job %s failed", job_id, extra={"action": "job_faulted"})
            self.summary.faulted += 1
            body = api_models.TextSubmitRequest(id=job_id, generation="", seed=job.payload.seed or 0, state="faulted")
            await self._submit(job_id, self.client.submit_text(body))
            return True
        submit = api_models.TextSubmitRequest(id=job_id, generation=result.text, seed=result.seed)
        await self._submit(job_id, self.client.submit_text(submit))
        return True

    async def alchemy_round(self) -> bool:
        """Pop alchemy forms once and do them; True when a form was handled."""
        try:
            pop = await self._unless_stopped(self.client.pop_alchemy(self._alchemy_pop))
        except WorkerApiError as exc:
            logger.error("alchemy pop failed: %s", exc, extra={"action": "pop_failed"})
            return False
        if pop is None or not pop.forms:
            return False
        for form in pop.forms:
            await self.process_form(form)
        return True

    async def process_form(self, form: api_models.AlchemyForm) -> None:
        """Fetch the source image, run the form, upload an image result, submit (``faulted`` on failure)."""
        logger.info("alchemy form %s: %s", form.id, form.form, extra={"action": "job_started"})
        with self._bar(form.id, 1, unit="form") as on_step:
            try:
                source = form.source_image
                image = decode_image(await self.client.download(source) if is_url(source) else source)
                result = await asyncio.to_thread(self.alchemist.run, form.form, image)  # type: ignore[union-attr]
                answer: dict[str, object] = dict(result.data)
                if result.image is not None:
                    data = await asyncio.to_thread(encode_result, result.image)
                    answer = {form.form: await self._deliver(form.r2_upload, data)}
            except Exception:  # a worker-loop boundary: any failure faults the form, which goes back to the queue
                logger.exception("alchemy form %s (%s) failed", form.id, form.form, extra={"action": "job_faulted"})
                self.summary.faulted += 1
                body = api_models.AlchemySubmitRequest(id=form.id, result={}, state="faulted")
                await self._submit(form.id, self.client.submit_alchemy(body))
                return
            on_step(1, 1)
        await self._submit(
            form.id, self.client.submit_alchemy(api_models.AlchemySubmitRequest(id=form.id, result=answer))
        )

    async def _sources(self, job: api_models.ImagePopResponse) -> SourceImages:
        async def fetch(value: str | None) -> Any:
            if not value:
                return None
            return decode_image(await self.client.download(value) if is_url(value) else value)

        return SourceImages(await fetch(job.source_image), await fetch(job.source_mask))

    async def _deliver(self, upload_url: str | None, webp: bytes) -> str:
        """Upload to the presigned URL and answer "R2"; without a URL, or if the upload fails, base64."""
        if upload_url:
            try:
                await self.client.upload(upload_url, webp)
            except WorkerApiError as exc:
                logger.warning("upload failed, sending base64: %s", exc, extra={"action": "upload_failed"})
            else:
                return "R2"
        return to_base64(webp)

    async def _submit(self, job_id: str, call: Any) -> None:
        try:
            answer: api_models.SubmitResponse = await call
        except RequestRejectedError as exc:
            self.summary.abandoned += 1
            logger.error("submit of %s rejected, job abandoned: %s", job_id, exc, extra={"action": "job_abandoned"})
            return
        except WorkerApiError as exc:
            self.summary.abandoned += 1
            logger.error("submit of %s failed, job abandoned: %s", job_id, exc, extra={"action": "job_abandoned"})
            return
        self.summary.submitted += 1
        self.summary.kudos += answer.reward
        logger.info(
            "submitted %s: +%.2f kudos (%.2f in all)",
            job_id,
            answer.reward,
            self.summary.kudos,
            extra={"action": "job_submitted", "job_id": job_id},
        )

    async def _fault_images(self, job: api_models.ImagePopResponse) -> None:
        seed = parse_seed(job.payload.seed) if job.payload.seed is not None else 0
        for job_id in job.job_ids:
            self.summary.faulted += 1
            body = api_models.ImageSubmitRequest(id=job_id, generation="faulted", seed=seed, state="faulted")
            await self._submit(job_id, self.client.submit_image(body))

    @contextlib.contextmanager
    def _bar(self, job_id: str, steps: int, unit: str = "step") -> Any:
        """A progress bar on stderr for one job; yields the step callback for the generator."""
        bar = tqdm(total=steps, desc=f"job {job_id[:8]}", unit=unit, file=sys.stderr, disable=not self.show_progress)

        def on_step(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            yield on_step
        finally:
            bar.set_postfix_str(f"{self.summary.kudos:.1f} kudos so far")
            bar.close()


def install_signal_handlers(stop: asyncio.Event) -> Callable[[], None]:
    """SIGINT/SIGTERM set ``stop`` (drain); a second signal acts as usual. Returns a function removing them."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def drain(signum: signal.Signals) -> None:
        logger.warning("%s: finishing the current job, then stopping", signum.name, extra={"action": "drain_started"})
        stop.set()
        remove()

    def remove() -> None:
        for sig in signals:
            loop.remove_signal_handler(sig)

    for sig in signals:
        loop.add_signal_handler(sig, drain, sig)
    return remove
