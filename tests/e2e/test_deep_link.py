"""A fresh server whose first visitor arrives by a deep link still runs every page through app.py."""
import pytest

from conftest import ROOT, open_app, shoot, start_server, stop_server

pytestmark = pytest.mark.browser


def test_a_lesson_link_as_the_very_first_request_keeps_the_menu_and_drops_a_workspace(browser, tmp_path):
    url, process = start_server(tmp_path, NNLAB_RUNS="private")
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(60_000)
        open_app(page, f"{url}/Train?preset=course&workspace=class-link-1")
        page.get_by_text("16,750 parameters").wait_for()  # the lesson's settings reached the controls
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("The lecture's examples").wait_for()  # st.navigation's sections, not the flat menu
        page.wait_for_function("!location.href.includes('workspace=')")  # a visitor is their browser, not a link
        shoot(page, "deep-link-first")
        context.close()
    finally:
        stop_server(process)


def test_no_pages_folder_beside_the_entry_file():
    # Streamlit serves a `pages/` folder beside app.py as an old-style multipage app until app.py
    # has run once: a first visitor's deep link would bypass st.navigation for everyone.
    assert not (ROOT / "pages").exists()
