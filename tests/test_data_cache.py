"""Issue 20, memory: data sets derived from one base share its arrays; the cache is bounded in bytes."""
import gc
import weakref

import numpy as np

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.data.cache import DataCache
from nnlab.training.train import Trainer, train
from nnlab.ui.data_cache import load_data

DIGITS = RunConfig(dataset="digits", hidden=(8,), epochs=1, batch_size=256)


def _variant(**changes) -> RunConfig:
    return RunConfig.from_dict({**DIGITS.to_dict(), **changes})


def test_visitors_with_their_own_seed_and_size_train_on_one_copy_of_the_images():
    # Before: each seed or training size loaded, scaled and turned into tensors its own copy (≈450 MB on MNIST).
    configs = [_variant(seed=seed, train_size=size, validation_fraction=fraction)
               for seed, size, fraction in ((1, 0, 0.1), (2, 900, 0.1), (3, 1000, 0.3))]
    datasets = [load_data(config) for config in configs]
    trainers = [Trainer(config, dataset) for config, dataset in zip(configs, datasets)]
    x = trainers[0].train_tensors[0]
    assert all(trainer.train_tensors[0] is x for trainer in trainers)
    assert all(np.shares_memory(datasets[0].examples.x, dataset.examples.x) for dataset in datasets)
    # … and each still trains on its own split
    assert [d.n_train for d in datasets] != [datasets[0].n_train] * 3
    assert not np.array_equal(datasets[0].x_train[:20], datasets[1].x_train[:20])


def test_a_derived_split_is_the_split_it_always_was():
    dataset = load_dataset(_variant(seed=5, train_size=300))
    again = load_dataset(_variant(seed=5))
    np.testing.assert_array_equal(dataset.x_train, again.x_train[:300])  # a smaller set: the first of the same order
    np.testing.assert_array_equal(dataset.y_val, again.y_val)
    assert len(set(again.train_index) | set(again.val_index) | set(again.test_index)) == 1797
    assert not set(dataset.train_index) & set(dataset.val_index)
    assert not dataset.examples.x.flags.writeable  # shared: nobody may write into them


def test_the_cache_keeps_what_nobody_uses_within_its_byte_bound():
    one = load_dataset(_variant(dataset="spiral", seed=0))
    bound = int(one.examples.nbytes + one.base.nbytes + one.own_nbytes) * 2  # room for two generated sets
    cache = DataCache(max_bytes=bound)
    gone = []
    for seed in range(6):  # each seed draws its own points: six bases
        dataset = cache.load(_variant(dataset="spiral", seed=seed))
        gone.append(weakref.ref(dataset.examples))
        del dataset
        assert cache.kept_bytes() <= bound
    gc.collect()
    assert sum(ref() is None for ref in gone) >= 4  # let go of, not merely forgotten


def test_a_data_set_in_use_is_found_again_not_loaded_twice():
    cache = DataCache(max_bytes=0)  # keeps nothing nobody uses
    held = cache.load(_variant(seed=1))
    assert cache.kept_bytes() == 0
    assert cache.load(_variant(seed=1)) is held
    other = cache.load(_variant(seed=2, train_size=500))  # another split of the same images: no reload
    assert other.examples is held.examples
    examples = weakref.ref(held.examples)
    del held, other
    gc.collect()
    assert examples() is None  # no job uses them: released


def test_the_tensors_of_the_examples_count_in_their_bytes_and_go_with_them():
    cache = DataCache(max_bytes=10 ** 9)
    dataset = cache.load(_variant(seed=4))
    before = cache.kept_bytes()
    train(_variant(seed=4), dataset)
    assert cache.kept_bytes() >= before + dataset.examples.x.nbytes  # the input tensor is counted
    examples = weakref.ref(dataset.examples)
    del dataset
    cache.clear()
    gc.collect()
    assert examples() is None
