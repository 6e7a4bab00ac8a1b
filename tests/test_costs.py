"""Issue 20: what one visitor may cost, counted honestly: every pass in the compute budget, a Stop
that lands within a batch, paused time counted in total."""
import pytest

from nnlab import dataset_tensors
from nnlab import train as train_module
from nnlab.config import RunConfig
from nnlab.data import load_dataset
from nnlab.errors import UserError
from nnlab.jobs import TrainingJob
from nnlab.scheduler import Scheduler
from nnlab.status import Status
from nnlab.train import Trainer

# Ten training examples and half the data set to validate on: the validation passes are the cost.
HOG = RunConfig(dataset="digits", hidden=(256, 256), train_size=10, validation_fraction=0.5, epochs=200)


def test_a_run_whose_validation_passes_are_over_the_budget_is_refused(monkeypatch):
    job = TrainingJob(HOG, load_dataset, owner="hog", scheduler=Scheduler(1))
    config, n_train, params, n_val, n_test, _ = job._measure()
    training_only = HOG.epochs * (n_train * params + 1_000_000)
    monkeypatch.setenv("NNLAB_MAX_COMPUTE", str(10 * training_only))  # ten times what its training alone needs
    with pytest.raises(UserError, match=r"validation .* a smaller validation_fraction \(each epoch checks "
                                        rf"{n_val:,} validation examples"):
        job.start()
    assert job.queue_position() is None


def test_a_stop_during_the_validation_pass_lands_before_the_next_validation_batch(monkeypatch):
    monkeypatch.setattr(train_module, "FOLD_SECONDS", 0.0)  # the validation pass in its own calls
    monkeypatch.setattr(dataset_tensors, "EVAL_BATCH", 50)  # … of 50 examples each: many of them
    config = RunConfig(dataset="digits", hidden=(8,), validation_fraction=0.5, epochs=5, batch_size=128)
    trainer = Trainer(config, load_dataset(config))
    evaluate, calls = trainer._evaluate_batch, []

    def evaluate_then_stop(x, y):
        calls.append(len(x))
        result = evaluate(x, y)
        trainer.stop()  # the visitor presses Stop while the first validation batch is computed
        return result

    trainer._evaluate_batch = evaluate_then_stop
    assert trainer.run_epoch() is None  # the epoch the Stop cut short is dropped
    assert calls == [50]  # not the 17 more batches of the validation split
    assert trainer.status == Status.STOPPED and trainer.history == []
    assert "0 completed epoch(s) kept" in trainer.message
