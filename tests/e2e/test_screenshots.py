"""Every page checked at a laptop's and a phone's width (and in the dark theme at the phone's), that nothing is
wider than its container (a cut-off table, legend or row of tiles), and photographed into
test-artifacts/screenshots/ (each width and each theme once). One server and one browser; three small
runs trained first, so that the Train page's results, Runs and Compare are seen with something in them (one
in the browser, for Train's results; two through the CLI in this process, into the server's store)."""
import os
import time

import pytest

import conftest
from conftest import ROOT, open_app, start_server, stop_server

pytestmark = pytest.mark.browser

FOLDER = ROOT / "test-artifacts" / "screenshots"
SIZES = {"wide": (1400, 900), "narrow": (420, 900)}
PAGES = ["", "Train", "Runs", "Compare", "Race", "Sweep", "One_neuron", "Activations", "Softmax", "Loss_functions",
         "Gradient_descent", "Backpropagation", "Universal_approximation", "Counting_parameters"]
IN_BROWSER = "dataset=xor&hidden=8%2C8&epochs=3&dropout=0.2"
THROUGH_CLI = [["--dataset", "xor", "--hidden", "8", "--epochs", "3"],
               ["--dataset", "xor", "--hidden", "8", "--epochs", "3", "--lr", "0.01"]]
# Each visible element of the page's main area: anything inside it reaching past its right edge,
# unless inside a scroller of its own (a table's), is cut off or pushes the page sideways.
OVERFLOWING = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const scrolls = (element, block) => {
    for (let a = element.parentElement; a && a !== block; a = a.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const grip = d => d.closest('[data-testid="stDataFrameResizable"]') && getComputedStyle(d).position === 'absolute'
    && !d.innerText;  // a table's transparent resize handle, which sits over its corner
  const found = main.scrollWidth > main.clientWidth + 1 ? [`the page scrolls sideways: ${main.scrollWidth} > ${main.clientWidth}`] : [];
  for (const block of main.querySelectorAll('[data-testid="stElementContainer"]')) {
    if (!block.checkVisibility()) continue;
    const edge = block.getBoundingClientRect().right + 1;  // + 2 more below: sub-pixel rounding of drawings
    const past = [...block.querySelectorAll('*')].find(d => {
      const box = d.getBoundingClientRect();
      return box.right > edge + 2 && box.width > 0 && box.height > 0
        && d.checkVisibility({opacityProperty: true, visibilityProperty: true}) && !scrolls(d, block) && !grip(d)
        && !d.matches('input, textarea')  // a text box's field may run under its buttons: its frame is what shows
        && !d.closest('.katex-mathml');  // a formula's copy for screen readers, clipped to nothing
    });
    if (past) {
      const name = `${past.tagName.toLowerCase()} ${past.dataset.testid || past.getAttribute('class') || ''}`.slice(0, 60);
      found.push(`${Math.round(past.getBoundingClientRect().right - edge)} px past: ${name} «${(past.innerText || '').slice(0, 40)}»`);
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, monkeypatch_module):
    if os.environ.get("NNLAB_E2E_PORT"):  # a machine whose ports are shared hands out a fixed one
        monkeypatch_module.setattr(conftest, "_free_port", lambda: int(os.environ["NNLAB_E2E_PORT"]))
    folder = tmp_path_factory.mktemp("screenshot-runs")
    url, process = start_server(folder, NNLAB_RUNS="shared")
    yield url, folder
    stop_server(process)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


# The layout's shape: the main area's widths and the box of every element, chart, drawing and table in it.
SHAPE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return [main.scrollWidth, main.clientWidth, ...[...main.querySelectorAll(
      '[data-testid="stElementContainer"], canvas, svg, [data-testid="stDataFrameResizable"]')]
    .map(e => { const b = e.getBoundingClientRect(); return `${Math.round(b.left)},${Math.round(b.right)},${Math.round(b.height)}`; })].join(' ');
}"""

# Resolves once the fonts are loaded and the layout has not moved for STILL_FRAMES animation frames in a
# row: charts and tables re-lay themselves out after a resize or a theme change (Vega through a resize
# observer, the data frame's canvas on its own schedule), so a check made before that sees a stale layout.
STILL_FRAMES = 12
LAYOUT_SETTLED = f"""(still) => document.fonts.ready.then(() => new Promise(done => {{
  const shape = {SHAPE};
  let last = shape(), same = 0, frames = 0;
  const look = () => {{
    const now = shape();
    same = now === last ? same + 1 : 0;
    last = now;
    frames += 1;
    if (same >= still) done(true);
    else if (frames > 1200) done(false);  // ≈20 s of a layout that never stops moving: say so, don't hang
    else requestAnimationFrame(look);
  }};
  requestAnimationFrame(look);
}}))"""

# What sticks out once it has outlasted the layout's last move. Streamlit sizes tables and charts in JavaScript,
# a step at a time after their container changed (a resize observer, a frame, React, Vega embedding the chart
# again, the sidebar sliding in over ≈0.3 s), and a busy machine can space those steps further apart than
# STILL_FRAMES frames. Measured at once after the switch: Runs' data frame still 940 px wide in the first two
# frames at 420 px ("the page scrolls sideways: 965 > 420; 551 px past: div stDataFrame", issue 22's words) and
# Loss functions' chart 20 to 300 px too wide while the sidebar slides in; neither is left once laid out. So a
# finding that goes away resolves at once, and one is reported only when the layout has then stayed still with
# it for CONFIRM_MS and STILL_FRAMES frames: a table or chart really too wide stays; a stale one does not.
CONFIRM_MS = 1000
OVERFLOW_THAT_STAYS = f"""([still, ms]) => new Promise(done => {{
  const overflowing = {OVERFLOWING}, shape = {SHAPE};
  let last = shape(), since = performance.now(), same = 0, frames = 0;
  const look = () => {{
    const found = overflowing();
    if (!found.length) return done(found);
    const now = shape();
    if (now === last) same += 1;
    else {{ last = now; since = performance.now(); same = 0; }}
    frames += 1;
    if ((same >= still && performance.now() - since >= ms) || frames > 1200) done(found);
    else requestAnimationFrame(look);
  }};
  look();
}})"""


def _settled(page, timeout: float = 30) -> None:
    """The script has finished, nothing is left half drawn, the visible charts are drawn, the fonts are
    loaded and the layout has stopped moving."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)
    deadline = time.time() + timeout
    while page.locator('[data-testid="stSkeleton"], [data-stale="true"]').count():  # parts still being drawn
        assert time.time() < deadline, f"{page.url} kept drawing for {timeout:.0f} s"
        time.sleep(0.1)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    for chart in (charts.nth(i) for i in range(charts.count())):
        if chart.is_visible():  # charts in tabs not shown are not drawn
            chart.locator("canvas, svg").first.wait_for(timeout=timeout * 1000)
    assert page.evaluate(LAYOUT_SETTLED, STILL_FRAMES), f"{page.url}: the layout kept moving"


def _overflowing(page) -> list[str]:
    """What sticks out of its container and stays so once the layout has stopped moving (nothing: [])."""
    return page.evaluate(OVERFLOW_THAT_STAYS, [STILL_FRAMES, CONFIRM_MS])


def _train(page, url: str, link: str) -> None:
    open_app(page, f"{url}/Train?{link}")
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Test accuracy", exact=True).wait_for(timeout=120_000)


# Photographed for a person to look at: each width once and each theme once per page (a PNG costs the
# browser more than the check). A layout found overflowing is photographed too, whatever its pair.
PHOTOGRAPHED = {("wide", "light"), ("narrow", "dark")}
# Checked: both widths in the light theme, and the dark theme at the phone's width, where a page is tightest.
# A theme changes colours, not sizes (the same fonts), and each check costs the browser a re-layout with
# every chart embedded again (≈2 s a page on a loaded machine): the fourth pair (wide, dark) is left out.
CHECKED = [("light", "wide"), ("light", "narrow"), ("dark", "narrow")]


def _photograph(page, name: str, overflowing: dict) -> None:
    """The page as it is, at each width and in each theme (the same session: the theme follows the
    system's, emulated; nothing reruns), checked for overflow, and photographed (PHOTOGRAPHED)."""
    for theme, size in CHECKED:
        width, height = SIZES[size]
        page.emulate_media(color_scheme=theme)
        page.set_viewport_size({"width": width, "height": height})
        _settled(page)
        found = _overflowing(page)
        if found or (size, theme) in PHOTOGRAPHED:
            page.screenshot(path=str(FOLDER / f"{name}-{size}-{theme}.png"))  # the layout that was judged
        if found:
            overflowing[f"{name} {size} {theme}"] = found


def test_every_page_fits_its_width_in_both_themes(server, browser):
    from nnlab.cli.main import main
    from nnlab.store.database import SQLITE_FILE

    server, folder = server
    FOLDER.mkdir(parents=True, exist_ok=True)
    for flags in THROUGH_CLI:  # the shared workspace, which this server's pages show
        assert main(["train", *flags, "--quiet", "--database", f"sqlite:///{folder / SQLITE_FILE}"]) == 0
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)  # a loaded machine: the first page imports TensorFlow
    _train(page, server, IN_BROWSER)
    # The check sees a cut-off element: a too-wide line put into the page is reported, then removed.
    wide = ("() => { const line = document.createElement('div'); line.id = 'too-wide'; line.textContent = 'x'.repeat(400);"
            " line.style.whiteSpace = 'nowrap';"
            " document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stHeading\"]').append(line); }")
    page.evaluate(wide)
    assert _overflowing(page), "the overflow check missed a line wider than the page"
    page.evaluate("() => document.getElementById('too-wide').remove()")
    overflowing = {}
    _photograph(page, "Train-trained", overflowing)  # the last run's results, as its student sees them
    for name in PAGES:
        open_app(page, f"{server}/{name}")
        _photograph(page, name or "Home", overflowing)
    context.close()
    assert not overflowing, "\n".join(f"{where}: {found}" for where, found in overflowing.items())
