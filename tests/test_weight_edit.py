"""A weight of a trained 2-D network set by hand (Playground's edit of a link): on a copy of the trained
model, bounded, said clearly when it cannot be, its maps and prediction drawn again; put back at will."""
import math

import numpy as np
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.data.datasets import load_dataset
from nnlab.serving.jobs import TrainingJob
from nnlab.training.weight_edit import MAX_WEIGHT


@pytest.fixture(scope="module")
def ended():
    job = TrainingJob(RunConfig(dataset="circle", samples=200, hidden=(4,), activation="tanh", epochs=2), load_dataset,
                      owner="visitor:x", abandon_seconds=600)
    job.run()
    assert job.done and job.result.model is not None
    return job


def test_a_weight_set_by_hand_redraws_the_maps_from_a_copy_and_is_put_back(ended):
    trained = ended.inside
    kernel = ended.result.model.get_layer("hidden_1").kernel.numpy().copy()
    ended.edit_weight("hidden_1", 0, 1, 5.0)
    edited = ended.inside
    assert edited.maps.kernels[0][1][0, 1] == 5.0 and edited.maps.kernels[0][1][1, 1] == pytest.approx(kernel[1, 1])
    assert edited.edits == ((("hidden_1", 0, 1), (pytest.approx(float(kernel[0, 1])), 5.0)),)
    assert not np.allclose(edited.maps.prediction, trained.maps.prediction)  # the boundary drawn again
    assert not np.allclose(edited.maps.layers[0][1][1], trained.maps.layers[0][1][1])  # that neuron's map too
    # the trained model itself (saved, tested, downloaded) keeps what it learned
    np.testing.assert_array_equal(ended.result.model.get_layer("hidden_1").kernel.numpy(), kernel)
    ended.edit_weight("hidden_1", 0, 1, -2.5)  # the same link again: its trained value is still the one said
    assert ended.inside.edits == ((("hidden_1", 0, 1), (pytest.approx(float(kernel[0, 1])), -2.5)),)
    ended.put_back_weights()
    assert ended.inside.edits == () and ended.inside.maps.kernels[0][1][0, 1] == pytest.approx(float(kernel[0, 1]))
    np.testing.assert_allclose(ended.inside.maps.prediction, trained.maps.prediction, atol=1e-6)


@pytest.mark.parametrize("value", [MAX_WEIGHT * 1.01, -1e300, math.nan, math.inf, "2; import os", None])
def test_a_value_out_of_bounds_or_not_a_number_is_refused_with_what_to_change(ended, value):
    before = ended.inside
    with pytest.raises(UserError, match=f"between −{MAX_WEIGHT:g} and {MAX_WEIGHT:g}"):
        ended.edit_weight("hidden_1", 0, 0, value)
    assert ended.inside is before


@pytest.mark.parametrize("link", [("hidden_1", 2, 0), ("hidden_1", 0, 4), ("hidden_1", -1, 0), ("output", 4, 0),
                                  ("nowhere", 0, 0)])
def test_a_link_the_network_does_not_have_is_refused(ended, link):
    with pytest.raises(UserError, match="no such link"):
        ended.edit_weight(*link, 1.0)


def test_a_run_not_ended_has_no_weights_to_set():
    job = TrainingJob(RunConfig(dataset="circle", samples=200, hidden=(4,), epochs=2), load_dataset, owner="visitor:x",
                      abandon_seconds=600)
    with pytest.raises(UserError, match="once a run on a 2-D data set has ended"):
        job.edit_weight("hidden_1", 0, 0, 1.0)
