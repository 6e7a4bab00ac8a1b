"""A lesson on a classroom projector (1280×720 at 1.5× device scale): while its run trains, the live
curves are on the screen, not a thousand pixels below the settings (issue 21, problem 4)."""
import time

import pytest

from conftest import DRAWN_EPOCH_JS, chart_in_view, open_app, shoot

pytestmark = pytest.mark.browser

DEADLINE = 120  # seconds for the course exercise's first epoch (MNIST loaded and compiled) to be drawn


def test_the_lessons_curves_are_in_view_on_a_projector_while_it_trains(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, device_scale_factor=1.5)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_app(page, server)
        page.get_by_role("link", name="Open in Train").first.click()  # the first card: the course exercise
        page.get_by_text("The course exercise.").first.wait_for()
        main = page.get_by_test_id("stMainBlockContainer")
        main.get_by_role("button", name="Train", exact=True).click()
        stop = main.get_by_role("button", name="Stop", exact=True)
        stop.wait_for()
        deadline = time.time() + DEADLINE
        while page.evaluate(DRAWN_EPOCH_JS) < 1:
            assert time.time() < deadline, "no epoch of the lesson was drawn"
            time.sleep(0.1)
        chart_in_view(page, whole=True)  # all of the live chart on the 1280×720 screen
        training = stop.is_visible()
        shoot(page, "curves-in-view-projector")
        assert training, "the run ended before its curves could be looked at"
        stop.click()
        stop.wait_for(state="detached")
    finally:
        context.close()
