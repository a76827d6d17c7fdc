"""The errors the worker's HTTP client raises; the loop decides what each means for the job at hand."""

from __future__ import annotations


class WorkerApiError(Exception):
    """The server could not be used for this call."""


class RequestRejectedError(WorkerApiError):
    """The server answered with a 4xx (or an unexpected non-200 to an upload): retrying will not help."""

    def __init__(self, status: int, rc: str = "", message: str = "", url: str = "") -> None:
        self.status = status
        self.rc = rc
        self.message = message
        self.url = url
        super().__init__(f"HTTP {status} {rc or ''} from {url}: {message}".strip())


class ServerUnavailableError(WorkerApiError):
    """Network errors or 5xx answers outlasted the retry policy."""

    def __init__(self, url: str, attempts: int, last: str) -> None:
        self.url = url
        self.attempts = attempts
        self.last = last
        super().__init__(f"{url} still failing after {attempts} attempts: {last}")
