import numpy as np
import pytest

from nnlab.data import csv_files as csv_data
from nnlab.data.csv_files import load_csv, read_csv
from nnlab.core.errors import DataError


def _rows(n, line):
    return "\n".join(line(i) for i in range(n))


def test_classification_is_guessed_from_few_whole_numbers(tiny_csv):
    path = tiny_csv("a,b,label\n" + _rows(40, lambda i: f"{i},{i * 0.5},{i % 2}"))
    table = load_csv(path, "label")
    assert table.task == "classification" and table.class_names == ("0", "1")
    assert table.x.shape == (40, 2) and table.feature_names == ("a", "b")
    np.testing.assert_array_equal(table.y[:4], [0, 1, 0, 1])


def test_text_target_is_classification_with_its_names(tiny_csv):
    path = tiny_csv("w,species\n" + _rows(30, lambda i: f"{i},{['cat', 'dog', 'bird'][i % 3]}"))
    assert load_csv(path, "species").class_names == ("bird", "cat", "dog")


def test_many_distinct_values_are_regression(tiny_csv):
    path = tiny_csv("x,price\n" + _rows(50, lambda i: f"{i},{i * 1.7 + 3}"))
    table = load_csv(path, "price")
    assert table.task == "regression" and table.y.dtype == np.float32


def test_the_task_can_be_overridden(tiny_csv):
    path = tiny_csv("x,grade\n" + _rows(30, lambda i: f"{i},{i % 4}"))
    assert load_csv(path, "grade", task="regression").task == "regression"


def test_text_feature_columns_are_left_out_with_a_note(tiny_csv):
    path = tiny_csv("name,x,y\n" + _rows(30, lambda i: f"n{i},{i},{i % 2}"))
    table = load_csv(path, "y")
    assert table.feature_names == ("x",) and "name" in table.notes[0]


def test_semicolon_separated_files_are_read(tiny_csv):
    path = tiny_csv("x;y\n" + _rows(30, lambda i: f"{i};{i % 2}"))
    assert load_csv(path, "y").x.shape == (30, 1)


def test_uploaded_bytes_are_read_like_files():
    data = ("x,y\n" + _rows(30, lambda i: f"{i},{i % 2}")).encode()
    assert load_csv(data, "y").x.shape == (30, 1)


@pytest.mark.parametrize(
    "text, target, message",
    [
        ("", "y", "empty"),
        ("   \n\n", "y", "empty"),
        ("x,y\n", "y", "no rows"),
        ("x,y\n" + _rows(30, lambda i: f"{i},{i % 2}"), "label", "no column named 'label'; the columns are: x, y"),
        ("name,y\n" + _rows(30, lambda i: f"n{i},{i % 2}"), "y", "no numeric feature columns"),
        ("x,y\n" + _rows(30, lambda i: f"{'' if i == 4 else i},{i % 2}"), "y", "missing or infinite values, e.g. column 'x' in data row 5"),
        ("x,y\n" + _rows(30, lambda i: f"{'inf' if i == 7 else i},{i % 2}"), "y", "missing or infinite"),
        ("x,y\n" + _rows(30, lambda i: f"{i},{'' if i == 2 else i % 2}"), "y", "target 'y' is empty in 1 row"),
        ("x,y\n" + _rows(30, lambda i: f"{i},1"), "y", "only one class"),
        ("x,y\n" + _rows(30, lambda i: f"{i},5"), "y", "only one class"),
        ("x,y\n" + _rows(80, lambda i: f"{i},c{i}"), "y", "too many classes"),
        ("x,y\n" + _rows(5, lambda i: f"{i},{i % 2}"), "y", "at least 20 are needed"),
        ('x,y\n1,"2\n', "y", "not a well-formed CSV"),
    ],
)
def test_bad_files_give_a_clear_message(tiny_csv, text, target, message):
    with pytest.raises(DataError) as error:
        load_csv(tiny_csv(text), target)
    assert message in str(error.value)


def test_text_target_cannot_be_regressed(tiny_csv):
    path = tiny_csv("x,y\n" + _rows(30, lambda i: f"{i},{'ab'[i % 2]}"))
    with pytest.raises(DataError, match="choose task 'classification'"):
        load_csv(path, "y", task="regression")


def test_constant_regression_target_is_refused(tiny_csv):
    path = tiny_csv("x,y\n" + _rows(30, lambda i: f"{i},2.5"))
    with pytest.raises(DataError, match="same value in every row"):
        load_csv(path, "y", task="regression")


def test_not_utf8_says_how_to_save_it(tiny_csv):
    path = tiny_csv("größe,y\n" + _rows(30, lambda i: f"{i},{i % 2}"), encoding="latin-1")
    with pytest.raises(DataError, match="not UTF-8.*CSV UTF-8"):
        read_csv(path)


def test_too_large_files_are_refused_before_reading(tiny_csv, monkeypatch):
    monkeypatch.setattr(csv_data, "MAX_BYTES", 100)
    path = tiny_csv("x,y\n" + _rows(60, lambda i: f"{i},{i % 2}"))
    with pytest.raises(DataError, match="allowed"):
        read_csv(path)
    with pytest.raises(DataError, match="allowed"):
        read_csv(path.read_bytes())


def test_too_many_rows_are_refused(tiny_csv, monkeypatch):
    monkeypatch.setattr(csv_data, "MAX_ROWS", 50)
    with pytest.raises(DataError, match="at most 50 are allowed"):
        read_csv(tiny_csv("x,y\n" + _rows(60, lambda i: f"{i},{i % 2}")))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_csv(tmp_path / "nope.csv")


def test_messages_list_a_few_column_names_not_thousands(tiny_csv):
    header = ",".join(f"column_{i}_{'x' * 60}" for i in range(100))
    with pytest.raises(DataError) as error:
        load_csv(tiny_csv(header + "\n" + _rows(30, lambda i: ",".join(["1"] * 100))), "label")
    assert "and 80 more" in str(error.value) and len(str(error.value)) < 1200


def test_a_column_named_twice_is_refused(tiny_csv):
    with pytest.raises(DataError, match="names the column x twice"):
        read_csv(tiny_csv("x, x,y\n" + _rows(30, lambda i: f"{i},{i},{i % 2}")))


def test_tab_separated_files_are_read(tiny_csv):
    path = tiny_csv("x\tz\ty\n" + _rows(30, lambda i: f"{i}\t{i * 2}\t{i % 2}"))
    assert load_csv(path, "y").feature_names == ("x", "z")


def test_rows_are_counted_while_reading_not_after(monkeypatch):
    """A file ten times too long is refused having parsed only the allowed rows: the peak memory
    stays a fraction of the file (reading it whole took several times its size)."""
    import tracemalloc

    monkeypatch.setattr(csv_data, "MAX_ROWS", 20_000)
    data = ("a,b,c,label\n" + _rows(200_000, lambda i: f"{i * 0.25},{i % 7},{i * 3},{i % 2}")).encode()
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="more than 20,000 rows"):
            read_csv(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(data) / 2, f"peak {peak / 2**20:.1f} MB for a {len(data) / 2**20:.1f} MB file"


@pytest.mark.parametrize("value", ["3.5e38", "-1e308"])
def test_values_beyond_float32_name_their_column_and_row(tiny_csv, value):
    path = tiny_csv("x,big,y\n" + _rows(30, lambda i: f"{i},{value if i == 6 else i},{i % 2}"))
    with pytest.raises(DataError, match=r"column 'big' in data row 7 holds .*e\+3(8|08).*scale that column down"):
        load_csv(path, "y")


def test_a_regression_target_beyond_float32_is_named(tiny_csv):
    path = tiny_csv("x,price\n" + _rows(30, lambda i: f"{i},{'1e39' if i == 3 else i * 1.5}"))
    with pytest.raises(DataError, match="column 'price' in data row 4"):
        load_csv(path, "price", task="regression")


def test_too_many_columns_are_refused_before_parsing(tiny_csv):
    header = ",".join(f"c{i}" for i in range(csv_data.MAX_COLUMNS + 1))
    with pytest.raises(DataError, match=f"{csv_data.MAX_COLUMNS + 1:,} columns; at most"):
        read_csv(tiny_csv(header + "\n" + ",".join("1" * (csv_data.MAX_COLUMNS + 1))))
    with pytest.raises(DataError, match="first line is longer than 1 MB"):
        read_csv(b"x" * (2 * 2**20))


def _answer_within(seconds, call):
    """The exception `call` raises, from a thread: opening a pipe would block forever without care."""
    import threading

    outcome = []

    def run():
        try:
            call()
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "no answer: the read hangs"
    return outcome[0]


def test_special_files_are_refused_without_hanging(tmp_path):
    import os

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    cases = {tmp_path: "is a folder", pipe: "not an ordinary file", "/dev/zero": "not an ordinary file",
             "/proc/self/environ": "empty (or a system file)"}
    for path, message in cases.items():
        error = _answer_within(10, lambda: load_csv(path, "y"))
        assert isinstance(error, DataError) and message in str(error), (path, error)


def test_messages_name_the_file_but_not_its_folder(tmp_path, tiny_csv):
    for path in (tmp_path / "nope.csv", tmp_path):
        with pytest.raises(DataError) as error:
            read_csv(path)
        assert str(tmp_path) not in str(error.value)
    with pytest.raises(DataError, match="not found: 'nope.csv'$"):
        read_csv(tmp_path / "nope.csv")


def test_inside_a_folder_only_its_files_are_read(tmp_path, tiny_csv):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    outside = tiny_csv("x,y\n" + _rows(30, lambda i: f"{i},{i % 2}"))
    inside = uploads / "a.csv"
    inside.write_bytes(outside.read_bytes())
    assert len(read_csv(inside, inside=uploads)) == 30
    (uploads / "link.csv").symlink_to(outside)
    for path in (outside, uploads / "link.csv", uploads / ".." / outside.name, "/proc/self/environ"):
        with pytest.raises(DataError, match="not among the uploaded files") as error:
            load_csv(path, "y", inside=uploads)
        assert str(tmp_path) not in str(error.value)
