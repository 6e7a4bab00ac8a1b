"""The data-set registry and the Dataset every run trains on.

`load_dataset(config)` turns a name (or a CSV file) into train / validation / test splits:
shuffled with the run's seed (Keras' `validation_split` would take the last rows unshuffled),
images scaled to [0, 1], other features standardized with statistics of the training split only,
regression targets standardized the same way (a loss of 1.0 then means "no better than the mean").

Memory: a data set is loaded once as a `Base` (`load_base`), and every Dataset derived from it
(`derive`: seeds, training sizes, validation fractions) holds index arrays into one `Examples`,
never copies. For image sets the Examples are the Base's own, scaled once: twelve visitors with
twelve seeds on MNIST hold one 70,000-image array and twelve index arrays of ≈0.3 MB. Tabular sets
are standardized with their training split's statistics, so each Dataset scales its own (small)
copy. nnlab/data/cache.py keeps them within a byte bound; nnlab/training/dataset_tensors.py makes one set
of tensors per Examples.
"""
from __future__ import annotations

import contextlib
import gzip
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np

from nnlab.data import features, synthetic
from nnlab.data.csv_files import load_csv
from nnlab.core.errors import DataError

MNIST_PATH = Path(__file__).resolve().parents[2] / "data" / "mnist.npz"
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@dataclass(frozen=True)
class RawData:
    """What a loader returns, before splitting and scaling."""

    x: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]  # () for regression
    feature_names: tuple[str, ...] = ()
    x_test: np.ndarray | None = None  # for sets with an official test split
    y_test: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    task: str = ""  # set by CSV files, whose task is only known after reading them


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    description: str  # one line, for lists and help texts
    kind: str  # "image", "tabular" or "synthetic"
    task: str  # "classification" or "regression"
    load: Callable[..., RawData] = field(repr=False)
    image_shape: tuple[int, int] | None = None
    test_split: bool = False  # ships its own test set
    plane: bool = False  # points of the plane (x₁, x₂): Playground's sets, which take its input features


def _nbytes(value) -> int:
    """Bytes of a numpy array or a tensor (a tensor's shape × its dtype's size)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    return int(np.prod(value.shape)) * value.dtype.size


@dataclass(frozen=True, eq=False)
class Examples:
    """Every example of a data set as the network sees them (scaled), held once; Datasets are
    index arrays into them. `derived` keeps what other layers make from them (the tensors of
    nnlab/training/dataset_tensors.py) for exactly as long as the examples live, and counts in `nbytes`."""

    x: np.ndarray
    y: np.ndarray
    derived: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.x.flags.writeable = False  # shared by every run and visitor: nobody may write into them
        self.y.flags.writeable = False

    @property
    def nbytes(self) -> int:
        return self.x.nbytes + self.y.nbytes + sum(_nbytes(v) for value in list(self.derived.values())
                                                   for v in (value if isinstance(value, (list, tuple)) else [value]))


@dataclass(frozen=True, eq=False)
class Base:
    """One data set as loaded, before any seed or size: what Datasets are derived from. `x` and `y`
    hold the pool (rows before `n_pool`, split into training and validation) followed by the
    official test split, if the set has one. `examples`: the scaled examples every derived Dataset
    shares (image sets); None when each Dataset scales its own (tabular sets, by their training split)."""

    info: DatasetInfo
    x: np.ndarray
    y: np.ndarray
    n_pool: int
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    task: str
    notes: tuple[str, ...] = ()
    examples: Examples | None = None

    @property
    def nbytes(self) -> int:
        own = 0 if self.examples is not None else self.x.nbytes + self.y.nbytes
        return own + (self.examples.nbytes if self.examples is not None else 0)


def _take(array: np.ndarray, index) -> np.ndarray:
    """Rows of `array`: a view for a slice, a copy for an index array."""
    return array[index]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Split, scaled data, with what the pages need to explain them. The splits are index arrays
    into `examples` (shared with every Dataset derived from the same Base); `x_train` and the like
    are made from them when asked (a copy, except a contiguous test split: use `n_train`, not
    `len(x_train)`)."""

    name: str
    title: str
    task: str
    examples: Examples
    train_index: np.ndarray
    val_index: np.ndarray
    test_index: np.ndarray | slice
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    image_shape: tuple[int, int] | None = None
    scaler: object | None = None  # a fitted StandardScaler: raw features → model inputs (None for images: ÷ 255)
    target_mean: float = 0.0  # regression: value = standardized × target_std + target_mean
    target_std: float = 1.0
    notes: tuple[str, ...] = ()
    base: Base | None = field(default=None, repr=False)  # what it was derived from (kept alive with it)
    # Two-input sets: every example as a point of the plane, before any feature or scaling (the
    # boundary and the neuron maps are drawn over it), and the input features computed from it.
    plane: np.ndarray | None = field(default=None, repr=False)
    features: tuple[str, ...] = features.DEFAULT

    def model_inputs(self, points: np.ndarray) -> np.ndarray:
        """Raw points of the plane (n, 2) as the model takes them: its input features, standardized."""
        return self.scaler.transform(features.columns(points, self.features)).astype(np.float32)

    def plane_points(self, split: str) -> np.ndarray:
        return _take(self.plane, self.index(split))

    def index(self, split: str) -> np.ndarray | slice:
        return {"train": self.train_index, "val": self.val_index, "test": self.test_index}[split]

    def size(self, split: str) -> int:
        index = self.index(split)
        return len(range(*index.indices(len(self.examples.x)))) if isinstance(index, slice) else len(index)

    @property
    def n_train(self) -> int:
        return self.size("train")

    @property
    def n_val(self) -> int:
        return self.size("val")

    @property
    def x_train(self) -> np.ndarray:
        return _take(self.examples.x, self.train_index)

    @property
    def x_val(self) -> np.ndarray:
        return _take(self.examples.x, self.val_index)

    @property
    def x_test(self) -> np.ndarray:
        return _take(self.examples.x, self.test_index)

    @cached_property
    def y_train(self) -> np.ndarray:  # class indices, or standardized values for regression
        return _take(self.examples.y, self.train_index)

    @cached_property
    def y_val(self) -> np.ndarray:
        return _take(self.examples.y, self.val_index)

    @cached_property
    def y_test(self) -> np.ndarray:
        return _take(self.examples.y, self.test_index)

    @property
    def own_nbytes(self) -> int:
        """Bytes this Dataset holds itself (its index arrays and targets), beside the shared Examples."""
        arrays = [self.train_index, self.val_index, self.test_index,
                  *(self.__dict__[name] for name in ("y_train", "y_val", "y_test") if name in self.__dict__)]
        return sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))

    @property
    def n_features(self) -> int:
        return int(self.examples.x.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.task == "classification" else 1

    @cached_property
    def chance_accuracy(self) -> float:
        """Accuracy of always guessing the most common training class: the floor to beat."""
        if self.task != "classification":
            return 0.0
        return float(np.bincount(self.y_train, minlength=self.n_classes).max() / self.n_train)

    def to_original_target(self, values: np.ndarray) -> np.ndarray:
        """Standardized regression outputs back to the target's own units."""
        return np.asarray(values) * self.target_std + self.target_mean

    def summary(self) -> str:
        classes = f"{self.n_classes} classes" if self.task == "classification" else "regression"
        return (
            f"{self.title}: {self.n_train:,} train / {self.n_val:,} validation / "
            f"{self.size('test'):,} test, {self.n_features} inputs, {classes}"
        )


# --- loaders --------------------------------------------------------------------------------------

def _mnist(_config) -> RawData:
    if not MNIST_PATH.is_file():
        raise DataError(f"MNIST file missing: {MNIST_PATH}; it ships with nnlab — restore data/mnist.npz from the repository")
    with np.load(MNIST_PATH) as archive:
        return RawData(
            x=archive["x_train"].reshape(-1, 784), y=archive["y_train"].astype(np.int64),
            x_test=archive["x_test"].reshape(-1, 784), y_test=archive["y_test"].astype(np.int64),
            class_names=tuple(str(d) for d in range(10)),
        )


FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz")  # Keras' cache of Fashion-MNIST: the four published IDX archives


def _fashion_mnist(_config) -> RawData:
    """From Keras' cache folder, read here (no TensorFlow on a web server for it, issue 25); where the cache is
    not whole, through Keras' own loader, which downloads it."""
    folder = _keras_home() / "datasets" / "fashion-mnist"
    if all((folder / name).is_file() for name in FASHION_FILES):
        try:
            x, y, x_test, y_test = (_idx(folder / name) for name in FASHION_FILES)
        except (OSError, ValueError, EOFError) as error:
            raise DataError(f"Fashion-MNIST's files in {folder.name}/ of Keras' folder could not be read "
                            f"({type(error).__name__}): copy the four files there again.") from None
        if not (len(x) == len(y) and len(x_test) == len(y_test)):
            raise DataError("Fashion-MNIST's files in Keras' folder do not match (images and labels differ in "
                            "number): copy the four files there again.")
    else:
        try:
            from nnlab.core.tf_runtime import keras  # only here: every other data set loads without TensorFlow

            with contextlib.redirect_stdout(sys.stderr):  # Keras prints "Downloading …" on stdout
                (x, y), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        except Exception as error:  # Keras raises a bare Exception when the download fails
            raise DataError(
                "Fashion-MNIST is not on this computer and could not be downloaded "
                f"({_reason(error)}). Connect to the internet once, or copy its four "
                "files into ~/.keras/datasets/fashion-mnist/ (or $KERAS_HOME/datasets/fashion-mnist/)."
            ) from None
    return RawData(
        x=x.reshape(-1, 784), y=y.astype(np.int64), x_test=x_test.reshape(-1, 784),
        y_test=y_test.astype(np.int64), class_names=FASHION_CLASSES,
    )


def _keras_home() -> Path:
    """Keras' folder, as Keras finds it: its own answer once it is imported, else $KERAS_HOME, else ~/.keras
    (/tmp/.keras where the home folder cannot be written)."""
    config = sys.modules.get("keras.src.backend.config")
    if config is not None:
        return Path(config.keras_home())
    if os.environ.get("KERAS_HOME"):
        return Path(os.environ["KERAS_HOME"])
    home = Path(os.path.expanduser("~"))
    return (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"


def _idx(path: Path) -> np.ndarray:
    """An IDX archive's array, as Keras' loader reads it: labels after an 8-byte header, 28×28 images after 16."""
    with gzip.open(path, "rb") as file:
        raw = file.read()
    if "labels" in path.name:
        return np.frombuffer(raw, np.uint8, offset=8)
    return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)


def _reason(error: Exception) -> str:
    """Why a download failed, in whole words: the last part of Keras' message ('URL fetch failure on
    https://…: None -- [Errno -3] Temporary failure in name resolution' → '[Errno -3] Temporary …')."""
    reason = (str(error).splitlines() or [type(error).__name__])[0].rsplit(" -- ", 1)[-1].strip()
    return reason if len(reason) <= 160 else reason[:160].rsplit(" ", 1)[0] + " …"


def _digits(_config) -> RawData:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    # Pixels are 0–16 here; stretched to 0–255 so that images of every set are scaled alike.
    return RawData(x=bunch.data * (255.0 / 16.0), y=bunch.target.astype(np.int64), class_names=tuple(str(d) for d in range(10)))


def _sklearn_table(loader: str) -> Callable[..., RawData]:
    def load(_config) -> RawData:
        from sklearn import datasets  # imported when used: the registry itself loads instantly

        bunch = getattr(datasets, loader)()
        names = tuple(str(n) for n in getattr(bunch, "target_names", ())) if bunch.target.dtype.kind == "i" else ()
        y = bunch.target.astype(np.int64 if names else np.float32)
        return RawData(x=bunch.data, y=y, class_names=names, feature_names=tuple(map(str, bunch.feature_names)))

    return load


def _synthetic(name: str) -> Callable[..., RawData]:
    generate = synthetic.GENERATORS[name]

    def load(config) -> RawData:
        # The points themselves depend on the seed too, as in the Playground's "regenerate".
        x, y = generate(config.samples, config.noise, np.random.default_rng(config.seed))
        classes = synthetic.CLASS_NAMES if y.dtype.kind == "i" else ()
        names = ("x1", "x2") if x.shape[1] == 2 else ("x",)
        return RawData(x=x, y=y if classes else y.astype(np.float32), class_names=classes, feature_names=names)

    return load


def _csv(config) -> RawData:
    table = load_csv(config.csv_path, config.target, config.task)
    return RawData(
        x=table.x, y=table.y, class_names=table.class_names, feature_names=table.feature_names,
        notes=table.notes, task=table.task,
    )


def _info(name, title, description, kind, task, load, **extra) -> tuple[str, DatasetInfo]:
    return name, DatasetInfo(name, title, description, kind, task, load, **extra)


DATASETS: dict[str, DatasetInfo] = dict([
    _info("mnist", "MNIST digits", "70,000 handwritten digits, 28×28 pixels: the course exercise.",
          "image", "classification", _mnist, image_shape=(28, 28), test_split=True),
    _info("fashion_mnist", "Fashion-MNIST", "70,000 clothing photos in 10 classes, 28×28: harder than MNIST.",
          "image", "classification", _fashion_mnist, image_shape=(28, 28), test_split=True),
    _info("digits", "Digits 8×8", "1,797 small handwritten digits from scikit-learn: trains in seconds.",
          "image", "classification", _digits, image_shape=(8, 8)),
    _info("breast_cancer", "Breast cancer", "569 tumours, 30 measurements each: malignant or benign.",
          "tabular", "classification", _sklearn_table("load_breast_cancer")),
    _info("wine", "Wine", "178 wines, 13 chemical measurements: which of 3 cultivars.",
          "tabular", "classification", _sklearn_table("load_wine")),
    _info("iris", "Iris", "150 iris flowers, 4 measurements: which of 3 species.",
          "tabular", "classification", _sklearn_table("load_iris")),
    _info("diabetes", "Diabetes", "442 patients, 10 measurements: disease progression after a year (regression).",
          "tabular", "regression", _sklearn_table("load_diabetes")),
    _info("circle", "Circle", "Playground: a blue disc inside an orange ring.", "synthetic", "classification",
          _synthetic("circle"), plane=True),
    _info("xor", "XOR", "Playground: blue in two opposite quadrants; no straight line separates them.",
          "synthetic", "classification", _synthetic("xor"), plane=True),
    _info("gauss", "Two Gaussians", "Playground: two clouds of points, separable by a line.",
          "synthetic", "classification", _synthetic("gauss"), plane=True),
    _info("spiral", "Spiral", "Playground: two interleaved spirals, the hardest 2-D set.",
          "synthetic", "classification", _synthetic("spiral"), plane=True),
    _info("moons", "Two moons", "Two interleaved half circles (scikit-learn).", "synthetic", "classification",
          _synthetic("moons"), plane=True),
    _info("plane", "Plane", "Playground regression: the value rises along the diagonal.", "synthetic", "regression",
          _synthetic("plane"), plane=True),
    _info("multi_gauss", "Multi-Gaussian", "Playground regression: six bumps of +1 and −1.",
          "synthetic", "regression", _synthetic("multi_gauss"), plane=True),
    *[_info(name, f"Curve: {title}", f"One input x in [−3, 3], the target {title}: for universal approximation.",
            "synthetic", "regression", _synthetic(name)) for name, (title, _) in synthetic.CURVES.items()],
])
CSV_INFO = DatasetInfo("csv", "Your CSV file", "Your own table: pick the column to predict.", "tabular", "", _csv)

# The RunConfig fields that change the data (and so the cache key of a loaded Dataset).
DATA_FIELDS = ("dataset", "train_size", "validation_fraction", "test_fraction", "noise", "samples", "csv_path", "target", "task",
               "seed", "features")


def dataset_info(name: str) -> DatasetInfo:
    return CSV_INFO if name == "csv" else DATASETS[name]


def data_key(config) -> tuple:
    """The settings that decide the data; two configs with the same key train on the same arrays
    (input features only count on the sets of the plane: elsewhere they are ignored)."""
    ignored = {} if dataset_info(config.dataset).plane else {"features": features.DEFAULT}
    return tuple(ignored.get(name, getattr(config, name)) for name in DATA_FIELDS)


def base_key(config) -> tuple:
    """The settings that decide the loaded Base: the name, and what a generator or a CSV file needs.
    Seeds, sizes and fractions of the split are not in it (except for generated points, which the
    seed draws)."""
    info = dataset_info(config.dataset)
    if info.name == "csv":
        return ("csv", config.csv_path, config.target, config.task)
    if info.kind == "synthetic":
        return (info.name, config.samples, config.noise, config.seed)
    return (info.name,)


def load_base(config) -> Base:
    """Load a data set once, before any split: images scaled here, once for every seed."""
    info = dataset_info(config.dataset)
    raw = info.load(config)
    if raw.x_test is not None:
        x, y = np.concatenate([raw.x, raw.x_test]), np.concatenate([raw.y, raw.y_test])
    else:
        x, y = raw.x, raw.y
    examples = None
    if info.image_shape is not None:
        examples = Examples(_scale_pixels(x), np.asarray(y))  # the same values, seed or not: shared
        x, y = examples.x, examples.y
    return Base(info=info, x=x, y=y, n_pool=len(raw.x), class_names=raw.class_names,
                feature_names=raw.feature_names, task=raw.task or info.task, notes=raw.notes, examples=examples)


def _scale_pixels(x: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape, dtype=np.float32)  # one float32 array, without a float64 one on the way
    np.divide(x, np.float32(255.0), out=out, dtype=np.float32)
    return out


def load_dataset(config) -> Dataset:
    return derive(load_base(config), config)


def derive(base: Base, config) -> Dataset:
    """The Dataset of `config`'s split (seed, validation and test fractions, training size) of
    `base`: index arrays into its examples, shuffled as `train_test_split` shuffles the rows."""
    info, task = base.info, base.task
    classify = task == "classification"
    notes = list(base.notes)

    pool = np.arange(base.n_pool)
    y_pool = base.y[: base.n_pool]
    if base.n_pool < len(base.x):
        pool_index, test_index = pool, slice(base.n_pool, len(base.x))
    else:
        pool_index, test_index, y_pool, _ = _split(pool, y_pool, config.test_fraction, config.seed, classify)
    train_index, val_index, _, _ = _split(pool_index, y_pool, config.validation_fraction, config.seed, classify)
    if config.train_size:
        if config.train_size < len(train_index):
            train_index = train_index[: config.train_size]  # already shuffled
        else:
            notes.append(f"train_size {config.train_size:,} is more than the {len(train_index):,} training examples; all are used")
    if classify and len(np.unique(base.y[train_index])) < 2:
        raise DataError("the training split holds a single class; raise train_size so that every class appears")

    scaler, examples = None, base.examples
    target_mean, target_std = 0.0, 1.0
    plane = base.x if examples is None and base.x.shape[1] == 2 else None  # a 2-column CSV is a plane too
    chosen = tuple(getattr(config, "features", features.DEFAULT)) if info.plane else features.DEFAULT
    feature_names = features.labels(chosen) if info.plane else base.feature_names
    if examples is None:  # standardized with this split's training statistics: a copy of its own
        from sklearn.preprocessing import StandardScaler

        x = features.columns(base.x, chosen) if info.plane else base.x
        scaler = StandardScaler().fit(x[train_index])
        y = base.y
        if not classify:
            target_mean, target_std = float(np.mean(y[train_index])), float(np.std(y[train_index])) or 1.0
            y = ((np.asarray(y, dtype=np.float64) - target_mean) / target_std).astype(np.float32)
        examples = Examples(scaler.transform(x).astype(np.float32), np.asarray(y))

    index = lambda a: a if isinstance(a, slice) else np.asarray(a, dtype=np.int32)  # noqa: E731
    return Dataset(
        name=config.dataset, title=info.title, task=task, examples=examples,
        train_index=index(train_index), val_index=index(val_index), test_index=index(test_index),
        class_names=base.class_names if classify else (), feature_names=feature_names,
        image_shape=info.image_shape, scaler=scaler, target_mean=target_mean, target_std=target_std,
        notes=tuple(notes), base=base, plane=plane, features=chosen,
    )


def _split(x, y, fraction: float, seed: int, classify: bool):
    """A shuffled split, stratified by class where the class counts allow it."""
    from sklearn.model_selection import train_test_split

    if classify:
        try:
            return train_test_split(x, y, test_size=fraction, random_state=seed, stratify=y)
        except ValueError:
            pass  # a class too rare to appear on both sides: fall back to a plain shuffled split
    try:
        return train_test_split(x, y, test_size=fraction, random_state=seed)
    except ValueError as error:
        raise DataError(f"cannot split {len(x)} examples into two parts: {error}") from None
