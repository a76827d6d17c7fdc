"""Properties of the mention grammar over generated mentions (hypothesis): what a person types after
``@horde draw me`` comes back as the prompt, however Mastodon wraps and escapes it, and no text makes the parser
fail or hand back a prompt it should not."""

from __future__ import annotations

import html

from hypothesis import example, given, strategies as st

from horde.bots.mastodon.grammar import Drawing, parse

#: what a status's HTML looks like on Mastodon: the mention is a link in an h-card, the text is escaped
WRAPPED = '<p><span class="h-card"><a href="https://bots.example/@horde" class="u-url mention">@<span>horde</span></a></span> {}</p>'

# words a person may type: no "@" (a mention), "#" (the negative prompt) or ":" (``style:``)
WORD = st.text(
    alphabet=st.characters(categories=["L", "N"]) | st.sampled_from("&<>\"'!?.-;%()"), min_size=1, max_size=12
).filter(lambda w: w[0].isalnum())
WORDS = st.lists(WORD, min_size=1, max_size=20)
SPACE = st.sampled_from([" ", "  ", "\n", "<br>", "</p><p>"])
ASKS = st.sampled_from(["draw me", "draw for me", "draw us"])


def cased(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if flip else c for c, flip in zip(text, flips + [False] * len(text), strict=False))


def typed(words: list[str], space: str) -> str:
    """The words as they arrive in the status's HTML: escaped, separated by spaces or line breaks."""
    return space.join(html.escape(w) for w in words)


@given(WORDS, SPACE, ASKS, st.lists(st.booleans(), max_size=12))
@example(["&lt;b&gt;"], " ", "draw me", [])  # typed literally: it stays as typed, not unescaped twice
@example(["fish", "&amp;", "chips"], " ", "draw me", [])
def test_the_prompt_is_what_was_typed_after_draw_me(words: list[str], space: str, ask: str, flips: list[bool]) -> None:
    content = WRAPPED.format(f"{cased(ask, flips)} {typed(words, space)}")

    assert parse(content, "horde") == Drawing(" ".join(words))


@given(WORDS, WORDS, ASKS)
def test_what_follows_three_hashes_is_the_negative_prompt(words: list[str], negative: list[str], ask: str) -> None:
    content = WRAPPED.format(f"{ask} {typed(words, ' ')} ### {typed(negative, ' ')}")

    assert parse(content, "horde") == Drawing(" ".join(words), negative=" ".join(negative))


@given(WORDS, st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True), st.integers(0, 20))
def test_a_style_anywhere_in_the_request_is_taken_out_of_the_prompt(words: list[str], style: str, at: int) -> None:
    at = min(at, len(words))
    request = [*words[:at], f"style: {style}", *words[at:]]
    content = WRAPPED.format(f"draw me {typed(request, ' ')}")

    assert parse(content, "horde") == Drawing(" ".join(words), style=style)


@given(WORDS)
def test_a_request_before_the_bots_handle_is_not_one(words: list[str]) -> None:
    content = f"<p>draw me {typed(words, ' ')} @<span>horde</span></p>"

    assert parse(content, "horde") is None


@given(st.text(max_size=3000), st.from_regex(r"[A-Za-z0-9_]{1,30}", fullmatch=True))
def test_any_text_gives_a_sensible_drawing_or_none(content: str, handle: str) -> None:
    drawing = parse(content, handle)

    if drawing is not None:
        assert drawing.prompt and drawing.prompt == drawing.prompt.strip() and len(drawing.prompt) <= 1000
        assert "###" not in drawing.prompt and len(drawing.negative) <= 1000
        assert drawing.style is None or drawing.style.strip()
        assert "draw" in content.lower()


@given(st.text(alphabet=st.characters(exclude_characters="wW"), max_size=500))
def test_without_draw_there_is_no_drawing(text: str) -> None:
    assert parse(WRAPPED.format(html.escape(text)), "horde") is None
