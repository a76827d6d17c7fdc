"""``strip_background``: rembg with a local u2net-family ONNX file (rembg's ``u2net_custom`` session).

The model is a file the owner names (``--post-processor strip_background=PATH`` or ``ALCHEMY_DIR/
strip_background.onnx``), for example the ``u2net.onnx`` or ``isnet-general-use.onnx`` that rembg itself downloads
into ``~/.u2net``; nothing is fetched. rembg 2.0.86 refuses a ``model_path`` outside its own models folder (a guard
for its web service, where users pick the path); here the path comes from the worker's owner, so the session takes
it as given. The result is RGBA: the background is transparent.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import Any

from PIL import Image

from horde.worker.alchemy import forms
from horde.worker.alchemy.postprocessors import UnusableModelError

logger = logging.getLogger(__name__)


def rembg_problem() -> str | None:
    """Why rembg cannot run here, or None when it can."""
    try:
        importlib.import_module("rembg")
        importlib.import_module("onnxruntime")
    except Exception as exc:  # noqa: BLE001 - an optional dependency: any import failure means "not here"
        return f"rembg is not usable ({type(exc).__name__}: {exc}); pip install rembg onnxruntime"
    return None


def local_session(path: Path) -> Any:
    """A rembg ``u2net_custom`` session reading ``path``."""
    ort = importlib.import_module("onnxruntime")
    custom = importlib.import_module("rembg.sessions.u2net_custom")

    class LocalU2netSession(custom.U2netCustomSession):  # type: ignore[misc, name-defined]
        @classmethod
        def download_models(cls, *args: Any, **kwargs: Any) -> str:
            return str(kwargs["model_path"])

    options = ort.SessionOptions()
    options.log_severity_level = 3  # onnxruntime's warnings about unused initialisers are noise here
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    return LocalU2netSession("u2net_custom", options, model_path=str(path), providers=providers)


class BackgroundRemover:
    """The ``strip_background`` post-processor."""

    name = forms.STRIP_BACKGROUND

    def __init__(self, path: Path) -> None:
        problem = rembg_problem()
        if problem:
            raise UnusableModelError(problem)
        if not path.is_file():
            raise UnusableModelError(f"{path} does not exist")
        try:
            self.session = local_session(path)
        except Exception as exc:  # a broken or foreign file: any error means it cannot be served
            raise UnusableModelError(f"{path}: not a usable ONNX model ({type(exc).__name__}: {exc})") from exc
        self._remove = importlib.import_module("rembg").remove
        self._lock = threading.Lock()

    def __call__(self, image: Image.Image, *, strength: float = 1.0) -> Image.Image:
        with self._lock:
            result: Image.Image = self._remove(image.convert("RGB"), session=self.session)
        return result.convert("RGBA")
