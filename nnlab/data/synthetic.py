"""TensorFlow Playground's two-dimensional data sets (and four one-input curves), generated with a
seeded NumPy generator.

The formulas follow the Playground's dataset.ts (Apache 2.0), so the pictures look the same:
points lie in about [-6, 6]²; `noise` is the Playground's 0–50 % given as 0–0.5.
Classification labels: 0 is the Playground's orange (−1), 1 its blue (+1).
"""
from __future__ import annotations

import numpy as np

CLASS_NAMES = ("orange", "blue")


def circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Blue inside radius 2.5, orange in the ring 3.5–5; noise moves the label's test point."""
    radius = 5.0
    half = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, half), rng.uniform(radius * 0.7, radius, n - half)])
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    label = (np.linalg.norm(x + jitter, axis=1) < radius * 0.5).astype(np.int64)
    return x, label


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Blue where x·y ≥ 0 (first and third quadrants), with a 0.3 gap around the axes."""
    x = rng.uniform(-5, 5, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)
    jitter = rng.uniform(-5, 5, (n, 2)) * noise
    shifted = x + jitter
    label = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return x, label


def gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds at (2, 2) blue and (−2, −2) orange; noise widens them (variance 0.5–4)."""
    variance = 0.5 + noise / 0.5 * 3.5
    half = n // 2
    blue = rng.normal(2.0, np.sqrt(variance), (half, 2))
    orange = rng.normal(-2.0, np.sqrt(variance), (n - half, 2))
    return np.concatenate([blue, orange]), np.concatenate([np.ones(half), np.zeros(n - half)]).astype(np.int64)


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, 1.75 turns each: the hardest of the Playground's sets."""
    parts, labels = [], []
    for delta, label, count in ((0.0, 1, n // 2), (np.pi, 0, n - n // 2)):
        i = np.arange(count)
        r = i / count * 5
        t = 1.75 * i / count * 2 * np.pi + delta
        points = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (count, 2)) * noise
        parts.append(points)
        labels.append(np.full(count, label))
    return np.concatenate(parts), np.concatenate(labels).astype(np.int64)


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two half moons, stretched to the Playground's scale."""
    from sklearn.datasets import make_moons

    x, label = make_moons(n_samples=n, noise=noise, random_state=int(rng.integers(2**31 - 1)))
    return (x - [0.5, 0.25]) * 3.0, label.astype(np.int64)


def plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression: the value rises along the diagonal, (x + y) / 10, in about [−1, 1]."""
    radius = 6.0
    x = rng.uniform(-radius, radius, (n, 2))
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    return x, (x + jitter).sum(axis=1) / 10.0


BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=float)


def multi_gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression: six bumps of +1 and −1 on a grid; each point takes the strongest bump's value."""
    radius = 6.0
    x = rng.uniform(-radius, radius, (n, 2))
    shifted = x + rng.uniform(-radius, radius, (n, 2)) * noise
    distance = np.linalg.norm(shifted[:, None, :] - BUMPS[None, :, :2], axis=2)
    values = BUMPS[None, :, 2] * np.clip(1.0 - distance / 2.0, 0.0, 1.0)
    strongest = np.abs(values).argmax(axis=1)
    return x, values[np.arange(n), strongest]


# One input, one output: the functions of the universal-approximation example.
CURVES = {
    "fn_sin": ("sin x", np.sin),
    "fn_abs": ("|x|", np.abs),
    "fn_step": ("a step", lambda x: np.where(x < 0, -1.0, 1.0)),
    "fn_square": ("x²", np.square),
}


def curve(name: str):
    """A generator of points (x, f(x) + noise) with x uniform in [−3, 3]."""
    function = CURVES[name][1]

    def generate(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(-3, 3, (n, 1))
        return x, function(x[:, 0]) + rng.normal(0, 1, n) * noise

    return generate


GENERATORS = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
    "plane": plane,
    "multi_gauss": multi_gauss,
    **{name: curve(name) for name in CURVES},
}
