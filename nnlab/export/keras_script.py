"""A run as plain Keras: a standalone Python script, and the same as a Jupyter notebook, that load
the same data, build the same network with `keras.Sequential` and train it with `model.fit` — the
form the course's Colab exercise uses, so a student can carry on there.

The script is a list of cells. As a file it is written in the "percent" form Jupyter, VS Code and
Jupytext read (`# %%` starts a code cell, `# %% [markdown]` a text cell), and the notebook holds
the very same code cells. Text the visitor typed (a column or file name) only enters the code as a
Python string literal (`repr`), never as a comment or markdown, so it cannot break out of it.

What differs from nnlab's own run, and so may move the result by a point or so: `model.fit` draws
its own batch order (nnlab shuffles with NumPy from the seed and runs a compiled loop); the split,
the scaling, the initial weights and every setting are the same.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

from nnlab.data import features, synthetic
from nnlab.training.architecture import layer_specs
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import DATASETS, MNIST_PATH, dataset_info
from nnlab.config.lr_schedule import changed_epochs
from nnlab.config.penalty_changes import penalty_changes
from nnlab.config.rate_marks import change_marks
from nnlab.config.optimizers import KERAS_OPTIMIZERS  # the Trainer's table: the script builds the same optimizer
from nnlab.config.settings import shown
from nnlab.core.tasks import CLASSIFICATION

# nnlab's copy of MNIST, relative to nnlab's folder: the script falls back on it when Keras cannot download.
MNIST_FILE = MNIST_PATH.relative_to(MNIST_PATH.parent.parent).as_posix()

# The one-input curves of nnlab.synthetic.CURVES, written out (a test checks they give the same points).
CURVE_CODE = {
    "fn_sin": "np.sin(x[:, 0])",
    "fn_abs": "np.abs(x[:, 0])",
    "fn_step": "np.where(x[:, 0] < 0, -1.0, 1.0)",
    "fn_square": "np.square(x[:, 0])",
}


@dataclass(frozen=True)
class Cell:
    kind: str  # "code" or "markdown"
    text: str


def cells(config: RunConfig, task: str = "", csv_name: str = "", history: list[dict] | None = None) -> list[Cell]:
    """The run as notebook cells. `task` is the run's task (a CSV file's is only known once read;
    other data sets know theirs); `csv_name` the uploaded file's name on the visitor's computer;
    `history` the run's epochs, whose learning rates and L1 / L2 rates the script follows if some were set
    by hand during the run (from the same epochs; it starts from the run's settings)."""
    task = task or dataset_info(config.dataset).task
    if not task:
        raise ValueError("a CSV run's task (classification or regression) must be given")
    classify = task == CLASSIFICATION
    history = history or []
    penalties = _penalty_plan(config, history)
    return [
        Cell("markdown", _introduction(config)),
        Cell("code", _setup(config)),
        Cell("markdown", "## The data\nSplit, shuffled with the seed, and scaled as nnlab does: images ÷ 255, "
                         "other inputs standardized with the training split's mean and spread"
                         + ("" if classify else ", and the target too") + "."),
        Cell("code", _data(config, classify, csv_name)),
        Cell("markdown", "## The network\nThe same layers, activations, regularization and initial weights."),
        Cell("code", _model(config, task, changeable=bool(penalties))),
        Cell("markdown", "## Training\nPlain `model.fit`; it draws its own batch order, so the curves differ "
                         "a little from nnlab's."
                         + (" The rates you set while the nnlab run trained are set again at the same epochs."
                            if change_marks(config, history) else "")),
        Cell("code", _training(config, classify, history, penalties)),
        Cell("markdown", "## The honest score: the test set"),
        Cell("code", _test(classify)),
    ]


def script(config: RunConfig, task: str = "", csv_name: str = "", history: list[dict] | None = None) -> str:
    """The cells as one Python file in the percent form (runs as it is with `python`)."""
    parts = []
    for cell in cells(config, task, csv_name, history):
        if cell.kind == "code":
            parts.append("# %%\n" + cell.text)
        else:
            parts.append("# %% [markdown]\n" + "\n".join(f"# {line}".rstrip() for line in cell.text.splitlines()))
    return "\n\n".join(parts) + "\n"


def notebook(config: RunConfig, task: str = "", csv_name: str = "", history: list[dict] | None = None) -> str:
    """The cells as a Jupyter notebook (nbformat 4), as JSON text."""
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(cell.text) if cell.kind == "code" else nbformat.v4.new_markdown_cell(cell.text)
                  for cell in cells(config, task, csv_name, history)]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(book)


# --- the cells ------------------------------------------------------------------------------------

def _introduction(config: RunConfig) -> str:
    title = "your CSV file" if config.dataset == "csv" else DATASETS[config.dataset].title
    layers = ", ".join(map(str, config.hidden)) or "no hidden layer"
    return (f"# An nnlab run as plain Keras: {title}, hidden layers {layers}\n"
            f"The settings of the nnlab run, rebuilt with `keras.Sequential` and trained with `model.fit`. "
            f"nnlab trains with its own compiled loop and batch order, so expect the same result within a point "
            f"or so, not the very same numbers.")


def _setup(config: RunConfig) -> str:
    imports = ["import math"] if config.lr_schedule == "cosine" else []  # the cosine schedule
    imports += ["import numpy as np", "import keras"]
    if config.dataset == "csv":
        imports.append("import pandas as pd")
    imports += ["from sklearn.model_selection import train_test_split", "from sklearn.preprocessing import StandardScaler"]
    return "\n".join([*imports, "", f"SEED = {config.seed}  # fixes the split, the initial weights, dropout and the batch order",
                      "keras.utils.set_random_seed(SEED)"])


def _data(config: RunConfig, classify: bool, csv_name: str) -> str:
    info = dataset_info(config.dataset)
    lines = [_raw_data(config, classify, csv_name), "", "", _split_function(classify), "", ""]
    if info.test_split:
        lines.append(f"x_train, x_val, y_train, y_val = split(x_pool, y_pool, {config.validation_fraction!r})")
    else:
        lines += [f"x_pool, x_test, y_pool, y_test = split(x, y, {config.test_fraction!r})",
                  f"x_train, x_val, y_train, y_val = split(x_pool, y_pool, {config.validation_fraction!r})"]
    if config.train_size:
        lines.append(f"x_train, y_train = x_train[:{config.train_size}], y_train[:{config.train_size}]  "
                     f"# train_size: only the first (already shuffled) examples")
    if info.image_shape is not None:
        lines += ["", "", "def scale(a):  # pixels 0–255 → 0–1",
                  "    return (np.asarray(a, dtype=np.float32) / 255.0).astype(np.float32)"]
    else:
        lines += ["", "scaler = StandardScaler().fit(x_train)  # the training split's statistics only",
                  "", "", "def scale(a):", "    return scaler.transform(a).astype(np.float32)"]
    lines += ["", "", "x_train, x_val, x_test = scale(x_train), scale(x_val), scale(x_test)"]
    if not classify:
        lines += ["", "# The target standardized too: a loss of 1.0 means no better than always guessing the mean.",
                  "TARGET_MEAN, TARGET_STD = float(np.mean(y_train)), float(np.std(y_train)) or 1.0",
                  "y_train, y_val, y_test = [((np.asarray(v, dtype=np.float64) - TARGET_MEAN) / TARGET_STD).astype(np.float32)",
                  "                          for v in (y_train, y_val, y_test)]"]
    lines.append('print(f"{len(x_train)} training, {len(x_val)} validation, {len(x_test)} test examples")')
    return "\n".join(lines)


def _split_function(classify: bool) -> str:
    if not classify:
        return ("def split(x, y, fraction):\n"
                '    """A shuffled split (Keras\' validation_split would take the last rows unshuffled)."""\n'
                "    return train_test_split(x, y, test_size=fraction, random_state=SEED)")
    return ("def split(x, y, fraction):\n"
            '    """A shuffled split, stratified by class (Keras\' validation_split would take the last rows unshuffled)."""\n'
            "    try:\n"
            "        return train_test_split(x, y, test_size=fraction, random_state=SEED, stratify=y)\n"
            "    except ValueError:  # a class too rare to appear on both sides\n"
            "        return train_test_split(x, y, test_size=fraction, random_state=SEED)")


def _raw_data(config: RunConfig, classify: bool, csv_name: str) -> str:
    name, info = config.dataset, dataset_info(config.dataset)
    target_type = "np.int64" if classify else "np.float32"
    if name == "mnist":
        return ("from pathlib import Path\n\n"
                "# Keras downloads MNIST once into ~/.keras/datasets. Without internet, a copy of mnist.npz is read\n"
                "# from where it may be: beside this script, in nnlab's data folder, or in that Keras cache.\n"
                "COPIES = [Path(__file__).parent / 'mnist.npz' if '__file__' in globals() else Path('mnist.npz'),\n"
                f"          Path({MNIST_FILE!r}), Path.home() / '.keras' / 'datasets' / 'mnist.npz']\n"
                "try:\n"
                "    (x_pool, y_pool), (x_test, y_test) = keras.datasets.mnist.load_data()\n"
                "except Exception as error:  # no internet\n"
                "    copy = next((path for path in COPIES if path.is_file()), None)\n"
                "    if copy is None:\n"
                "        raise SystemExit(f'MNIST could not be downloaded ({error}) and no copy of mnist.npz was found. '\n"
                "                         'Put mnist.npz (nnlab has one in its data folder; Keras downloads it from '\n"
                "                         'https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz) in one '\n"
                "                         'of: ' + ', '.join(str(path) for path in COPIES)) from None\n"
                "    with np.load(copy) as archive:\n"
                '        x_pool, y_pool, x_test, y_test = (archive[k] for k in ("x_train", "y_train", "x_test", "y_test"))\n'
                "x_pool, x_test = x_pool.reshape(-1, 784), x_test.reshape(-1, 784)\n"
                "y_pool, y_test = y_pool.astype(np.int64), y_test.astype(np.int64)\n"
                "N_CLASSES = 10")
    if name == "fashion_mnist":
        return ("(x_pool, y_pool), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()\n"
                "x_pool, x_test = x_pool.reshape(-1, 784), x_test.reshape(-1, 784)\n"
                "y_pool, y_test = y_pool.astype(np.int64), y_test.astype(np.int64)\n"
                "N_CLASSES = 10")
    if name == "digits":
        return ("from sklearn.datasets import load_digits\n\n"
                "bunch = load_digits()\n"
                "x, y = bunch.data * (255.0 / 16.0), bunch.target.astype(np.int64)  # pixels 0–16, stretched to 0–255\n"
                "N_CLASSES = 10")
    if name == "csv":
        return _csv_data(config, classify, csv_name)
    if info.kind == "tabular":
        loader = {"breast_cancer": "load_breast_cancer", "wine": "load_wine", "iris": "load_iris",
                  "diabetes": "load_diabetes"}[name]
        lines = [f"from sklearn.datasets import {loader}", "", f"bunch = {loader}()",
                 f"x, y = bunch.data, bunch.target.astype({target_type})"]
        if classify:
            lines.append("N_CLASSES = len(bunch.target_names)")
        return "\n".join(lines)
    return _synthetic_data(config, classify)


def _synthetic_data(config: RunConfig, classify: bool) -> str:
    name = config.dataset
    if name in CURVE_CODE:
        source = ("def generate(n, noise, rng):\n"
                  f'    """x uniform in [−3, 3], the target {synthetic.CURVES[name][0]} plus noise."""\n'
                  "    x = rng.uniform(-3, 3, (n, 1))\n"
                  f"    return x, {CURVE_CODE[name]} + rng.normal(0, 1, n) * noise")
        call = "generate"
    else:
        generator = synthetic.GENERATORS[name]
        source = inspect.getsource(generator).rstrip()
        if name == "multi_gauss":  # its bumps are a constant of the module
            source = f"BUMPS = np.array({synthetic.BUMPS.tolist()!r})\n\n\n" + source
        call = generator.__name__
    lines = [f"# The {DATASETS[name].title} set, generated as nnlab does (nnlab/data/synthetic.py).", source, "",
             f"x, y = {call}({config.samples}, {config.noise!r}, np.random.default_rng(SEED))  # points, noise",
             "y = y.astype(np.int64)\nN_CLASSES = 2" if classify else "y = y.astype(np.float32)"]
    if DATASETS[name].plane and config.features != features.DEFAULT:
        chosen = ", ".join(features.FEATURES[f].label for f in config.features)
        lines += [f"# The network's inputs, as Playground's toggles chose them: {chosen}",
                  "x = np.column_stack([" + ", ".join(features.FEATURES[f].code for f in config.features) + "])"]
    return "\n".join(lines)


def _csv_data(config: RunConfig, classify: bool, csv_name: str) -> str:
    file_name = csv_name or shown("csv_path", config.csv_path) or "data.csv"
    lines = [
        "# Your uploaded file, saved beside this notebook. Unlike nnlab, nothing here checks it first: nnlab",
        "# also reads ';' or tab separators, and stops on missing values with a message saying where.",
        f"frame = pd.read_csv({file_name!r})",
        "frame.columns = [str(c).strip() for c in frame.columns]",
        f"target = frame.pop({config.target!r})",
        'inputs = frame.select_dtypes(include=["number", "bool"])  # text columns are left out',
        "x = inputs.to_numpy(dtype=np.float64).astype(np.float32)",
    ]
    if classify:
        lines += ["is_number = pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_bool_dtype(target)",
                  "class_names, y = np.unique(target if is_number else target.astype(str), return_inverse=True)",
                  "y = y.astype(np.int64)", "N_CLASSES = len(class_names)"]
    else:
        lines.append("y = target.to_numpy(dtype=np.float64).astype(np.float32)")
    return "\n".join(lines)


# A penalty whose rates a callback sets during training (Keras' L1L2 holds plain numbers, fixed once traced).
CHANGEABLE_PENALTY = '''class ChangeablePenalty(keras.regularizers.Regularizer):
    """l1 × Σ|w| + l2 × Σw², as keras.regularizers.L1L2, with rates that can change while the model trains."""

    def __init__(self, l1, l2):
        self.l1 = keras.Variable(l1, dtype="float32", trainable=False)
        self.l2 = keras.Variable(l2, dtype="float32", trainable=False)

    def __call__(self, w):
        return self.l1 * keras.ops.sum(keras.ops.abs(w)) + self.l2 * keras.ops.sum(keras.ops.square(w))

    def get_config(self):
        return {"l1": float(self.l1.numpy()), "l2": float(self.l2.numpy())}
'''

# The callback that sets them, at the start of each epoch where the nnlab run's changed.
PENALTY_CALLBACK = '''class PenaltyChanges(keras.callbacks.Callback):
    """Sets the penalty's rates at the start of the epochs where they were changed during the nnlab run."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch in PENALTIES:
            penalty.l1.assign(PENALTIES[epoch][0])
            penalty.l2.assign(PENALTIES[epoch][1])
'''


def _model(config: RunConfig, task: str, changeable: bool = False) -> str:
    """The network's cell; `changeable`: its L1 / L2 rates change during training (_penalty_plan)."""
    lines = []
    if config.activation == "gaussian":
        lines += ["def gaussian(x):", '    """exp(−x²): the lecture\'s Gaussian activation (not built into Keras)."""',
                  "    return keras.ops.exp(-keras.ops.square(x))", ""]
    if changeable:
        lines += [CHANGEABLE_PENALTY, "",
                  f"penalty = ChangeablePenalty(l1={float(config.l1)!r}, l2={float(config.l2)!r})  # the run's settings; "
                  "added to the loss, changed during training", ""]
    elif config.l1 or config.l2:
        lines += [f"penalty = keras.regularizers.L1L2(l1={config.l1!r}, l2={config.l2!r})  # added to the loss", ""]
    outputs = "N_CLASSES" if task == CLASSIFICATION else "1"
    lines += ["model = keras.Sequential([", "    keras.Input(shape=(x_train.shape[1],)),"]
    # nnlab seeds each layer with SEED + its place in the list, so the initial weights are the same.
    for place, spec in enumerate(layer_specs(config, 1, 1, task)):
        seed = f"SEED + {place}" if place else "SEED"
        if spec.kind == "dense":
            units = outputs if spec.name == "output" else str(spec.units)
            activation = "gaussian" if spec.activation == "gaussian" else repr(spec.activation)
            extra = ", kernel_regularizer=penalty" if config.l1 or config.l2 or changeable else ""
            lines.append(f"    keras.layers.Dense({units}, activation={activation}{extra},")
            lines.append(f"                       kernel_initializer=keras.initializers.GlorotUniform(seed={seed}), "
                         f"name={spec.name!r}),")
        elif spec.kind == "batch_norm":
            lines.append(f"    keras.layers.BatchNormalization(name={spec.name!r}),")
        elif spec.kind == "activation":
            activation = "gaussian" if spec.activation == "gaussian" else repr(spec.activation)
            lines.append(f"    keras.layers.Activation({activation}, name={spec.name!r}),")
        elif spec.kind == "dropout":
            lines.append(f"    keras.layers.Dropout({spec.rate!r}, seed={seed}, name={spec.name!r}),")
    lines += ["])", "model.summary()"]
    return "\n".join(lines)


def _penalty_plan(config: RunConfig, history: list[dict]) -> dict[int, tuple[float, float]]:
    """The L1 / L2 rates set by hand during the run: Keras' epoch (counted from 0: nnlab's − 1) → the
    (L1, L2) pair it trains with from then on; {} when they stayed the settings'."""
    rates, plan = {"l1": float(config.l1), "l2": float(config.l2)}, {}
    for change in penalty_changes(config, history):
        rates[change["name"]] = change["value"]
        plan[change["epoch"] - 1] = (rates["l1"], rates["l2"])
    return plan


def _training(config: RunConfig, classify: bool, history: list[dict], penalties: dict | None = None) -> str:
    lr = f"{config.learning_rate!r}"
    lines, callbacks = [], []
    marks = change_marks(config, history)
    if marks:
        lines += ["# Set by hand while the nnlab run trained (and set again below, from the same epochs):",
                  *(f"#   {mark['label']}" for mark in sorted(marks, key=lambda mark: mark["epoch"])), ""]
    if not classify:
        loss, metric = '"mse"', '"mae"'
        lines.append("t_train, t_val, t_test = y_train, y_val, y_test  # regression: the values themselves")
    elif config.encoding == "label":
        loss, metric = "keras.losses.SparseCategoricalCrossentropy()", 'keras.metrics.SparseCategoricalAccuracy(name="accuracy")'
        lines.append("t_train, t_val, t_test = y_train, y_val, y_test  # class numbers, as they are")
    else:
        loss = '"mse"' if config.loss == "mse" else "keras.losses.CategoricalCrossentropy()"
        metric = 'keras.metrics.CategoricalAccuracy(name="accuracy")'
        lines.append("# One-hot targets: class 2 of 4 becomes [0, 0, 1, 0].")
        lines.append("t_train, t_val, t_test = (keras.utils.to_categorical(y, N_CLASSES) for y in (y_train, y_val, y_test))")
    lines += ["", f"model.compile(optimizer={KERAS_OPTIMIZERS[config.optimizer].code(lr)},",
              f"              loss={loss}, metrics=[{metric}])"]
    schedule = _schedule(config, history)
    if schedule:
        lines += ["", schedule, "", "", "schedule = keras.callbacks.LearningRateScheduler(learning_rate_of)"]
        callbacks.append("schedule")
    if penalties:
        lines += ["", f"PENALTIES = {penalties!r}  # Keras' epoch (nnlab's − 1) → (L1, L2) from then on", "", "",
                  PENALTY_CALLBACK.rstrip("\n"), "", ""]
        callbacks.append("PenaltyChanges()")
    if config.early_stopping:
        lines.append(f"stop_early = keras.callbacks.EarlyStopping(monitor=\"val_loss\", patience={config.early_stopping}, "
                     "restore_best_weights=True)")
        callbacks.append("stop_early")
    given = f", callbacks=[{', '.join(callbacks)}]" if callbacks else ""
    lines += [f"history = model.fit(x_train, t_train, validation_data=(x_val, t_val), batch_size={config.batch_size},",
              f"                    epochs={config.epochs}, shuffle=True, verbose=2{given})"]
    return "\n".join(lines)


def _schedule(config: RunConfig, history: list[dict]) -> str:
    """A `learning_rate_of(epoch, rate)` function for Keras' LearningRateScheduler, or "" for a
    constant rate: the run's recorded rates if some were set by hand, else its schedule
    (nnlab/lr_schedule.py, written out with the run's numbers)."""
    if changed_epochs(config, history):
        rates = [float(row["learning_rate"]) for row in history]
        return (f"RATES = {rates!r}  # each epoch's rate in the nnlab run (some were set by hand)\n\n\n"
                "def learning_rate_of(epoch, rate):\n"
                "    return RATES[min(epoch, len(RATES) - 1)]")
    warmup = config.warmup_epochs
    if config.lr_schedule == "constant" and not warmup:
        return ""
    decay, every = config.lr_decay, config.lr_decay_epochs
    after = {
        "constant": f"return {config.learning_rate!r}",
        "step": f"return {config.learning_rate!r} * {decay!r} ** (t // {every})  # × {decay:g} every {every} epochs",
        "exponential": f"return {config.learning_rate!r} * {decay!r} ** (t / {every})  # × {decay:g} over {every} epochs",
        "cosine": f"return {config.learning_rate!r} * 0.5 * (1 + math.cos(math.pi * t / {max(1, config.epochs - warmup)}))",
    }[config.lr_schedule]
    lines = ["def learning_rate_of(epoch, rate):",
             f'    """The {config.lr_schedule} schedule\'s rate for an epoch (Keras counts them from 0)."""']
    if warmup:
        lines += [f"    if epoch < {warmup}:  # linear warm-up", f"        return {config.learning_rate!r} * (epoch + 1) / {warmup + 1}"]
    lines += [f"    t = epoch - {warmup}  # epochs since the warm-up" if warmup else "    t = epoch", f"    {after}"]
    return "\n".join(lines)


def _test(classify: bool) -> str:
    if classify:
        return ("test_loss, test_accuracy = model.evaluate(x_test, t_test, verbose=0)\n"
                'print(f"Test loss {test_loss:.4f}, test accuracy {test_accuracy:.4f}")')
    return ("test_loss, test_mae = model.evaluate(x_test, t_test, verbose=0)\n"
            'print(f"Test loss {test_loss:.4f}, test mean absolute error {test_mae * TARGET_STD:.4g} (in the target\'s units)")')

