"""Text a visitor typed or uploaded, made safe to show and to export.

`markdown(text)`: for st.markdown, st.error, st.caption, labels… Streamlit renders their text as
GitHub-flavoured Markdown plus its own syntax: links and images, bare URLs (autolinks), emphasis,
headings, lists, tables, LaTeX between $…$, colour directives (:red[…], :blue-badge[…]), emoji
shortcodes (:smile:), icons (:material/home:) and its logo (:streamlit:). HTML is shown as text
unless unsafe_allow_html is set (nnlab never sets it). A run name such as
"[click me](https://evil.example)" would otherwise become a link on everyone's Runs page.

`spreadsheet_safe(frame)`: for CSV downloads. A cell starting with = + - @ (or a tab or carriage
return) is run as a formula when the file is opened in a spreadsheet ("CSV injection", OWASP), so
such text cells and column names get a leading apostrophe, which spreadsheets show as text.
"""
from __future__ import annotations

import csv
import re
import string

import pandas as pd

# CommonMark lets a backslash escape any ASCII punctuation: the character then stands for itself.
_ESCAPED = str.maketrans({c: "\\" + c for c in string.punctuation})
# Emoji shortcodes, :material/…: icons, :streamlit: and the autolinks of GFM (www.…, name@host,
# http://…) are found in the text after the Markdown is parsed, when backslashes are gone: an
# invisible word joiner after each colon and @, and between www and its dot, breaks those patterns.
_WORD_JOINER = "\u2060"
_BREAKS = re.compile(r"(?<=[:@])|(?<=www)(?=\.)", re.IGNORECASE)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")  # and their full-width forms


def markdown(text: object) -> str:
    """`text` (anything; str() is taken) as Markdown that shows exactly those characters."""
    return _BREAKS.sub(_WORD_JOINER, str(text)).translate(_ESCAPED)


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells, column names and index labels cannot start a formula; numbers in
    numeric columns stay numbers."""
    safe = frame.copy()
    for column in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_datetime64_any_dtype(safe[column])):
            safe[column] = safe[column].astype(object).map(_cell)
    return safe.rename(columns=_cell, index=_cell)


def spreadsheet_csv(frame: pd.DataFrame, *, index: bool = False) -> str:
    """A frame as CSV text for a download: formula cells neutralised, and every text cell quoted, so a
    carriage return or a comma inside a name cannot split a row when the file is read back."""
    return spreadsheet_safe(frame).to_csv(index=index, quoting=csv.QUOTE_NONNUMERIC)


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
