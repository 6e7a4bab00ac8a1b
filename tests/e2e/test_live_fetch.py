"""Live curves that cost nothing to watch (issue 24), in a real browser: while a run trains, the page's
live chart fetches the new epochs itself from the live route and Streamlit runs nothing (no script run,
no fragment run: counted from the WebSocket's ForwardMsg frames, each run ending with `script_finished`),
then the page reruns once at the run's end; the same for a race's runs (one chart, one request for all);
the learning-rate finder's progress, a search's trials, Universal approximation's fit, the inside panel and a
live verdict too;
and the route refuses another visitor the first one's token. All under server.baseUrlPath (Community
Cloud's path prefix): the chart finds the route from the page's own address."""
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from bench.app import script_runs
from conftest import DRAWN_EPOCH_JS, open_app, shoot, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEADLINE = 180  # seconds any wait here may take (a loaded machine)
EPOCHS = 5
# MNIST one example a step: each epoch takes far longer than the route's 0.25 s between answers, so each is drawn
# alone (≈0.8 s quiet; at batch 10 on 3,000 examples an epoch took 0.15 s once small steps ran single-threaded).
RUN = f"/Train?dataset=mnist&train_size=6000&hidden=32&batch_size=1&epochs={EPOCHS}"
RACE = f"/Race?a_dataset=mnist&a_train_size=6000&a_hidden=32&a_batch_size=1&a_epochs={EPOCHS}&b_optimizer=sgd"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A server under a path prefix (`--server.baseUrlPath nnlab`), as Community Cloud serves an app: the live
    chart must find its route from the page's own address (the other journeys' servers serve from the root)."""
    url, process = start_server(tmp_path_factory.mktemp("live-fetch-runs"), base="nnlab", NNLAB_RUNS="shared")
    yield url
    stop_server(process)


SCRIPT_IDLE = """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'notRunning'"""


def idle_runs(page, runs: list, before: int = -1) -> int:
    """How many runs the page has had once its script is idle and more than `before` are counted. The click's own
    run may end after the chart's first point (the chart fetches while the rest of the page is still drawn), and a
    run's `script_finished` frame reaches `runs` a moment after the page shows it: counted too early, the click's
    run would pass for one made while training (it failed so on CI's machine)."""
    page.wait_for_function(SCRIPT_IDLE, timeout=DEADLINE * 1000)
    deadline = time.monotonic() + 10
    while len(runs) <= before and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return len(runs)


def runs_around_training(page, runs: list, idle_at: float) -> tuple[int, int]:
    """The page's runs (`runs` on time.time()) finished before the training could have made any (before its page
    was idle after the chart's first point, at `idle_at`, or before the chart told the end if that came first),
    and those finished before the chart told the page the training had ended. Equal when nothing ran while it
    trained. A short training can end while the journey waits or takes a photograph: the told trigger's own
    rerun may then be over before the journey looks, and is counted in neither."""
    told_at = page.evaluate("() => window.__nnlabLive.toldAt[0]") / 1000
    return sum(t < min(idle_at, told_at) for t in runs), sum(t < told_at for t in runs)


def _slider_to_its_end(page, label: str) -> None:
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")
    slider.focus()
    page.keyboard.press("End")
    expect(slider).to_have_value(slider.get_attribute("max"))  # an <input type="range">


def _trained_live(page, url: str, button: str, drawn: str, name: str, unfold: str = "",
                  to_their_end: tuple[str, ...] = ()) -> tuple[list, int, dict]:
    """Open `url` (and the expander `unfold`; the sliders labelled `to_their_end` at their largest value), press
    `button` and watch until the live chart tells the page the
    training has ended; the page's script and fragment runs (growing), their count at the end, and what the live
    chart did. Asserts that nothing ran from the chart's first point (`drawn`: its probe's list of drawings) to the end."""
    runs = script_runs(page, clock=time.time)
    open_app(page, url)
    if unfold:
        page.get_by_text(unfold).click()
    before = idle_runs(page, runs, 0)  # the opening run counted
    for label in to_their_end:
        _slider_to_its_end(page, label)
        before = idle_runs(page, runs, before)  # the rerun the change asked for
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=button, exact=True).click()
    # The first point, drawn by the browser's live chart after epoch 1 (an event, waited for with a deadline).
    page.wait_for_function(f"() => (window.__nnlabLive || {{{drawn}: []}}).{drawn}.length > 0", timeout=DEADLINE * 1000)
    idle_runs(page, runs, before)
    idle_at = time.time()
    shoot(page, f"{name}-first-point")
    # The training ends: the chart tells the page (one trigger), after drawing the last epoch.
    page.wait_for_function("() => window.__nnlabLive.told.length > 0", timeout=DEADLINE * 1000)
    at_first_point, at_end = runs_around_training(page, runs, idle_at)
    live = page.evaluate("() => window.__nnlabLive")
    assert live["told"] == ["ended"], live
    assert at_end == at_first_point, f"{at_end - at_first_point} script or fragment runs while training"
    return runs, at_end, live


def _one_rerun_at_the_end(page, runs: list, at_end: int, name: str) -> None:
    """The live chart gives way to the results, drawn by the end's one rerun, then Altair's two charts."""
    page.wait_for_function("() => !document.querySelector('[data-nnlab-live]')")
    deadline = time.time() + DEADLINE
    while len(runs) < at_end + 1:  # the end's rerun finishes after it has drawn the results (frames come while Playwright waits)
        assert time.time() < deadline, "the page did not rerun at the end"
        page.wait_for_timeout(100)
    page.locator('[data-testid="stVegaLiteChart"]').nth(1).wait_for(timeout=DEADLINE * 1000)
    assert len(runs) == at_end + 1, f"{len(runs) - at_end} reruns at the end"
    shoot(page, f"{name}-ended")


def test_the_curves_grow_to_the_last_epoch_with_no_rerun_while_the_run_trains(live_server, page):
    """The chart finds the route under the prefix, from the page's own address, and draws every epoch, from the
    first to the last; then the page reruns once."""
    asked = []
    page.on("request", lambda request: asked.append(urlparse(request.url).path) if "/api/live" in request.url else None)
    runs, at_end, live = _trained_live(page, live_server + RUN, "Train", "drawn", "live-fetch")
    page.get_by_test_id("stMainBlockContainer").get_by_text("Test accuracy", exact=True).wait_for(
        timeout=DEADLINE * 1000)  # the end's one rerun drew the results
    assert live["drawn"][0] == 1 and live["drawn"][-1] == EPOCHS and not live["errors"], live  # first epoch to last
    assert live["drawn"] == sorted(set(live["drawn"])), live["drawn"]  # growing, never redrawn from the start
    assert asked and set(asked) == {"/nnlab/api/live"}  # the route under the prefix, found from the page's address
    _one_rerun_at_the_end(page, runs, at_end, "live-fetch")


def test_a_races_curves_grow_for_every_run_with_no_rerun_while_they_train(live_server, page):
    """A race of two runs: one chart, one request for both; each run's curves grow epoch by epoch."""
    runs, at_end, live = _trained_live(page, live_server + RACE, "Race", "drawnRuns", "live-fetch-race")
    drawn = live["drawnRuns"]  # each run's last epoch drawn, at each drawing
    assert max(drawn[0]) == 1 and drawn[-1] == [EPOCHS, EPOCHS], drawn  # both runs, from the first epoch to the last
    for run in (0, 1):
        seen = [epochs[run] for epochs in drawn]
        assert seen == sorted(seen) and len(set(seen)) > 2, drawn  # each grew, epoch by epoch
    page.locator('[data-testid="stDataFrame"]').wait_for(timeout=DEADLINE * 1000)  # the end's one rerun: the results table
    _one_rerun_at_the_end(page, runs, at_end, "live-fetch-race")


def test_the_finders_progress_is_fetched_with_no_rerun_until_its_curve(live_server, page):
    """The learning-rate finder: its progress line fetched while it trains, nothing run by the page until it
    ends, then one rerun draws its curve and "Use this learning rate"."""
    _, _, live = _trained_live(page, live_server + "/Train?dataset=mnist&train_size=3000&hidden=32&batch_size=10",
                               "Find a learning rate", "progress", "live-fetch-finder", unfold="Learning rate: schedule and finder")
    assert not live["errors"], live
    assert live["progress"] == sorted(live["progress"]), live["progress"]  # its bar only moved forward
    page.get_by_role("button", name=re.compile(r"Use this learning rate \(")).wait_for(timeout=DEADLINE * 1000)
    assert not page.locator("[data-nnlab-live]").count()  # the end's rerun took the live progress away
    shoot(page, "live-fetch-finder")


def test_a_searchs_trials_are_fetched_with_no_rerun_until_it_ends(live_server, page):
    """A search of three trials: the current trial's curves fetched from its first epoch, and the trials told so
    far drawn by the browser as each is told; the page reruns once, at the end."""
    runs = script_runs(page, clock=time.time)
    open_app(page, live_server + "/Search?dataset=mnist&train_size=3000&hidden=32&batch_size=10&epochs=3")
    knobs = page.get_by_role("textbox", name="Study name")
    knobs.fill("live search")
    knobs.press("Enter")
    trials = page.get_by_role("spinbutton", name="Trials")
    trials.fill("3")
    trials.press("Enter")
    page.get_by_text("Up to 3 trials").wait_for()
    before = idle_runs(page, runs, 0)
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Search", exact=True).click()
    page.wait_for_function("() => (window.__nnlabLive || {drawn: []}).drawn.length > 0", timeout=DEADLINE * 1000)
    idle_runs(page, runs, before)
    idle_at = time.time()
    page.wait_for_function("() => window.__nnlabLive.trials.some((n) => n > 0)", timeout=3 * DEADLINE * 1000)
    table = page.locator("[data-nnlab-live] table.trials")  # inside the component's shadow root
    if table.count():
        table.evaluate("(table) => table.scrollIntoView({block: 'center'})")
    shoot(page, "live-fetch-search-trials")  # the browser's table of the trials told so far (unless it has ended)
    page.wait_for_function("() => window.__nnlabLive.told.includes('ended')", timeout=3 * DEADLINE * 1000)
    at_first_point, at_end = runs_around_training(page, runs, idle_at)
    live = page.evaluate("() => window.__nnlabLive")
    assert live["told"] == ["ended"] and not live["errors"], live
    assert at_end == at_first_point, f"{at_end - at_first_point} script or fragment runs while the search ran"
    # each trial's curves from its first epoch to its last (epochs that end together come in one answer, drawn once)
    assert live["trialStarts"] and set(live["trialStarts"]) == {1} and 3 in live["drawn"], live
    assert live["trials"] == sorted(live["trials"]) and live["trials"][-1] == 3, live["trials"]  # the table grew to 3
    # The end's rerun: the results. Said through safe_text.markdown, whose word joiner after a colon (no emoji
    # shortcode) is in the page's text; the chart's own status line says it without, until the rerun removes it.
    page.get_by_test_id("stAlertContentSuccess").filter(has_text=re.compile("Finished:\u2060? 3 trials\\.")).wait_for(
        timeout=DEADLINE * 1000)
    shoot(page, "live-fetch-search")


def test_the_live_verdict_is_drawn_by_the_chart_and_its_stop_keeps_the_best_epoch(live_server, page):
    """A run that overfits: the live chart draws the verdict's words itself; the page reruns only when the chart
    asks (the verdict's "Stop and keep epoch N" button to draw), and that button keeps the best epoch."""
    runs = script_runs(page)
    open_app(page, live_server + "/Train?dataset=digits&train_size=60&hidden=256,256&learning_rate=0.01&batch_size=8"
                                 "&epochs=1000")  # ≈15 s: 300 epochs took ≈5 s once small steps ran single-threaded
    main = page.get_by_test_id("stMainBlockContainer")
    before = idle_runs(page, runs, 0)
    main.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("() => (window.__nnlabLive || {drawn: []}).drawn.length > 0", timeout=DEADLINE * 1000)
    at_first_point = idle_runs(page, runs, before)
    keep = main.get_by_role("button", name=re.compile(r"^Stop and keep epoch \d+$"))
    keep.wait_for(timeout=DEADLINE * 1000)
    page.locator("[data-nnlab-live]").get_by_text("Overfitting has set in").wait_for()  # in the chart, not the page
    live = page.evaluate("() => window.__nnlabLive")
    assert set(live["told"]) == {"finding"} and not live["errors"], live  # each rerun asked for by the chart
    assert len(runs) - at_first_point <= len(live["told"]), f"{len(runs) - at_first_point} runs, {live['told']} asked"
    best = int(keep.inner_text().rsplit(" ", 1)[1])
    shoot(page, "live-fetch-verdict")
    keep.click()
    main.get_by_text(f"Restored to epoch {best},").first.wait_for(timeout=DEADLINE * 1000)


def test_universal_approximations_fit_is_fetched_and_drawn_with_no_rerun_until_it_ends(live_server, page):
    # The longest fit the page offers (256 neurons, 500 epochs): the page's 150 epochs of 8 took 1 s once tiny steps
    # ran single-threaded, over before the chart's first fetch, which then drew the end alone.
    _, _, live = _trained_live(page, live_server + "/Universal_approximation", "Fit", "fits", "live-fetch-fit",
                               to_their_end=("Neurons in the hidden layer", "Epochs"))
    assert not live["errors"], live
    assert len(set(live["fits"])) > 1, live["fits"]  # redrawn as the epochs went
    page.get_by_text("Average distance between the fit and the curve").first.wait_for(timeout=DEADLINE * 1000)
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=DEADLINE * 1000)  # the end's rerun: the page's chart
    shoot(page, "live-fetch-fit")


def test_the_inside_panel_is_fetched_while_the_run_trains_with_no_rerun(live_server, page, browser):
    """The inside panel opened while a spiral run trains: the neuron maps and the prediction come as images from
    the live route and are redrawn as the network changes, with no script run. The route refuses this run's
    token to another visitor (another browser: its own visitor cookie). Stop then ends the run."""
    runs = script_runs(page)
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/api/live?" in request.url else None)
    # 1,440 points at batch 1: minutes (200 points, 144 steps an epoch, ended in ≈8 s once tiny steps ran
    # single-threaded: the Stop below could come after the end)
    open_app(page, live_server + "/Train?dataset=spiral&hidden=4,3&activation=tanh&samples=2000&batch_size=1&epochs=500")
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("() => (window.__nnlabLive || {drawn: []}).drawn.length > 0", timeout=DEADLINE * 1000)
    before = idle_runs(page, runs)
    main.get_by_text("Inside the network").click()  # one rerun: the panel opens
    page.wait_for_function("() => window.__nnlabLive.inside.length > 0", timeout=DEADLINE * 1000)
    at_first_view = idle_runs(page, runs, before)
    page.wait_for_function("() => window.__nnlabLive.inside.length > 2", timeout=DEADLINE * 1000)  # redrawn, twice more
    live = page.evaluate("() => window.__nnlabLive")
    assert len(runs) == at_first_view, f"{len(runs) - at_first_view} script or fragment runs while the panel was open"
    assert live["inside"] == sorted(live["inside"]) and not live["errors"], live
    assert page.locator("[data-nnlab-live] .plane img").count() == 1  # the prediction, as an image
    page.locator("[data-nnlab-live] .plane").scroll_into_view_if_needed()
    shoot(page, "live-fetch-inside")

    token = parse_qs(urlparse(asked[0]).query)["t"][0]
    route = f"{live_server}/api/live?t={token}&after=0&v=0"
    mine = page.request.get(route)  # this browser, its cookie sent
    assert mine.status == 200 and mine.json()["rows"] is not None
    second = browser.new_context()
    try:
        other = second.new_page()
        open_app(other, live_server + "/")  # the second browser gets its own visitor cookie
        assert {c["name"] for c in second.cookies()} >= {"nnlab_visitor"}
        theirs = other.request.get(route)
        assert theirs.status == 403
        assert "expired or is not yours" in theirs.json()["error"] and not re.search(r"Traceback|/[a-z]+/", theirs.text())
    finally:
        second.close()
    main.get_by_role("button", name="Stop", exact=True).click()
    main.get_by_role("button", name="Train", exact=True).wait_for(timeout=DEADLINE * 1000)


def test_a_page_that_cannot_reach_the_live_route_says_why_and_polls(live_server, page):
    """A host or proxy that does not pass /api/live on answers with HTML (Streamlit's page for unknown paths):
    the live chart tells the page once, which says so and draws the curves by polling, as before issue 24.
    Train's page only: Race's and the others' polled fallback, once told, are page tests (AppTest)."""
    url, button = "/Train?dataset=digits&hidden=64&batch_size=4&epochs=300", "Train"
    page.route("**/api/live?*", lambda route: route.fulfill(status=200, content_type="text/html", body="<html></html>"))
    open_app(page, live_server + url)
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_role("button", name=button, exact=True).click()
    main.get_by_text("Live curves could not reach the server's live route").wait_for(timeout=DEADLINE * 1000)
    assert page.evaluate("() => window.__nnlabLive.told") == ["failed"]
    page.wait_for_function(f"() => !document.querySelector('[data-nnlab-live]') && ({DRAWN_EPOCH_JS})() >= 2",
                           timeout=DEADLINE * 1000)  # the polled Altair chart grows
    shoot(page, f"live-fetch-fallback-{button.lower()}")
    main.get_by_role("button", name="Stop", exact=True).click()
    main.get_by_role("button", name=button, exact=True).wait_for()
