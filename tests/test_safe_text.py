"""Hostile text through nnlab.core.safe_text, checked with a real CommonMark renderer (markdown-it-py,
which Streamlit's dependency rich brings) and real CSV files."""
import io
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from nnlab.core.safe_text import markdown, spreadsheet_safe

HOSTILE = [
    "[click me](https://evil.example)", "![x](https://evil.example/track.png)", "<https://evil.example>",
    "https://evil.example/a_b_c", "www.evil.example", "mail@evil.example", "**bold** _it_ ~~gone~~ `code`",
    "# Heading", "> quote", "- item", "1. item", "| a | b |\n|---|---|\n| 1 | 2 |", "a\n===", "***",
    "$x^2$ and $$\\frac{1}{2}$$", ":red[alarm] :blue-background[x] :green-badge[y] :small[z]",
    ":material/home: :smile: :+1: :streamlit:", "&#58;material&#95;home&#58; &lt;b&gt;", "<b>bold</b><script>x</script>",
    "back\\slash \\*not bold\\*", "[link][ref]\n\n[ref]: https://evil.example", "run_1 (lr=0.1) 50% done!",
]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _render(source: str) -> _Text:
    page = _Text()
    page.feed(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(source))
    return page


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_shows_hostile_text_as_it_is(text):
    page = _render(markdown(text))
    assert set(page.tags) <= {"p", "br"}, page.tags  # no link, image, emphasis, heading, list, table, code
    shown = "".join(page.text).replace("\u2060", "")
    assert shown.split() == text.split()  # the same characters; line breaks may become spaces


def test_without_escaping_the_same_text_would_be_markup():
    """The renderer in these tests does see the attacks: unescaped, they turn into markup."""
    for text, tag in [("[click me](https://evil.example)", "a"), ("![x](https://evil.example/t.png)", "img"),
                      ("# Heading", "h1"), ("**bold**", "strong"), ("| a |\n|---|\n| 1 |", "table")]:
        assert tag in _render(text).tags


@pytest.mark.parametrize("text", [":material/home:", ":smile:", ":streamlit:", ":red[alarm]", ":material_home:",
                                  "see WWW.evil.example", "mail@evil.example", "https://evil.example"])
def test_streamlit_shortcodes_and_autolinks_no_longer_match_after_markdown_parsing(text):
    """Streamlit finds icons and emoji, and GFM finds www. and e-mail links, in the text left after
    parsing (backslashes gone), with patterns like these: word joiners break them."""
    import re

    shown = "".join(_render(markdown(text)).text)
    assert not re.search(r":[\w+-]+:|:material_\w+:|:[a-z-]+\[|(?i:www)\.|@[-\w]+\.|https?://", shown)
    assert shown.replace("\u2060", "").strip() == text


def test_markdown_takes_any_value():
    assert markdown(0.5) == "0\\.5" and markdown("plain words") == "plain words"


def test_formula_cells_and_names_get_an_apostrophe_and_numbers_stay_numbers():
    frame = pd.DataFrame({
        "name": ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+2", "-3", "@SUM(A1)", "\tTAB", "\rCR", "ok", None],
        "=cmd|' /C calc'!A0": [1.5, -2.0, 3.0, -4.0, 5.0, 6.0, 7.0, np.nan],
        "count": [-1, 2, -3, 4, -5, 6, -7, 8],
        "flag": [True, False] * 4,
    })
    safe = spreadsheet_safe(frame)
    assert list(safe.columns) == ["name", "'=cmd|' /C calc'!A0", "count", "flag"]
    assert list(safe["name"])[:-1] == ["'=HYPERLINK(\"https://evil.example\",\"x\")", "'+1+2", "'-3", "'@SUM(A1)", "'\tTAB",
                                  "'\rCR", "ok"] and pd.isna(safe["name"].iloc[-1])
    assert safe["count"].dtype == frame["count"].dtype and list(safe["count"]) == list(frame["count"])
    assert safe["flag"].dtype == bool and frame["name"][0].startswith("=")  # the original is untouched
    written = pd.read_csv(io.StringIO(safe.to_csv(index=False)), lineterminator="\n")
    assert not any(str(cell).startswith(("=", "+", "-", "@")) for cell in written["name"].dropna())
    assert written["count"].tolist() == [-1, 2, -3, 4, -5, 6, -7, 8]  # negative numbers are still numbers


def test_text_index_labels_are_made_safe_too():
    frame = pd.DataFrame({"value": [1, 2]}, index=pd.Index(["=1+1", "run"], name="run name"))
    safe = spreadsheet_safe(frame)
    assert list(safe.index) == ["'=1+1", "run"] and safe.index.name == "run name"
    assert list(spreadsheet_safe(pd.DataFrame({"v": [1, 2]})).index) == [0, 1]
