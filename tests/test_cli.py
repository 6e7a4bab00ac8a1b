import contextlib
import dataclasses
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnlab.cli.main import main
from nnlab.config.run_config import COURSE_EXERCISE, RunConfig

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, program=False, timeout=600):
    """`python -m nnlab ARGS`: its exit code, stdout and stderr. In this process through `main(argv)` (the
    same code without paying TensorFlow's start-up again), or with `program=True` as the real program in
    a process of its own: one test per command does that, so `python -m nnlab` itself stays covered."""
    if program:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run([sys.executable, "-m", "nnlab", *args], capture_output=True, text=True, env=env,
                              timeout=timeout, cwd=ROOT)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's way of refusing a flag, as the program would exit
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    return subprocess.CompletedProcess(["nnlab", *args], code, out.getvalue(), err.getvalue())


def test_datasets_lists_every_data_set():
    out = run_cli("datasets", program=True)
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert {"mnist", "fashion_mnist", "digits", "spiral", "plane", "csv"} <= set(names)


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_train_json_has_every_field_and_progress_goes_to_stderr():
    out = run_cli("train", "--dataset", "digits", "--hidden", "32", "--epochs", "2", "--json", program=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"status", "epochs_run", "history", "test", "verdict", "params", "seconds_per_epoch"} <= set(result)
    assert result["epochs_run"] == 2 and len(result["history"]) == 2
    assert set(result["test"]) == {"loss", "accuracy"} and result["params"] == 65 * 32 + 33 * 10
    assert {"kind", "best_epoch", "explanation"} <= set(result["verdict"])
    assert "epoch 1/2" in out.stderr and "epoch 2/2" in out.stderr
    assert "I0000" not in out.stderr  # TensorFlow's start-up chatter is held back


@pytest.mark.slow  # over 4 s in the edit loop: out of it
def test_a_settings_file_trains_through_the_cli_with_flags_over_it(tmp_path):
    """The course exercise's settings file through `--config`, two flags over it (2,000 images, 2 epochs: the
    figure is not the point here). Its accuracy is the course lesson's, checked on three seeds in test_lessons;
    nnlab against plain Keras on MNIST is test_keras_export's exported script."""
    settings = tmp_path / "course.json"
    settings.write_text(COURSE_EXERCISE.to_json())
    out = run_cli("train", "--config", str(settings), "--train-size", "2000", "--epochs", "2", "--json", "--quiet")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    expected = dataclasses.replace(COURSE_EXERCISE, train_size=2000, epochs=2)
    assert RunConfig.from_dict(result["config"]) == expected
    assert result["epochs_run"] == 2 and result["params"] == 785 * 20 + 21 * 20 + 21 * 20 + 21 * 10
    assert [row["epoch"] for row in result["history"]] == [1, 2] and 0 <= result["test"]["accuracy"] <= 1


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "epochs must be in [1, 1000], got 0"),
    (["--lr", "-1"], "learning_rate must be in (0, 100], got -1.0"),
    (["--optimizer", "bfgs"], "invalid choice: 'bfgs'"),
    (["--hidden", "12,x"], "hidden must be neuron counts"),
    (["--dataset", "cifar"], "dataset 'cifar' is not one of"),
    (["--batch-size", "many"], "invalid int value: 'many'"),
    (["--csv", "/no/such.csv", "--target", "y"], "CSV file not found"),
    (["--dataset", "csv"], "needs csv_path"),
    (["--loss", "mse", "--encoding", "label"], "loss 'mse' needs encoding 'one_hot'"),
    (["--save-model", "model.h5"], "ending in .keras"),
    (["--config", "/no/such.json"], "cannot read the settings file"),
])
def test_bad_settings_exit_2_with_one_clear_line(args, message, capsys):
    try:
        code = main(["train", *args])
    except SystemExit as exit_:  # argparse's own checks (choices, types) exit directly
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_bad_csv_exits_2_without_a_traceback(tmp_path):
    path = tmp_path / "words.csv"
    path.write_text("name,label\n" + "\n".join(f"n{i},{i % 2}" for i in range(30)))
    out = run_cli("train", "--csv", str(path), "--target", "label")
    assert out.returncode == 2
    assert out.stderr.strip() == ("nnlab: no numeric feature columns besides the target 'label'; "
                                  "the network needs numbers as inputs (text columns are left out)")


def test_csv_training_and_saving_the_model(tmp_path):
    path = tmp_path / "xor.csv"
    rows = [f"{a},{b},{int((a > 0) == (b > 0))}" for a in (-2, -1, 1, 2) for b in (-2, -1.5, -1, 1, 1.5, 2)]
    path.write_text("a,b,same\n" + "\n".join(rows * 3))
    model = tmp_path / "xor.keras"
    out = run_cli("train", "--csv", str(path), "--target", "same", "--hidden", "8", "--epochs", "3",
                  "--save-model", str(model), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1])["config"]["dataset"] == "csv"
    assert model.stat().st_size > 1000


def test_human_summary_names_the_verdict_and_remedies():
    out = run_cli("train", "--dataset", "spiral", "--hidden", "", "--epochs", "30", "--batch-size", "10", "--lr", "0.03")
    assert out.returncode == 0, out.stderr
    assert "verdict: Underfitting" in out.stdout and "Add a hidden layer of 16 neurons." in out.stdout  # for its settings


def test_human_summary_lists_the_layers_with_their_parameter_counts():
    out = run_cli("train", "--dataset", "iris", "--hidden", "8", "--epochs", "1", "--quiet")
    assert "hidden_1       dense          8 relu            40  (4 inputs + 1 bias) × 8" in out.stdout
    assert "output         dense          3 softmax         27" in out.stdout


@pytest.mark.parametrize("argv, command", [(["train", "--bogus"], "python -m nnlab train"),
                                           (["runs", "--bogus"], "python -m nnlab runs"),
                                           (["--bogus"], "python -m nnlab")])
def test_an_unknown_flag_points_to_the_commands_own_help(argv, command, capsys):
    with pytest.raises(SystemExit) as ended:
        main(argv)
    assert ended.value.code == 2
    error = capsys.readouterr().err
    assert f"(see `{command} --help`)" in error and "nnlab nnlab" not in error


@pytest.mark.slow  # three real trainings
def test_seeds_train_a_group_and_print_the_mean_and_spread(runs_dir):
    """`--seeds 3`: three runs (the seed and the next two) kept as one group; the text gives mean ± sd, the
    lowest and highest seed; `--json` carries every run and the summary, whose figures are the runs' own."""
    out = run_cli("train", "--dataset", "moons", "--hidden", "8", "--epochs", "2", "--seed", "4", "--seeds", "3",
                  "--json", "--quiet")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["seeds"] == [4, 5, 6] and [run["config"]["seed"] for run in result["runs"]] == [4, 5, 6]
    accuracies = [run["test"]["accuracy"] for run in result["runs"]]
    summary = result["summary"]["test"]["accuracy"]
    assert summary["n"] == 3 and summary["values"] == accuracies
    assert summary["min"] == min(accuracies) <= summary["mean"] <= summary["max"] == max(accuracies)
    assert len(result["summary"]["verdicts"]) == 3 and result["summary"]["verdict"]["kind"]
    from nnlab.store.groups import load_group
    from nnlab.store.runs import open_store

    group = load_group(open_store(), result["group"])
    assert sorted(run.id for run in group.runs) == sorted(run["run_id"] for run in result["runs"])

    text = run_cli("train", "--dataset", "moons", "--hidden", "8", "--epochs", "1", "--seeds", "2", "--no-save",
                   "--quiet")
    assert text.returncode == 0, text.stderr
    assert "mean ± sd of 2 seeds" in text.stdout and "read from the mean curves of 2 seeds" in text.stdout


@pytest.mark.parametrize("args, message", [
    (["--seeds", "11"], "--seeds must be 1 (one run) or 2 to 10, got 11"),
    (["--seeds", "3", "--save-model", "x.keras"], "--save-model keeps one model"),
])
def test_bad_seeds_exit_2_with_one_line(args, message):
    out = run_cli("train", "--dataset", "moons", *args)
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1
