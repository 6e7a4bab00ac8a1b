"""A visitor of a deployment is their browser, not their link (NNLAB_RUNS=private): A trains; A's link
opened in another browser shows none of A's runs; A, by a typed address or a new tab, still has them;
a second tab of A is the same visitor in the queue; a transfer code moves the runs to the other browser."""
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import journey_server, open_app, page_still, shoot

pytestmark = pytest.mark.browser


def _main(page):
    return page.get_by_test_id("stMainBlockContainer")


def _runs_count(page, url: str) -> str:
    """The Runs page's count of rows ("1 of 1 rows": a run, or a group of seeds), or "none" when it has no runs."""
    open_app(page, f"{url}/Runs")
    found = page.get_by_text(re.compile(r"\d+ of \d+ rows|No runs yet")).first
    found.wait_for()
    text = found.inner_text()
    return "none" if text.startswith("No runs yet") else re.search(r"(\d+) of \d+ rows", text).group(1)


def _transfer_panel(page):
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Use my runs on another device").click()
    return sidebar


def test_a_visitor_is_their_browser_and_moves_their_runs_by_a_code(browser, tmp_path):
    with journey_server(browser, tmp_path, "identity", NNLAB_RUNS="private") as browsers:
        url, new_page = browsers.url, browsers.page
        a_context, b_context = browsers.context(), browsers.context()
        a = new_page(a_context)
        open_app(a, f"{url}/Train?dataset=moons&hidden=4&epochs=2")
        _main(a).get_by_role("button", name="Train", exact=True).click()
        a.get_by_text("Trained all 2 epochs.").first.wait_for(timeout=120_000)
        link = a.evaluate("location.href")
        assert "workspace" not in link and "epochs=2" in link  # the link: settings only
        assert any(c["name"] == "nnlab_visitor" and c["httpOnly"] and c["sameSite"] == "Lax"
                   for c in a_context.cookies())
        shoot(a, "identity-1-a-trained")

        b = new_page(b_context)  # A's link, in another browser: none of A's runs, so nothing to delete
        open_app(b, link)
        b.get_by_text("parameters").first.wait_for()
        assert _runs_count(b, url) == "none"
        open_app(b, link.replace("/Train", "/Runs"))
        b.get_by_text("No runs yet").wait_for()
        shoot(b, "identity-2-b-no-runs")

        assert _runs_count(a, url) == "1"  # A types the address: still their run
        a2 = new_page(a_context)  # a new tab of A, no link
        assert _runs_count(a2, url) == "1"

        # Two tabs of A are one visitor: while tab 1 trains, tab 2's Train page holds that run (its
        # curves and Stop), not a second training; B's Train page does not see it. The run starts paused:
        # it holds its place as a training does, without taking a core from the pages loading meanwhile.
        open_app(a, f"{url}/Train?dataset=digits&hidden=64&epochs=300&batch_size=1")
        _main(a).get_by_text("Start paused (step mode)").click()
        _main(a).get_by_role("button", name="Train", exact=True).click()
        _main(a).get_by_role("button", name="Stop", exact=True).wait_for(timeout=90_000)
        open_app(a2, f"{url}/Train?dataset=moons&hidden=4&epochs=2")
        _main(a2).get_by_text("A run of yours is training").wait_for(timeout=60_000)
        assert _main(a2).get_by_role("button", name="Train", exact=True).is_disabled()
        open_app(b, f"{url}/Train")
        b.get_by_text("parameters").first.wait_for()
        assert _main(b).get_by_text("A run of yours is training").count() == 0
        _main(a2).get_by_role("button", name="Stop", exact=True).click()
        a2.get_by_text(re.compile(r"Stopped by you")).first.wait_for(timeout=60_000)
        # Tab 1 learns of the stop too and reruns: a click while it is drawn can go nowhere (it did under load).
        a.get_by_text(re.compile(r"Stopped by you")).first.wait_for(timeout=60_000)
        page_still(a)

        sidebar = _transfer_panel(a)
        page_still(a)  # the panel unfolded (it slides open)
        sidebar.get_by_role("button", name="Make a code").click()
        shown = sidebar.get_by_text(re.compile(r"Your code: [A-Z0-9]{4}-[A-Z0-9]{4}")).first
        shown.wait_for()
        code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", shown.inner_text()).group(0)
        shoot(a, "identity-3-code")

        open_app(b, f"{url}/Runs")
        b.get_by_text("No runs yet").wait_for()
        page_still(b)  # the page's run over: a submit clicked while it was still being drawn went nowhere
        sidebar = _transfer_panel(b)
        page_still(b)  # the panel unfolded (it slides open)
        sidebar.get_by_role("textbox", name="A code from your other device").fill(code)
        sidebar.get_by_role("button", name="Use this code").click()
        try:
            sidebar.get_by_text(re.compile("now shows the runs of the device")).wait_for()
        except PlaywrightTimeout:  # say what the sidebar said instead (once in a full run, never alone)
            shoot(b, "identity-4-b-code-not-taken")
            raise AssertionError(f"no 'now shows the runs': the sidebar said {sidebar.inner_text()!r}") from None
        assert _runs_count(b, url) == "2"  # A's two runs (the trained one and the stopped one), now on B too
        shoot(b, "identity-4-b-moved")
