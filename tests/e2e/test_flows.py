"""Where features meet (issue 21), in a real browser on one server: the learning-rate finder's
suggestion reaches the next run; Compare draws runs of different shapes; Search's best trial opens in
Train; a teacher's lock holds on every page. Each failed before: the control kept its old rate, Compare
crashed on str < float, Train crashed with StreamlitWidgetAlreadyInstantiatedError, Race showed the
locked controls again.

Each click waits for the page to be drawn and still (conftest.page_still), and each step for what the
click should bring (a link, a text, a chart's axis), never for a fixed time. A select box is opened only
once it has been scrolled into view and the scrolling has ended (`_open`): on a busy machine the scroll
event of the click's own scrolling came after the list had opened and closed it again."""
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import open_app, page_still, shoot, start_server, stop_server

pytestmark = pytest.mark.browser

CIRCLE = "dataset=circle&samples=300&hidden=8&batch_size=16&epochs=2"


@pytest.fixture(scope="module")
def flows(tmp_path_factory):
    """A server of this module, and the run store it keeps its runs in."""
    from nnlab.store.database import SQLITE_FILE
    from nnlab.store.runs import SHARED, RunStore

    folder = tmp_path_factory.mktemp("flows")
    url, process = start_server(folder, NNLAB_RUNS="shared")  # a port of NNLAB_E2E_PORTS, as the other journeys
    yield url, RunStore(f"sqlite:///{folder / SQLITE_FILE}", SHARED)
    stop_server(process)


def _main(page):
    return page.get_by_test_id("stMainBlockContainer")


def _no_error(page) -> None:
    errors = page.get_by_test_id("stException")
    assert errors.count() == 0, errors.first.inner_text()


def _labels(page, text: str):
    """The widgets labelled exactly `text` (Streamlit's labels, not the help tooltips)."""
    return page.get_by_test_id("stWidgetLabel").filter(has_text=re.compile(f"^{re.escape(text)}$"))


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.2)


def _query(page) -> dict:
    """The settings in the page's link (the controls write them there)."""
    query = parse_qs(urlparse(page.evaluate("location.href")).query)
    return {key: values[0] for key, values in query.items() if key not in ("lock", "hide", "workspace")}


def _menu(page, link: str, title: str | None = None) -> None:
    """Click a page in the sidebar's menu, as a student does (the menu's links carry no query), and wait
    for that page drawn: its own title, then the page still. Until its run replaces them, the elements of
    the page before are still there, and many (Batch size, the teacher's note) are on both pages."""
    page_still(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", level=1).filter(has_text=re.compile(rf"(^|\s){re.escape(title or link)}$")).wait_for()
    page_still(page)


def _open(page, box) -> None:
    """Open the select box `box`'s list. Scrolled into view first, and the page still: a scroll of the main
    area closes an open list, and the scroll event of a click's own scrolling comes a frame later, which on
    a busy machine was after the click had opened the list (Compare's journey failed so, one run in four)."""
    box.scroll_into_view_if_needed()
    page_still(page)
    box.click()
    page.get_by_role("listbox").wait_for()


def _choose(page, box, option: str) -> None:
    _open(page, box)
    page.get_by_role("option", name=option, exact=True).click()


def test_the_finders_rate_goes_into_the_control_and_the_next_run(flows, page):
    url, store = flows
    open_app(page, f"{url}/Train?{CIRCLE}")
    page_still(page)
    page.get_by_text("Learning rate: schedule and finder").click()
    page.get_by_role("button", name="Find a learning rate").click()
    use = page.get_by_role("button", name=re.compile(r"Use this learning rate \("))
    use.wait_for(timeout=180_000)
    rate = float(re.search(r"\(([^)]+)\)", use.inner_text()).group(1))
    assert rate != 0.001
    page_still(page)  # the finder's curve is drawn in above the button
    use.click()
    page.wait_for_url(re.compile(f"learning_rate={re.escape(f'{rate:g}')}"))  # the control, and the link, took it
    page.get_by_text(f"Constant learning rate {rate:g} in every epoch").wait_for(state="attached")
    page_still(page)
    _main(page).get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Trained all 2 epochs.").first.wait_for(timeout=180_000)
    _no_error(page)
    newest = store.load(store.list()[0][0].id)
    assert newest.config.learning_rate == pytest.approx(rate)  # the run trained at the rate the finder found
    assert newest.history["learning_rate"].iloc[0] == pytest.approx(rate)
    shoot(page, "flows-finder-used")


def test_compare_draws_runs_of_different_shapes(flows, page):
    from nnlab.config.run_config import RunConfig
    from nnlab.data.datasets import load_dataset
    from nnlab.serving.jobs import TrainingJob

    url, store = flows
    ids = []
    for config in (RunConfig(dataset="spiral", hidden=(8,), epochs=2, train_size=200),  # a set training size
                   RunConfig(dataset="circle", samples=200, hidden=(8, 8), epochs=2, optimizer="sgd", loss="mse"),
                   RunConfig(dataset="iris", hidden=(), epochs=2, early_stopping=3)):  # "all": no count recorded
        job = TrainingJob(config, load_dataset, store=store, abandon_seconds=600)
        job.run()
        ids.append(job.run_id)
    open_app(page, f"{url}/Compare?runs={','.join(ids)}")
    page.get_by_text("Settings against results").wait_for(timeout=60_000)
    page.get_by_text("Each run a line across the settings").wait_for()
    _no_error(page)
    _choose(page, _main(page).get_by_test_id("stSelectbox").filter(has=_labels(page, "Setting")), "train_size")
    # What the choice brings: the scatter drawn again over the training size (its axis "train size"), or an error.
    page.wait_for_function("""() => document.querySelector('[data-testid="stException"]') || [...document.querySelectorAll(
        '[data-testid="stVegaLiteChart"] svg text')].some(text => text.textContent === 'train size')""", timeout=120_000)
    page_still(page)
    _no_error(page)
    assert page.locator('[data-testid="stVegaLiteChart"] .marks').count() >= 4  # the curves, scatter, parallel lines
    page.get_by_text("Each run a line across the settings").wait_for()
    shoot(page, "flows-compare-mixed")


def test_searchs_best_trial_opens_in_train_with_its_settings(flows, page):
    url, store = flows
    open_app(page, f"{url}/Search?{CIRCLE}")
    study = page.get_by_role("textbox", name="Study name")
    study.fill("best to train")
    study.press("Enter")
    trials = page.get_by_role("spinbutton", name="Trials")  # after the name: the caption it brings covers both
    trials.fill("2")
    trials.press("Enter")
    page.get_by_text("Up to 2 trials").wait_for()
    page_still(page)
    _main(page).get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name="Open the best in Train").wait_for(timeout=300_000)
    header = page.get_by_text(re.compile(r"^Best: trial \d+")).first.inner_text()
    number = int(re.search(r"trial (\d+)", header).group(1))
    found = [run for run in store.list()[0] if run.label.endswith(f"best to train · trial {number}")]
    assert found, [run.label for run in store.list()[0]]  # the search ran under the name typed
    best = found[0]
    page_still(page)  # the study's charts are drawn in around the button
    page.get_by_text(re.compile(r"^Best: trial \d+")).first.scroll_into_view_if_needed()
    shoot(page, "flows-search-best")
    page.get_by_role("button", name="Open the best in Train").click()
    page.wait_for_url(re.compile(r"/Train"))
    page.get_by_text("Start here").wait_for()
    _no_error(page)
    wanted = best.config.to_link()  # every setting of the trial that differs from the defaults
    _wait(lambda: _query(page) == wanted, 60, f"Train's controls (its link: {_query(page)}) did not take the best "
          f"trial's settings {wanted}")
    assert re.search(r"at epoch \d of \d", header), header  # the figure says which epoch it comes from
    shoot(page, "flows-search-best-in-train")


def test_a_teachers_lock_holds_on_every_page(flows, page):
    url, _ = flows
    open_app(page, f"{url}/Train?{CIRCLE}&learning_rate=0.05&lock=learning_rate&hide=regularization")
    page.get_by_text("Your teacher's link fixes").first.wait_for()
    _labels(page, "Batch size").first.wait_for()  # the controls are drawn
    page_still(page)
    assert _labels(page, "Learning rate").count() == 0 and _labels(page, "Dropout").count() == 0
    assert page.get_by_text("Make a teacher link").count() == 0

    _menu(page, "Race")
    page.wait_for_url(re.compile(r"[?&]lock=learning_rate"))  # a race link shared from here locks too
    _labels(page, "Batch size").first.wait_for()
    page.get_by_text("Your teacher's link fixes").first.wait_for()
    assert _labels(page, "Learning rate").count() == 0 and _labels(page, "Dropout").count() == 0
    _no_error(page)
    shoot(page, "flows-lock-race")

    _menu(page, "Sweep")
    knob = _main(page).get_by_test_id("stSelectbox").filter(has=_labels(page, "Setting to sweep"))
    assert "Learning rate" not in knob.inner_text()
    _open(page, knob)
    options = page.get_by_role("option").all_inner_texts()
    assert options and "Learning rate" not in options and "Dropout" not in options
    page.keyboard.press("Escape")
    assert _labels(page, "Learning rate").count() == 0

    _menu(page, "Search")
    knobs = _main(page).get_by_test_id("stMultiSelect").filter(has=_labels(page, "Knobs to search"))
    chosen = knobs.inner_text()
    assert "Neurons per hidden layer" in chosen and "Learning rate" not in chosen and "Dropout" not in chosen
    page.get_by_text("Your teacher's link fixes").first.wait_for()

    _menu(page, "Train")
    _labels(page, "Batch size").first.wait_for()
    assert _labels(page, "Learning rate").count() == 0
    assert page.get_by_text("Make a teacher link").count() == 0
    _menu(page, "Home", "nnlab")
    page.get_by_text("Start from a lesson").wait_for()
    assert page.get_by_text("Make a teacher link").count() == 0
    _no_error(page)
