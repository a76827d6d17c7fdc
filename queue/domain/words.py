"""Blocked words, as the bots' operators set them: matched as whole words, without case or accents."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    """Lower case without diacritics, so "Ñàmé" matches "name"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def blocked_word(words: Iterable[str], text: str) -> str | None:
    """The first of ``words`` that ``text`` holds as a whole word, if any."""
    folded = fold(text)
    for word in words:
        if re.search(rf"(?<!\w){re.escape(fold(word))}(?!\w)", folded):
            return word
    return None
