"""Training a lesson and reading what its card promises (presets.Promise) against what it did: shared by
test_lessons.py (the presets) and test_race_lessons.py (the races), two modules so that two workers run them."""

from nnlab.training import inside
from nnlab.data.datasets import load_dataset
from nnlab.verdict.diagnose import baseline_loss, diagnose
from nnlab.lessons.presets import Promise
from nnlab.training.train import Trainer

SEEDS = 3  # the lesson's own seed and the next two


def trained(config):
    dataset = load_dataset(config)
    trainer = Trainer(config, dataset)
    while not trainer.done:
        trainer.run_epoch()
    return dataset, trainer, trainer.finish()


def broken_promises(promise: Promise, config, dataset, trainer, result) -> list[str]:
    """The broken promises, in words (none: kept)."""
    broken = []
    first, last = result.history[0], result.history[-1]
    for name, value in (("test_accuracy", result.test.get("accuracy")),
                        ("first_val_accuracy", first.get("val_accuracy")),
                        ("last_val_accuracy", last.get("val_accuracy")),
                        ("vanishing_ratio", inside.vanishing_ratio(trainer.layer_stats))):
        bound = getattr(promise, name)
        if bound is not None and (value is None or value not in bound):
            broken.append(f"{name} {value} not in {bound}")
    if promise.verdicts:
        # … the verdict as the page shows it too: knowing the data set and the settings (reference, next steps)
        informed = diagnose(result.history, task=dataset.task, chance=dataset.chance_accuracy, config=config,
                            baseline=baseline_loss(config.loss, dataset.task, dataset.n_classes))
        for verdict in (result.verdict, informed):
            if verdict.kind not in promise.verdicts:
                broken.append(f"verdict {verdict.kind} not in {sorted(promise.verdicts)}: {verdict.explanation}")
        if informed.kind != "good_fit" and not informed.next_steps:
            broken.append("a lesson with something to fix offers no next step")
    return broken
