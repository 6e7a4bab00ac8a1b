from dataclasses import replace
from datetime import datetime

import pytest

from nnlab.config.run_config import DEFAULT
from nnlab.store.names import file_stem, run_name


@pytest.mark.parametrize("changes, name", [
    ({}, "784-128 · Adam 1e-3"),
    ({"hidden": (256, 256), "dropout": 0.3}, "784-256-256 · dropout 0.3 · Adam 1e-3"),
    ({"hidden": (20, 20, 20), "loss": "mse", "optimizer": "sgd", "learning_rate": 0.087, "batch_size": 100},
     "784-20-20-20 · MSE loss · batch 100 · SGD 0.087"),
    ({"dataset": "xor", "hidden": (8, 8), "noise": 0.2}, "hidden 8-8 · noise 0.2 · Adam 1e-3"),
    ({"hidden": (), "learning_rate": 3e-4, "train_size": 500}, "no hidden layer · 500 examples · Adam 3e-4"),
    ({"activation": "sigmoid", "batch_norm": True, "seed": 7}, "784-128 · sigmoid · batch norm · seed 7 · Adam 1e-3"),
])
def test_a_run_is_named_by_what_differs_from_the_defaults(changes, name):
    assert run_name(replace(DEFAULT, **changes)) == name


def test_two_runs_that_differ_get_different_names():
    assert run_name(replace(DEFAULT, l2=1e-4)) != run_name(replace(DEFAULT, l1=1e-4))


def test_download_names_carry_the_data_set_the_run_and_its_time():
    stem = file_stem(replace(DEFAULT, hidden=(256, 256), dropout=0.3), datetime(2026, 11, 26, 1, 2))
    assert stem == "mnist-784-256-256-dropout-0.3-adam-1e-3-20261126-0102"


def test_file_names_hold_no_folders_or_spaces_whatever_the_csv_is_called():
    config = replace(DEFAULT, dataset="csv", csv_path="/srv/up/../x y.csv", target="price", task="regression")
    stem = file_stem(config, datetime(2026, 1, 1))
    assert "/" not in stem and " " not in stem and ".." not in stem
