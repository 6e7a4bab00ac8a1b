"""A class in real browsers (NNLAB_RUNS=private): a teacher makes a class and opens its board; three students,
each in a browser of their own, join by the student link and train; two share, one unticks "Share this run
with the class" before training; the teacher's board and a student's board update without a reload; the
teacher hides a run and it leaves the student's board; the unshared run never appears."""
import re

import pytest

from conftest import journey_server, open_app, page_still, shoot

pytestmark = pytest.mark.browser
ROW_PX, HEADER_PX = 35, 35  # Streamlit's data grid: the header's and each row's height
TRAIN = "/Train?dataset=moons&hidden=4&epochs=2"
STUDENTS_JS = """() => [...document.querySelectorAll('[aria-roledescription="point"]')]
  .map(p => (/student: ([^;]*)/.exec(p.getAttribute('aria-label') || '') || [])[1]).filter(Boolean)"""


def _main(page):
    return page.get_by_test_id("stMainBlockContainer")


def _shared(page, count: int, timeout: float = 90) -> None:
    """Wait (without reloading) until the board says `count` runs are shared."""
    words = f"{count} run{'s' if count != 1 else ''} shared"
    _main(page).get_by_text(re.compile(rf"\b{words}\b")).wait_for(timeout=timeout * 1000)


def test_a_class_trains_and_its_board_follows(browser, tmp_path):
    with journey_server(browser, tmp_path, "class-board", NNLAB_RUNS="private") as browsers:
        url, new_page = browsers.url, browsers.page
        teacher = new_page()
        open_app(teacher, f"{url}/Class")
        _main(teacher).get_by_role("textbox", name="The class's name").fill("Moons, fewest parameters")
        _main(teacher).get_by_role("button", name="Create the class").click()
        _main(teacher).get_by_text("Student link", exact=True).wait_for()
        _main(teacher).get_by_text("Teacher link — keep it to yourself").click()  # folded: the page may be projected
        codes = _main(teacher).get_by_test_id("stCode")
        student_link, teacher_link = codes.nth(0).inner_text().strip(), codes.nth(1).inner_text().strip()
        key = re.search(r"key=([\w-]+)", teacher_link).group(1)
        assert "join=" in student_link and key not in student_link
        teacher.wait_for_function("(key) => !location.href.includes(key)", arg=key)  # the Class page, projected, neither
        _main(teacher).get_by_role("link", name="Open the board (project it)").click()
        _main(teacher).get_by_text(re.compile("No runs on the board yet")).wait_for()
        assert key not in teacher.url  # a projected board's address never shows the key

        students = {}
        for name, shares in (("Ann", True), ("Bob", True), ("Cy", False)):
            page = students[name] = new_page()
            open_app(page, student_link)
            _main(page).get_by_role("textbox", name="Your name, as the class will see it").fill(name)
            _main(page).get_by_role("button", name="Join the class").click()
            _main(page).get_by_text(f"You are in this class as {name}").wait_for()
            open_app(page, url + TRAIN)
            tick = _main(page).get_by_role("checkbox", name="Share this run with the class")
            tick.wait_for()
            if not shares:
                _main(page).get_by_text("Share this run with the class").click()
                page.wait_for_function("() => ![...document.querySelectorAll('input[type=checkbox]')]"
                                       ".some(b => b.getAttribute('aria-label') === 'Share this run with the class' && b.checked)")
            page_still(page)
            _main(page).get_by_role("button", name="Train", exact=True).click()
        for name, page in students.items():
            page.get_by_text("Trained all 2 epochs.").first.wait_for(timeout=180_000)

        _shared(teacher, 2)  # the board follows: no reload, the fragment redrew the page once the runs changed
        page_still(teacher)
        seen = teacher.evaluate(STUDENTS_JS)
        assert sorted(set(seen)) == ["Ann", "Bob"], seen  # Cy unticked before training: never on the board
        shoot(teacher, "class-1-board")

        ann = students["Ann"]
        open_app(ann, student_link)
        _main(ann).get_by_role("link", name="The class's board").click()
        _shared(ann, 2)
        assert _main(ann).get_by_role("button", name="Hide", exact=True).count() == 0  # a student has no teacher's controls

        page_still(teacher)
        teacher.get_by_test_id("stDataFrame").last.click(position={"x": 18, "y": HEADER_PX + ROW_PX // 2})
        _main(teacher).get_by_role("button", name="Hide", exact=True).click()
        _shared(ann, 1)  # the student's board follows the teacher's hiding, without a reload
        _shared(teacher, 1)
        page_still(ann)
        assert len(set(ann.evaluate(STUDENTS_JS))) == 1 and "Cy" not in ann.evaluate(STUDENTS_JS)
        assert "Cy" not in _main(ann).inner_text()
        shoot(ann, "class-2-hidden")
