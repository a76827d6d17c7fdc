"""What a mention asks for: ``draw me <prompt>`` (also ``draw for me``, ``draw us``), anywhere after the bot's
handle, case-insensitive; an optional ``style: <name>``; a negative prompt after ``###``. HTML is stripped first."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

ASK = re.compile(r"\bdraw\s+(?:for\s+me|me|us)\b[\s:,]*(?P<rest>.*)", re.IGNORECASE | re.DOTALL)
STYLE = re.compile(r"\bstyle\s*:\s*(?:\"(?P<quoted>[^\"]+)\"|(?P<word>[^\s,#]+))", re.IGNORECASE)
MENTION = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?")


@dataclasses.dataclass(frozen=True)
class Drawing:
    prompt: str
    negative: str = ""
    style: str | None = None


class _Text(HTMLParser):
    """Mastodon's status HTML as plain text: paragraphs and line breaks become new lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: str) -> str:
    parser = _Text()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()  # entities were converted once, by the parser: never twice


def parse(content: str, handle: str) -> Drawing | None:
    """The drawing a mention's HTML asks for, or None (it gets a short help reply). ``handle``: the bot's
    username; the request must come after it."""
    text = plain_text(content)
    at = re.search(rf"(?<![\w@])@{re.escape(handle)}(?:@[\w.-]+)?\b", text, re.IGNORECASE)
    found = ASK.search(text, at.end() if at else 0)
    if found is None:
        return None
    rest = found["rest"]
    style = None
    if (chosen := STYLE.search(rest)) is not None:
        style = (chosen["quoted"] or chosen["word"]).strip()
        rest = rest[: chosen.start()] + rest[chosen.end() :]
    positive, _, negative = rest.partition("###")
    prompt = " ".join(MENTION.sub(" ", positive).split())
    if not prompt:
        return None
    return Drawing(prompt=prompt[:1000], negative=" ".join(negative.split())[:1000], style=style)
