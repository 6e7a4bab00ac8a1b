"""The verdict against a labelled corpus of real nnlab runs (tests/fixtures/verdict_corpus/).

Each run was labelled by a person from its curves, not from the rule. The test reports the
agreement, every disagreement and the confusion between kinds, and needs at least 95 %. It reads
JSON only: no training.
"""
import json
from collections import Counter
from pathlib import Path

import pytest

from nnlab.config.run_config import RunConfig
from nnlab.verdict.diagnose import KINDS, diagnose, live_finding

CORPUS = Path(__file__).parent / "fixtures" / "verdict_corpus"
RUNS = [json.loads(path.read_text()) for path in sorted(CORPUS.glob("*.json"))]
AGREEMENT = 0.95
ORDER = ["diverged", "overfitting", "still_improving", "underfitting", "good_fit"]


def verdict_of(run):
    facts = run["dataset"]
    return diagnose(run["history"], task=facts["task"], chance=facts["chance"], baseline=facts["baseline"],
                    dataset=facts["name"], config=RunConfig.from_dict(run["config"]))


def test_the_corpus_is_labelled_and_spans_what_students_try():
    assert len(RUNS) >= 40
    assert all(run["label"] in KINDS and len(run["evidence"]) > 20 for run in RUNS), "every run needs a label and evidence"
    names = {run["dataset"]["name"] for run in RUNS}
    assert {"mnist", "fashion_mnist", "digits", "spiral", "circle", "xor", "csv"} <= names
    assert sum(run["dataset"]["name"] in ("mnist", "fashion_mnist") for run in RUNS) >= 8
    assert any(run["dataset"]["task"] == "regression" for run in RUNS)
    configs = [run["config"] for run in RUNS]
    assert {c["optimizer"] for c in configs} >= {"sgd", "adam", "rmsprop"}
    assert min(c["learning_rate"] for c in configs) <= 0.001 and max(c["learning_rate"] for c in configs) >= 10
    assert any(not c["hidden"] for c in configs) and any(max(c["hidden"], default=0) >= 1024 for c in configs)
    sizes = [run["dataset"]["train_examples"] for run in RUNS]
    assert min(sizes) <= 500 and max(sizes) >= 50_000
    epochs = [len(run["history"]) for run in RUNS]
    assert min(epochs) <= 3 and max(epochs) >= 100
    assert Counter(run["label"] for run in RUNS).keys() >= set(ORDER)


def test_the_verdict_agrees_with_the_labels(capsys):
    confusion, wrong = Counter(), []
    for run in RUNS:
        got = verdict_of(run).kind
        confusion[run["label"], got] += 1
        if got != run["label"]:
            wrong.append(f"  {run['name']}: labelled {run['label']} ({run['evidence']}); rule says {got}")
    agreed = sum(n for (label, got), n in confusion.items() if label == got)
    lines = [f"verdict corpus: {agreed}/{len(RUNS)} agree ({agreed / len(RUNS):.1%})", *wrong,
             "label \\ rule     " + " ".join(k[:11].rjust(12) for k in ORDER)]
    lines += [label.ljust(17) + " ".join(str(confusion[label, got]).rjust(12) for got in ORDER) for label in ORDER]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert agreed / len(RUNS) >= AGREEMENT, "\n".join(lines)


@pytest.mark.parametrize("run", RUNS, ids=[run["name"] for run in RUNS])
def test_the_live_finding_never_raises_a_false_alarm(run):
    """Every prefix of every run, as the page sees it epoch by epoch: an alarm only where the label agrees."""
    facts = run["dataset"]
    for n in range(1, len(run["history"]) + 1):
        finding = live_finding(run["history"][:n], task=facts["task"], chance=facts["chance"], baseline=facts["baseline"])
        assert finding is None or finding.kind == run["label"], f"epoch {n}: {finding.text}"


def test_the_live_finding_catches_most_blow_ups_and_overfitting_before_the_end():
    caught = [run["name"] for run in RUNS if run["label"] in ("diverged", "overfitting") and any(
        live_finding(run["history"][:n], task=run["dataset"]["task"], chance=run["dataset"]["chance"],
                     baseline=run["dataset"]["baseline"]) for n in range(1, len(run["history"])))]
    assert len(caught) >= 6, caught


def test_the_verdict_states_its_evidence():
    for run in RUNS:
        result = verdict_of(run)
        if result.kind == "overfitting" and "onset_epoch" in result.evidence:
            assert f"epoch {result.best_epoch}" in result.explanation
        if result.kind == "still_improving":
            assert result.evidence["trend_per_epoch"] < 0 and f"{result.evidence['trend_epochs']} epochs" in result.explanation
        if run["dataset"]["name"] == "mnist" and result.kind != "diverged":
            assert "mnist_mlp" in result.explanation  # how far from what a tuned network reaches, and the source
        json.dumps(result.to_dict())
