"""Page links say their whole label (issue 21, "Also": "Search — … prunes the hop", "Compare the
activation func" were cut to one line with an ellipsis)."""
from apptest_helpers import open_page

from nnlab.ui.navigation import LINK_STYLE


def test_every_page_lets_its_links_wrap_instead_of_cutting_them(runs_dir):
    at = open_page()
    styles = [element.proto.body for element in at.get("html")]
    assert LINK_STYLE in styles
    assert "white-space: normal" in LINK_STYLE and "stPageLink-NavLink" in LINK_STYLE
