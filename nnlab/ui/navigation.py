"""The pages of nnlab, declared once: app.py turns them into st.navigation, pages link to them by key."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Page:
    key: str
    path: str  # the page's script, relative to app.py
    title: str
    icon: str  # a Material icon name
    url: str  # the page's address: /Train, /Gradient_descent
    section: str
    summary: str = ""  # one line for the home page's list

    @property
    def material_icon(self) -> str:
        return f":material/{self.icon}:"


HOME = Page("home", "app_pages/0_Home.py", "Home", "home", "", "")
SECTIONS = {"Lab": [
    Page("train", "app_pages/1_Train.py", "Train", "model_training", "Train", "Lab", "Train a network and watch it learn."),
    Page("runs", "app_pages/2_Runs.py", "Runs", "folder_open", "Runs", "Lab",
         "Every run you trained, kept: sort, rename, export."),
    Page("compare", "app_pages/3_Compare.py", "Compare", "compare_arrows", "Compare", "Lab",
         "Two or more runs overlaid, with their differences named."),
    Page("race", "app_pages/4_Race.py", "Race", "sports_score", "Race", "Lab", "Two settings trained side by side, live."),
    Page("sweep", "app_pages/5_Sweep.py", "Sweep", "tune", "Sweep", "Lab",
         "One setting over a list of values: what does it change?"),
    Page("search", "app_pages/14_Search.py", "Search", "travel_explore", "Search", "Lab",
         "Several settings at once: the machine searches, prunes the hopeless, says which mattered."),
    Page("class", "app_pages/15_Class.py", "Class", "school", "Class", "Lab",
         "A teacher's class: two links, students join by name, their runs shared on one board."),
    Page("board", "app_pages/16_Board.py", "Class board", "leaderboard", "Board", "Lab",
         "What the whole class found, on one page to project."),
], "The lecture's examples": [
    Page("neuron", "app_pages/6_One_neuron.py", "One neuron", "radio_button_checked", "One_neuron", "Concepts"),
    Page("activations", "app_pages/7_Activations.py", "Activation functions", "show_chart", "Activations", "Concepts"),
    Page("softmax", "app_pages/8_Softmax.py", "Softmax and encodings", "bar_chart", "Softmax", "Concepts"),
    Page("losses", "app_pages/9_Loss_functions.py", "Loss functions", "target", "Loss_functions", "Concepts"),
    Page("gradient_descent", "app_pages/10_Gradient_descent.py", "Gradient descent", "landscape", "Gradient_descent",
         "Concepts"),
    Page("backprop", "app_pages/11_Backpropagation.py", "Backpropagation, worked", "undo", "Backpropagation", "Concepts"),
    Page("approximation", "app_pages/12_Universal_approximation.py", "Universal approximation", "extension",
         "Universal_approximation", "Concepts"),
    Page("parameters", "app_pages/13_Counting_parameters.py", "Counting parameters", "calculate", "Counting_parameters",
         "Concepts"),
]}
PAGES: dict[str, Page] = {page.key: page for page in [HOME, *(p for pages in SECTIONS.values() for p in pages)]}


# A page link's label is one line cut with an ellipsis ("Compare the activation func…", "Search — … prunes
# the hop…"): on every page, let it wrap instead.
LINK_STYLE = ("<style>[data-testid='stPageLink-NavLink'] span, [data-testid='stPageLink-NavLink'] div, "
              "[data-testid='stPageLink-NavLink'] p {white-space: normal; overflow: visible; height: auto}</style>")


def navigation():
    """st.navigation over every page, the home page first; app.py runs what it returns. Also the style
    every page's links share."""
    st.html(LINK_STYLE)

    def entry(page: Page):
        return st.Page(page.path, title=page.title, icon=page.material_icon, url_path=page.url or None,
                       default=page is HOME)

    page = st.navigation({"": [entry(HOME)], **{name: [entry(p) for p in pages] for name, pages in SECTIONS.items()}})
    now = "" if page is None else (page.url_path or "")
    st.session_state[_ARRIVED] = st.session_state.get(_CURRENT) != now
    st.session_state[_CURRENT] = now
    return page


_CURRENT, _ARRIVED = "_page_url_path", "_page_arrived"


def arrived() -> bool:
    """Whether this run is the first of its page since another page (or the session's first): the page was
    opened, with its link, rather than rerun by a click on it. True where no navigation ran (a page test)."""
    return st.session_state.get(_ARRIVED, True)


def current_url_path() -> str:
    """The url_path of the page this run draws ("" on the home page, and in a page test that runs one
    page's file): what a browser script removes from the address to find the app's base."""
    return st.session_state.get(_CURRENT, "")


def link(key: str, label: str | None = None, container=None, **kwargs) -> None:
    """A link to one of the pages, with its icon."""
    page = PAGES[key]
    (container or st).page_link(page.path, label=label or page.title, icon=page.material_icon, **kwargs)


def go(key: str) -> None:
    st.switch_page(PAGES[key].path)
