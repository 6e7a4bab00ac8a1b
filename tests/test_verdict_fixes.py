"""Verdicts and next steps that read the whole run (issue 21, "Also"): a learning rate changed mid-run,
a tiny learning rate whose loss falls slowly but steadily."""
import math

from nnlab.config.run_config import RunConfig
from nnlab.verdict.diagnose import diagnose

BASELINE = math.log(10)  # the loss of a 10-class network that knows nothing


def test_the_remedy_after_a_mid_run_change_starts_from_the_last_rate():
    history = [{"epoch": e, "loss": 2.0 - 0.1 * e, "val_loss": 2.0 - 0.1 * e, "accuracy": 0.3, "val_accuracy": 0.3,
                "learning_rate": 0.087} for e in (1, 2, 3)]
    history += [{"epoch": e, "loss": math.inf, "val_loss": math.inf, "accuracy": 0.1, "val_accuracy": 0.1,
                 "learning_rate": 5.0} for e in (4, 5)]  # set to 5 at epoch 4: the loss blew up
    verdict = diagnose(history, chance=0.1, baseline=BASELINE,
                       config=RunConfig(dataset="mnist", optimizer="sgd", learning_rate=0.087))
    assert verdict.kind == "diverged"
    lower = [step for step in verdict.next_steps if step.text.startswith("Lower the learning rate")]
    assert lower and lower[0].changes["learning_rate"] == 0.5, [step.text for step in verdict.next_steps]


def test_a_rate_kept_as_configured_is_lowered_from_it():
    history = [{"epoch": e, "loss": math.inf, "val_loss": math.inf, "accuracy": 0.1, "val_accuracy": 0.1,
                "learning_rate": 5.0} for e in (1, 2)]
    verdict = diagnose(history, chance=0.1, baseline=BASELINE,
                       config=RunConfig(dataset="mnist", optimizer="sgd", learning_rate=5.0))
    assert [step.changes["learning_rate"] for step in verdict.next_steps if "learning_rate" in step.changes][0] == 0.5


def test_a_tiny_rate_whose_loss_falls_every_epoch_is_learning_slowly_not_diverged():
    history = [{"epoch": e, "loss": BASELINE * (1 - 0.002 * e), "val_loss": BASELINE * (1 - 0.0019 * e),
                "accuracy": 0.1, "val_accuracy": 0.1, "learning_rate": 1e-4} for e in range(1, 11)]
    verdict = diagnose(history, chance=0.1, baseline=BASELINE,
                       config=RunConfig(dataset="mnist", optimizer="sgd", learning_rate=1e-4))
    assert verdict.kind != "diverged" and "diverged" not in [finding.kind for finding in verdict.findings]
    assert verdict.next_steps[0].changes == {"learning_rate": 0.001}  # raise it: the loss falls, but slowly


def test_a_loss_that_does_not_move_at_chance_is_still_not_learning():
    history = [{"epoch": e, "loss": BASELINE, "val_loss": BASELINE, "accuracy": 0.1, "val_accuracy": 0.1}
               for e in range(1, 11)]
    assert diagnose(history, chance=0.1, baseline=BASELINE).kind == "diverged"
