import numpy as np
import pytest

from nnlab import csv_data
from nnlab.csv_data import load_csv, read_csv
from nnlab.errors import DataError


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
