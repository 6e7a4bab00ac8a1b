"""The deployer's settings from environment variables."""
import pytest

from nnlab.core import environment


@pytest.mark.parametrize("text, expected", [(None, 5.0), ("", 5.0), ("2.5", 2.5), ("0", 0.0), (" 7 ", 7.0)])
def test_a_number_or_the_default(monkeypatch, text, expected):
    if text is None:
        monkeypatch.delenv("NNLAB_TEST_NUMBER", raising=False)
    else:
        monkeypatch.setenv("NNLAB_TEST_NUMBER", text)
    assert environment.number("NNLAB_TEST_NUMBER", 5, what="a number") == expected


@pytest.mark.parametrize("text, options", [("soon", {}), ("nan", {}), ("inf", {}), ("-1", {}),
                                           ("0", {"inclusive": False}), ("2.5", {"whole": True}),
                                           ("0", {"whole": True, "minimum": 1})])
def test_anything_else_is_named_with_what_it_must_be(monkeypatch, text, options):
    monkeypatch.setenv("NNLAB_TEST_NUMBER", text)
    with pytest.raises(ValueError, match=f"NNLAB_TEST_NUMBER must be a count, got '{text}'"):
        environment.number("NNLAB_TEST_NUMBER", 5, what="a count", **options)
