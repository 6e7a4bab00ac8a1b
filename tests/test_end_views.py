"""A run's end views kept with it (training/end_views.py): what a worker's run gives the page that follows
it from another process — its predictions and inside views, read back equal, bounded, deleted with the run."""
import numpy as np
import pandas as pd
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.serving.jobs import TrainingJob
from nnlab.training import end_views
from test_jobs import wait_until


def ended(config: RunConfig, store, **kwargs) -> TrainingJob:
    job = TrainingJob(config, load_dataset, store=store, **kwargs).start()
    wait_until(lambda: job.done)
    assert job.status == "completed", job.message
    return job


def assert_same_arrays(kept, made) -> None:
    """Every field of two (nested) dataclasses equal, arrays by value and dtype."""
    if made is None or isinstance(made, (str, int, float)):
        assert kept == made
    elif isinstance(made, np.ndarray):
        assert kept.dtype == made.dtype and np.array_equal(kept, made)
    elif isinstance(made, pd.DataFrame):
        pd.testing.assert_frame_equal(kept, made)
    elif isinstance(made, tuple):
        assert len(kept) == len(made)
        for one, other in zip(kept, made):
            assert_same_arrays(one, other)
    else:
        for name in made.__dataclass_fields__:
            assert_same_arrays(getattr(kept, name), getattr(made, name))


@pytest.mark.parametrize("config", [RunConfig(dataset="xor", hidden=(4, 3), samples=200, epochs=2),
                                    RunConfig(dataset="digits", hidden=(8,), epochs=2)], ids=["plane", "images"])
def test_a_run_that_keeps_its_views_reads_them_back_equal_from_the_store(run_store, config):
    job = ended(config, run_store, keep_views=True)
    predictions, inside = end_views.decode(run_store.end_views(job.run_id))
    assert_same_arrays(predictions, job.predictions)
    assert_same_arrays(inside, job.inside)
    assert (inside.maps is not None) == (config.dataset == "xor") and (inside.weights is not None) == (
        config.dataset == "digits")
    run_store.delete(job.run_id)
    assert run_store.end_views(job.run_id) is None


def test_a_local_run_keeps_no_views_and_the_views_are_bounded(run_store, monkeypatch):
    job = ended(RunConfig(dataset="digits", hidden=(8,), epochs=1), run_store)
    assert run_store.end_views(job.run_id) is None  # a page here has them in memory: nothing more in the database
    assert end_views.encode(None, None) is None
    blob = end_views.encode(job.predictions, job.inside)
    assert 0 < len(blob) < 200_000
    monkeypatch.setattr(end_views, "MOST_BYTES", len(blob) - 1)
    assert end_views.encode(job.predictions, job.inside) is None  # beyond the bound: not kept


@pytest.mark.parametrize("blob", [b"", b"not an archive", b"PK\x03\x04broken"])
def test_damaged_views_are_a_value_error_not_a_crash(blob):
    with pytest.raises(ValueError, match="not a run's end views"):
        end_views.decode(blob)
