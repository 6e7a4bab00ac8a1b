import numpy as np
import pytest

from nnlab.data import synthetic


@pytest.mark.parametrize("name", list(synthetic.GENERATORS))
def test_generators_give_points_in_the_playground_range(name):
    x, y = synthetic.GENERATORS[name](400, 0.1, np.random.default_rng(0))
    assert x.shape == (400, 1 if name in synthetic.CURVES else 2) and y.shape == (400,)
    assert np.abs(x).max() < 8
    again = synthetic.GENERATORS[name](400, 0.1, np.random.default_rng(0))
    np.testing.assert_array_equal(x, again[0])


@pytest.mark.parametrize("name", ["circle", "xor", "gauss", "spiral", "moons"])
def test_classification_sets_are_two_balanced_classes(name):
    _, y = synthetic.GENERATORS[name](1000, 0.0, np.random.default_rng(1))
    assert set(np.unique(y)) == {0, 1}
    assert 0.4 < y.mean() < 0.6


def test_circle_without_noise_is_blue_inside_radius_2_5():
    x, y = synthetic.circle(500, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(y, (np.linalg.norm(x, axis=1) < 2.5).astype(int))


def test_xor_without_noise_is_blue_where_signs_agree():
    x, y = synthetic.xor(500, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(int))
    assert np.abs(x).min() >= 0.3  # the Playground's padding around the axes


def test_noise_flips_some_labels():
    x, y = synthetic.circle(2000, 0.5, np.random.default_rng(0))
    inside = (np.linalg.norm(x, axis=1) < 2.5).astype(int)
    assert 0.05 < (inside != y).mean() < 0.5


def test_plane_is_the_scaled_sum_without_noise():
    x, y = synthetic.plane(300, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(y, x.sum(axis=1) / 10)


def test_multi_gauss_values_peak_at_the_bump_centres():
    x, y = synthetic.multi_gauss(3000, 0.0, np.random.default_rng(0))
    assert y.max() <= 1 and y.min() >= -1
    near_positive = np.linalg.norm(x - [-4, 2.5], axis=1) < 0.3
    assert (y[near_positive] > 0.8).all()


@pytest.mark.parametrize("name", list(synthetic.CURVES))
def test_curves_without_noise_are_their_function(name):
    x, y = synthetic.GENERATORS[name](200, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(y, synthetic.CURVES[name][1](x[:, 0]))
    assert x.min() >= -3 and x.max() <= 3
