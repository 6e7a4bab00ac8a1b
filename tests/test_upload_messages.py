"""A CSV upload the page cannot use says why in words, once: no "dataset 'csv' needs csv_path…" beside
it (issue 21, "Also")."""
import pytest
from apptest_helpers import open_page, widget

from nnlab.data import csv_files as csv_data

TRAIN = "app_pages/1_Train.py"


def test_choosing_your_own_data_before_uploading_asks_for_the_file_only(runs_dir):
    at = open_page(TRAIN)
    widget(at, "Data set").set_value("csv").run()
    assert not at.exception and not at.error
    assert any("Upload a CSV file" in box.value for box in at.info)


@pytest.mark.slow
def test_an_upload_too_big_gets_its_own_message_and_no_jargon(runs_dir, monkeypatch):
    monkeypatch.setattr(csv_data, "MAX_BYTES", 1000)  # a 60 MB file against the real limit, in miniature
    at = open_page(TRAIN)
    widget(at, "Data set").set_value("csv").run()
    big = b"a,b,label\n" + b"\n".join(b"%d,%d,%d" % (i, i % 7, i % 2) for i in range(500))
    at.file_uploader[0].upload("big.csv", big, "text/csv").run()
    messages = [error.value for error in at.error]
    assert len(messages) == 1 and "are allowed" in messages[0], messages
    assert not any("csv_path" in message for message in messages)
