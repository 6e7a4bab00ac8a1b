"""Playground's controls in a real browser: the input toggles (x₁², x₂² for the circle, no hidden layer),
then the L2 penalty changed while the run trains, marked on the live curves and on the final ones."""
import re

import pytest

from conftest import DRAWN_EPOCH_JS, open_app, shoot

pytestmark = pytest.mark.browser

EPOCH_DRAWN_JS = f"""(least) => {{ const epoch = ({DRAWN_EPOCH_JS})(); return epoch >= least ? epoch : null; }}"""


def _main(page):
    return page.get_by_test_id("stMainBlockContainer")


def _wait_for_epoch(page, epoch: int, timeout: float = 120) -> int:
    return page.wait_for_function(EPOCH_DRAWN_JS, arg=epoch, timeout=timeout * 1000).json_value()


def test_input_toggles_then_the_l2_penalty_changed_while_the_run_trains(server, page):
    # 1,440 batches of one point an epoch, 400 epochs (≈0.12 s an epoch here since tiny steps run single-threaded:
    # 60 epochs ended in 8 s, before a loaded browser's change landed), so the change lands mid-run; stopped early.
    open_app(page, f"{server}/Train?dataset=circle&samples=2000&hidden=&batch_size=1&epochs=400")
    main = _main(page)
    for name in ("x₁²", "x₂²"):  # Playground's toggles: on …
        main.get_by_role("button", name=name, exact=True).click()
        page.wait_for_function("(n) => location.href.includes(n)", arg="features=x1%2Cx2%2C" if name == "x₁²" else
                               "x1_squared%2Cx2_squared", timeout=60_000)
    main.get_by_role("button", name="x₁", exact=True).click()  # … and off, each click's link awaited before the
    page.wait_for_function("(n) => location.href.includes(n)", arg="features=x2%2Cx1_squared%2Cx2_squared",
                           timeout=60_000)  # next (under load, a click during the rerun of the last went nowhere)
    main.get_by_role("button", name="x₂", exact=True).click()
    page.wait_for_function("() => location.href.includes('features=x1_squared%2Cx2_squared&') || "
                           "location.href.endsWith('features=x1_squared%2Cx2_squared')", timeout=60_000)
    main.get_by_text("6 parameters").first.wait_for()  # 2 inputs × 2 outputs + 2 biases: no hidden layer
    shoot(page, "playground-inputs")

    main.get_by_role("button", name="Train", exact=True).click()
    seen = _wait_for_epoch(page, 1)
    main.get_by_text("Regularization from now on (L1 / L2)").click()
    l2 = page.locator('[data-testid="stSlider"]').filter(has_text="L2 penalty from now on").get_by_role("slider")
    l2.wait_for()
    l2.focus()
    for _ in range(5):  # 0 → 1e-6 → 1e-5 → 1e-4 → 1e-3 → 0.01
        page.keyboard.press("ArrowRight")
    page.locator('[data-testid="stSlider"]').filter(has_text="L2 penalty from now on").get_by_text("0.01").wait_for()
    main.get_by_test_id("stExpander").filter(has_text="Regularization from now on").get_by_role(
        "button", name="Change", exact=True).click()
    main.get_by_text(re.compile(r"L2 0\.01 and L1 0 from the next epoch on")).wait_for(timeout=60_000)
    clicked = _wait_for_epoch(page, seen)
    _wait_for_epoch(page, clicked + 2)  # an epoch trained with the new penalty is drawn
    # the live chart (drawn by the browser while the run trains) marks it too, at the epoch it took over
    page.wait_for_function("() => (window.__nnlabLive.marks.at(-1) || []).includes('L2 → 0.01')", timeout=60_000)
    mark = page.locator("[data-nnlab-live] .change-label", has_text="L2 → 0.01").first
    assert mark.is_visible()
    main.get_by_role("button", name="Stop", exact=True).click()
    main.get_by_text(re.compile(r"Stopped by you (?:during|after) epoch \d+")).first.wait_for(timeout=60_000)
    # the final curves carry the change as a labelled rule (Vega draws the label as SVG text)
    page.locator('[data-testid="stVegaLiteChart"] text', has_text="L2 → 0.01").first.wait_for(timeout=60_000)
    shoot(page, "playground-l2-changed")
