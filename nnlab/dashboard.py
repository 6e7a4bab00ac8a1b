"""The shared Streamlit parts of the nnlab pages — the one nnlab module that imports Streamlit.

Controls → RunConfig (with the URL carrying every setting), the visitor's run store, cached data
sets, the live training panel that polls a background TrainingJob, and the result panels.
Pages stay thin: they arrange these parts.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import re
import secrets
import sys
from pathlib import Path

import pandas as pd
import streamlit as st

from nnlab import charts
from nnlab.architecture import count_params, layer_specs
from nnlab.config import ACTIVATIONS, ENCODINGS, LOSSES, MAX_LAYERS, OPTIMIZERS, TASKS, RunConfig
from nnlab.csv_data import read_csv
from nnlab.data import DATA_FIELDS, DATASETS, data_key, dataset_info, load_dataset
from nnlab.diagnose import KINDS, remedies
from nnlab.errors import UserError
from nnlab.jobs import SweepJob, TrainingJob
from nnlab.presets import PRESETS
from nnlab.runs import RunStore


def _keep_keras_state_between_reruns() -> None:
    """Streamlit calls keras.backend.clear_session() after every script and fragment run once
    Keras is imported (script_runner._clean_problem_modules). That empties TensorFlow's kernel
    cache and collects garbage under a training job running in another thread: epochs of 0.06 s
    took 1–3 s whenever the page polled. nnlab keeps no Keras state in the script thread, so the
    clean-up has nothing to do here; Streamlit 1.67 has no setting for it, hence the patch."""
    from streamlit.runtime.scriptrunner import script_runner

    def clean_without_keras() -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")  # the other half of Streamlit's clean-up
        if pyplot is not None:
            pyplot.close("all")

    script_runner._clean_problem_modules = clean_without_keras


_keep_keras_state_between_reruns()
ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "home": "app.py",
    "train": "pages/1_Train.py", "runs": "pages/2_Runs.py", "compare": "pages/3_Compare.py",
    "race": "pages/4_Race.py", "sweep": "pages/5_Sweep.py",
    "neuron": "pages/6_One_neuron.py", "activations": "pages/7_Activations.py", "softmax": "pages/8_Softmax.py",
    "losses": "pages/9_Loss_functions.py", "gradient_descent": "pages/10_Gradient_descent.py",
    "backprop": "pages/11_Backpropagation.py", "approximation": "pages/12_Universal_approximation.py",
    "parameters": "pages/13_Counting_parameters.py",
}
NAMES = {
    "home": "Home", "train": "Train", "runs": "Runs", "compare": "Compare", "race": "Race", "sweep": "Sweep",
    "neuron": "One neuron", "activations": "Activation functions", "softmax": "Softmax and encodings",
    "losses": "Loss functions", "gradient_descent": "Gradient descent", "backprop": "Backpropagation, worked",
    "approximation": "Universal approximation", "parameters": "Counting parameters",
}
ICONS = {key: f":material/{name}:" for key, name in {
    "home": "home", "train": "model_training", "runs": "folder_open", "compare": "compare_arrows",
    "race": "sports_score", "sweep": "tune", "neuron": "radio_button_checked", "activations": "show_chart",
    "softmax": "bar_chart", "losses": "target", "gradient_descent": "landscape", "backprop": "undo",
    "approximation": "extension", "parameters": "calculate"}.items()}
LAB = ["train", "runs", "compare", "race", "sweep"]
CONCEPTS = ["neuron", "activations", "softmax", "losses", "gradient_descent", "backprop", "approximation", "parameters"]
# Choices of the stepped controls; a value from elsewhere (a CLI run, a link) is added when needed.
NEURONS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048)
LEARNING_RATES = (1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 3e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 0.01, 0.02, 0.03, 0.05,
                  0.087, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0)
BATCH_SIZES = (1, 2, 4, 8, 10, 16, 32, 64, 100, 128, 256, 512, 1024, 2048)
PENALTIES = (0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0)
STATUS_ICONS = {k: f":material/{v}:" for k, v in {
    "completed": "check_circle", "early_stopped": "stop_circle", "stopped": "pan_tool", "diverged": "warning",
    "failed": "error", "running": "hourglass_top", "queued": "schedule", "interrupted": "content_cut"}.items()}
VERDICT_ICONS = {k: f":material/{v}:" for k, v in {
    "overfitting": "trending_up", "underfitting": "trending_flat", "still_improving": "fast_forward",
    "good_fit": "target", "diverged": "warning", "no_data": "more_horiz"}.items()}
# How often a page polls a training job. Each poll reruns a fragment in the server and redraws
# charts in the browser; at 0.5 s that cost the training 12 % of its speed on one core, at 1 s 9 %
# (bench/app.py). Epochs faster than this are drawn together, one redraw a second.
POLL_SECONDS = float(os.environ.get("NNLAB_POLL_SECONDS", "1.0"))
_WORKSPACE = re.compile(r"^[a-z0-9][a-z0-9-]{5,39}$")
DEFAULT = RunConfig()


def page_setup(name: str) -> None:
    """Every page starts here: the browser tab, the menu in sections (Streamlit's own flat page
    list is switched off in .streamlit/config.toml), and the visitor's workspace."""
    st.set_page_config(page_title=f"{name} · nnlab", page_icon=":material/neurology:", layout="wide")
    with st.sidebar:
        st.page_link(PAGES["home"], label="nnlab", icon=":material/neurology:")
        for title, keys in (("Lab", LAB), ("The lecture's examples", CONCEPTS)):
            st.caption(title)
            for key in keys:
                st.page_link(PAGES[key], label=NAMES[key], icon=ICONS[key])
        st.divider()
    workspace_sidebar()


# --- the visitor's runs -------------------------------------------------------------------------

def runs_mode() -> str:
    """'shared' (one store for everyone) or 'private' (one per visitor). NNLAB_RUNS=auto, the
    default, shares only when the app is opened on this computer (localhost): on a deployment,
    visitors never see each other's runs unless NNLAB_RUNS=shared opts in."""
    mode = os.environ.get("NNLAB_RUNS", "auto").lower()
    if mode in ("shared", "private"):
        return mode
    host = st.context.headers.get("Host") or "localhost"
    host = host[1:host.find("]")] if host.startswith("[") else host.split(":")[0]  # "[::1]:8501", "localhost:8501"
    return "shared" if host in ("localhost", "127.0.0.1", "::1") else "private"


def runs_root() -> Path:
    return Path(os.environ.get("NNLAB_RUNS_DIR", ROOT / "runs"))


def workspace_sidebar() -> None:
    """In private mode a workspace name keys the visitor's store and rides in every page's link:
    bookmark the link to come back to the runs, share it to show them; nobody can list other
    workspaces (names are 48 random bits)."""
    if runs_mode() == "shared":
        st.sidebar.caption(f"Runs are kept in `{runs_root() / 'shared'}`.")
        return
    if "workspace" not in st.session_state:
        linked = str(st.query_params.get("workspace", "")).strip().lower()
        st.session_state["workspace"] = linked if _WORKSPACE.match(linked) else secrets.token_hex(6)
    st.sidebar.text_input(
        "Workspace", key="workspace", persist_state="session",  # the same on every page
        help="Your runs are kept under this name, private to you. It is part of every page's link: "
             "bookmark the link to come back to your runs, or share it to show them.",
    )
    name = str(st.session_state["workspace"]).strip().lower()
    if _WORKSPACE.match(name):
        if st.query_params.get("workspace") != name:
            st.query_params["workspace"] = name
    else:
        st.sidebar.error("A workspace name has 6–40 lower-case letters, digits or dashes.")


def store() -> RunStore:
    if runs_mode() == "shared":
        return RunStore(runs_root() / "shared")
    name = str(st.session_state.get("workspace") or "").strip().lower()
    if not _WORKSPACE.match(name):  # no valid name yet (or a page run without app.py, as in tests)
        name = st.session_state.setdefault("workspace_fallback", secrets.token_hex(6))
    return RunStore(runs_root() / "workspaces" / name)


def active_run_ids() -> set[str]:
    """Runs this visitor is training now (their folders say 'running' and must not look cut off)."""
    return {job.run_id for value in list(st.session_state.values()) for job in jobs_of(value)
            if not job.done and job.run_id}


# --- data ---------------------------------------------------------------------------------------

@st.cache_resource(max_entries=4, show_spinner="Loading the data…")
def _cached_dataset(key: tuple):
    return load_dataset(RunConfig(**dict(zip(DATA_FIELDS, key))))


def load_data(config: RunConfig):
    """The split, scaled data set for a config, shared by every session (it is read-only)."""
    return _cached_dataset(data_key(config))


# --- controls → RunConfig -----------------------------------------------------------------------

def _current(key: str, default):
    """A control's value before it is drawn."""
    return st.session_state.get(key, default)


def _options(base: tuple, value) -> list:
    return sorted(set(base) | {value}) if value is not None else list(base)


def _widget(container, kind: str, label: str, key: str, default, **kwargs):
    """A control keyed `key`, remembered across pages; the default is only passed while the
    session holds no value (set_controls may have put one there; Streamlit warns about both)."""
    if key not in st.session_state:
        kwargs["value" if kind != "selectbox" else "index"] = default
    return getattr(container, kind)(label, key=key, persist_state="session", **kwargs)


def controls(prefix: str = "", container=None, *, compact: bool = False) -> RunConfig | None:
    """Every setting as a grouped control (Data / Network / Training / Regularization).
    Returns the RunConfig, or None after showing what to change."""
    box = container if container is not None else st.sidebar
    k = lambda name: prefix + name  # noqa: E731

    def control(kind, label, name, default, **kwargs):
        return _widget(box, kind, label, k(name), default, **kwargs)

    def select(label, name, choices: dict | list, default, help, formatter=str):
        options = list(choices)
        return control("selectbox", label, name, options.index(default), options=options, help=help,
                       format_func=formatter)

    settings: dict = {}
    box.markdown("**Data**")
    names = [*DATASETS, "csv"]
    settings["dataset"] = select("Data set", "dataset", names, DEFAULT.dataset,
                                 "What the network learns from (the names are those of `python -m nnlab "
                                 "datasets`). MNIST is the course exercise.")
    info = dataset_info(settings["dataset"])
    if not compact:
        box.caption(f"**{info.title}.** {info.description}")
    if settings["dataset"] == "csv":
        settings.update(_csv_controls(box, prefix))
    if info.kind == "synthetic":
        settings["noise"] = control("slider", "Noise", "noise", DEFAULT.noise, min_value=0.0, max_value=0.5, step=0.05,
                                    help="Share of label noise, as the Playground's 0–50 %.")
        settings["samples"] = control("slider", "Points", "samples", DEFAULT.samples, min_value=50, max_value=5000,
                                      step=50, help="How many points to generate.")
    settings["train_size"] = control(
        "number_input", "Training examples (0 = all)", "train_size", DEFAULT.train_size, min_value=0, step=100,
        help="Keep only this many training examples. Few examples and a big network: overfitting.")
    settings["validation_fraction"] = control(
        "slider", "Validation share", "validation_fraction", DEFAULT.validation_fraction, min_value=0.05,
        max_value=0.5, step=0.05, help="Held out from training, shuffled, to watch for overfitting each epoch.")
    if not info.test_split:
        settings["test_fraction"] = control(
            "slider", "Test share", "test_fraction", DEFAULT.test_fraction, min_value=0.05, max_value=0.5, step=0.05,
            help="Held out until the end: the honest final score.")

    box.markdown("**Network**")
    layers = control("slider", "Hidden layers", "layers", len(DEFAULT.hidden), min_value=0, max_value=MAX_LAYERS,
                     help="0 = no hidden layer: the inputs go straight to the output (a linear model).")
    per_layer = control("toggle", "Neurons per layer", "per_layer", False,
                        help="Off: one width for every hidden layer. On: set each layer's width.") if layers else False
    width = _current(k("neurons"), DEFAULT.hidden[0])
    if layers and not per_layer:
        width = control("select_slider", "Neurons", "neurons", width, options=_options(NEURONS, width),
                        help="Neurons in each hidden layer: more neurons, more capacity (and parameters).")
        settings["hidden"] = (width,) * layers
    elif layers:
        settings["hidden"] = tuple(
            control("select_slider", f"Layer {i} neurons", f"neurons_{i}", _current(k(f"neurons_{i}"), width),
                    options=_options(NEURONS, _current(k(f"neurons_{i}"), width)))
            for i in range(1, layers + 1))
    else:
        settings["hidden"] = ()
    settings["activation"] = select("Activation", "activation", ACTIVATIONS, DEFAULT.activation,
                                    "Of the hidden neurons. " + ACTIVATIONS[_current(k("activation"), DEFAULT.activation)])
    if not compact:
        box.page_link(PAGES["activations"], label="Compare the activation functions", icon=ICONS["activations"])

    box.markdown("**Training**")
    if "regression" not in (info.task, settings.get("task")):  # regression always uses squared error
        settings["loss"] = select("Loss", "loss", LOSSES, DEFAULT.loss, " ".join(LOSSES.values()),
                                  formatter=lambda v: {"cross_entropy": "cross-entropy", "mse": "mean squared error"}[v])
        settings["encoding"] = select("Class encoding", "encoding", ENCODINGS, DEFAULT.encoding,
                                      " ".join(ENCODINGS.values()), formatter=lambda v: v.replace("_", "-"))
        if not compact:
            box.page_link(PAGES["losses"], label="How do the two losses differ?", icon=ICONS["losses"])
            box.page_link(PAGES["softmax"], label="Softmax, one-hot and labels", icon=ICONS["softmax"])
    settings["optimizer"] = select("Optimizer", "optimizer", OPTIMIZERS, DEFAULT.optimizer,
                                   OPTIMIZERS[_current(k("optimizer"), DEFAULT.optimizer)],
                                   formatter=lambda v: v.replace("_", " + "))
    lr = _current(k("learning_rate"), DEFAULT.learning_rate)
    settings["learning_rate"] = control(
        "select_slider", "Learning rate", "learning_rate", lr, options=_options(LEARNING_RATES, lr),
        format_func=lambda v: f"{v:g}",
        help="The step size of gradient descent (log scale). Too small: slow. Too large: the loss jumps or explodes.")
    if not compact:
        box.page_link(PAGES["gradient_descent"], label="What does the learning rate do?", icon=ICONS["gradient_descent"])
    batch = _current(k("batch_size"), DEFAULT.batch_size)
    settings["batch_size"] = control("select_slider", "Batch size", "batch_size", batch, options=_options(BATCH_SIZES, batch),
                                     help="Examples per gradient step: small batches, noisy but many steps.")
    settings["epochs"] = control("slider", "Epochs", "epochs", DEFAULT.epochs, min_value=1, max_value=300,
                                 help="Passes over the training data.")
    if control("toggle", "Early stopping", "early_stop", bool(DEFAULT.early_stopping),
               help="Stop when the validation loss has not improved for some epochs, and keep the best weights."):
        settings["early_stopping"] = control("slider", "Patience (epochs)", "patience", 3, min_value=1, max_value=20)
    settings["seed"] = control("number_input", "Random seed", "seed", DEFAULT.seed, min_value=0, step=1,
                               help="Fixes the split, the initial weights, dropout and the batch order.")

    box.markdown("**Regularization**")
    settings["dropout"] = control("slider", "Dropout", "dropout", DEFAULT.dropout, min_value=0.0, max_value=0.9, step=0.05,
                                  help="Share of hidden neurons switched off at random in each step: fights overfitting.")
    l2 = _current(k("l2"), DEFAULT.l2)
    settings["l2"] = control("select_slider", "L2 penalty", "l2", l2, options=_options(PENALTIES, l2),
                             format_func=lambda v: f"{v:g}", help="Adds this × the sum of squared weights to the loss.")
    l1 = _current(k("l1"), DEFAULT.l1)
    settings["l1"] = control("select_slider", "L1 penalty", "l1", l1, options=_options(PENALTIES, l1),
                             format_func=lambda v: f"{v:g}", help="Adds this × the sum of absolute weights: many become 0.")
    settings["batch_norm"] = control("toggle", "Batch normalization", "batch_norm", DEFAULT.batch_norm,
                                     help="Normalize each hidden layer's sums over the batch before the activation.")
    try:
        return RunConfig.from_dict(settings)
    except UserError as error:
        box.error(f"Change this setting: {error}")
        return None


def _csv_controls(box, prefix: str) -> dict:
    """Upload, then pick the target column; the upload is kept in the workspace's uploads folder."""
    upload = box.file_uploader("Your CSV file", type=["csv", "txt"], key=prefix + "csv_file",
                               help="A table with a header row; numeric columns become the inputs.")
    if upload is not None:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()[:16]
        if st.session_state.get(prefix + "csv_digest") != digest:
            try:
                frame = read_csv(data)
            except UserError as error:
                box.error(f"{upload.name}: {error}")
                return {}
            path = store().root.parent / "uploads" / f"{digest}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            st.session_state[prefix + "csv_digest"] = digest
            st.session_state[prefix + "csv_path"] = str(path)
            st.session_state[prefix + "csv_columns"] = list(frame.columns)
            st.session_state[prefix + "csv_name"] = upload.name
    columns = st.session_state.get(prefix + "csv_columns")
    path = st.session_state.get(prefix + "csv_path")
    if not columns and path and Path(path).is_file():  # settings put in from a saved run
        try:
            columns = st.session_state[prefix + "csv_columns"] = list(read_csv(path).columns)
        except UserError as error:
            box.error(str(error))
    if not columns:
        box.info("Upload a CSV file to train on your own data.")
        return {}
    target = box.selectbox("Column to predict", columns, index=len(columns) - 1, key=prefix + "target",
                           help="The target; the other numeric columns are the inputs.")
    task = box.selectbox("Task", list(TASKS), key=prefix + "task", format_func=str.capitalize,
                         help=" ".join(TASKS.values()))
    return {"csv_path": st.session_state[prefix + "csv_path"], "target": target, "task": task}


def set_controls(config: RunConfig, prefix: str = "") -> None:
    """Put a config into the controls (presets, remedies, 'new run from this one')."""
    state = st.session_state
    values = {
        "dataset": config.dataset, "noise": config.noise, "samples": config.samples, "train_size": config.train_size,
        "validation_fraction": config.validation_fraction, "test_fraction": config.test_fraction,
        "layers": len(config.hidden), "activation": config.activation, "loss": config.loss,
        "encoding": config.encoding, "optimizer": config.optimizer, "learning_rate": config.learning_rate,
        "batch_size": config.batch_size, "epochs": min(config.epochs, 300), "early_stop": bool(config.early_stopping),
        "patience": config.early_stopping or 3, "seed": config.seed, "dropout": config.dropout, "l2": config.l2,
        "l1": config.l1, "batch_norm": config.batch_norm,
    }
    uniform = len(set(config.hidden)) <= 1
    values["per_layer"] = not uniform
    values["neurons"] = config.hidden[0] if config.hidden else _current(prefix + "neurons", DEFAULT.hidden[0])
    for i, width in enumerate(config.hidden, start=1):
        values[f"neurons_{i}"] = width
    if config.dataset == "csv":
        values.update(csv_path=config.csv_path, target=config.target, task=config.task)
    for name, value in values.items():
        state[prefix + name] = value


def settings_from_link() -> None:
    """Fill the controls from the page's link when it carries settings this session has not
    written itself: a shared link (every setting that differs from the defaults, by the CLI's
    names: ?dataset=spiral&hidden=&epochs=40) or a lesson (?preset=overfitting)."""
    params = {key: st.query_params.get(key) for key in st.query_params}
    params.pop("workspace", None)
    if not params or params == st.session_state.get("_link_written"):
        return
    preset = params.pop("preset", None)
    if preset is not None:
        if preset in PRESETS:
            set_controls(PRESETS[preset].config)
            st.session_state["preset_note"] = PRESETS[preset]
        else:
            st.warning(f"There is no lesson called {preset!r}; the lessons are: {', '.join(PRESETS)}.")
        return
    values, problems = DEFAULT.to_dict(), []
    for name, raw in params.items():
        try:
            RunConfig.from_dict({**values, name: raw})  # one at a time: a bad one spoils nothing else
            values[name] = raw
        except UserError as error:
            problems.append(str(error))
    set_controls(RunConfig.from_dict(values))
    if problems:
        st.warning("Some settings in the link could not be used: " + "; ".join(problems))


def settings_to_link(config: RunConfig | None) -> None:
    """Write every setting that differs from the defaults into the link, so it can be shared."""
    if config is None:
        return
    wanted, defaults = {}, DEFAULT.to_dict()
    for name, value in config.to_dict().items():
        if value != defaults[name]:
            wanted[name] = ",".join(map(str, value)) if name == "hidden" else str(value).lower() if isinstance(value, bool) else str(value)
    for key in [key for key in st.query_params if key not in wanted and key != "workspace"]:
        del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    st.session_state["_link_written"] = wanted


# --- the network before training ----------------------------------------------------------------

def network_summary(config: RunConfig, dataset) -> None:
    specs = layer_specs(config, dataset.n_features, dataset.n_outputs, dataset.task)
    total = count_params(specs)
    shape = " → ".join([str(dataset.n_features), *map(str, config.hidden), str(dataset.n_outputs)])
    st.markdown(f"**Network** {shape} · **{total:,} parameters** to learn from {len(dataset.x_train):,} examples")
    with st.expander("Layers and parameter count"):
        st.dataframe(pd.DataFrame([{"layer": s.name, "kind": s.kind, "neurons": s.units, "activation": s.activation,
                                    "parameters": s.params, "trained": s.trainable, "how": s.formula} for s in specs]),
                     hide_index=True, width="stretch")
        st.page_link(PAGES["parameters"], label="How are parameters counted?", icon=ICONS["parameters"])


# --- training and the live view -----------------------------------------------------------------

def new_job(config: RunConfig, label: str = "") -> TrainingJob:
    """A job that trains on the cached data and saves into this visitor's store."""
    return TrainingJob(config, load_data, store=store(), label=label)


def start_job(key: str, config: RunConfig, label: str = "") -> TrainingJob:
    job = new_job(config, label).start()
    st.session_state[key] = job
    return job


def job_status_line(job: TrainingJob) -> str:
    epoch, done, total = job.progress
    if job.status == "queued":
        return "Waiting for a free training slot (other runs are training on this server)…"
    if not job.done:
        eta = job.eta()
        left = f" · about {eta:.0f} s left" if eta is not None else ""
        return f"Epoch {max(epoch, 1)} / {job.config.epochs} · {job.elapsed():.0f} s{left}"
    return job.message


def live_panel(key: str, *, height: int = 260, show_stop: bool = True) -> None:
    """The chart, progress and metrics of the job in session_state[key], redrawn every half
    second while it trains (a fragment, so the rest of the page is left alone)."""
    job = st.session_state.get(key)
    if not isinstance(job, TrainingJob):
        return
    was_running = not job.done
    st.fragment(_live_fragment, run_every=POLL_SECONDS if was_running else None)(key, was_running, height, show_stop)


def _live_fragment(key: str, was_running: bool, height: int, show_stop: bool) -> None:
    job: TrainingJob = st.session_state[key]
    if was_running and job.done:
        st.rerun()  # the whole page: results appear and polling ends
    history = list(job.history)
    epoch, done, total = job.progress
    fraction = min(1.0, (len(history) + (done / total if total and epoch > len(history) else 0)) / job.config.epochs)
    top = st.columns([5, 1]) if show_stop and not job.done else [st.container()]
    top[0].progress(fraction, text=job_status_line(job))
    if show_stop and not job.done:
        top[1].button("Stop", key=f"{key}_stop", on_click=job.stop, type="primary", width="stretch",
                      help="End training within one batch; every completed epoch is kept.")
    if job.status == "failed":
        st.error(job.message)
    for warning in job.warnings:
        st.warning(warning)
    if history:
        task = job.dataset.task if job.dataset is not None else "classification"
        metric_tiles(history, task)
        best = min(range(len(history)), key=lambda i: _nan_to_inf(history[i]["val_loss"])) + 1
        live_curves(f"{key}_chart", (id(job), len(history)), lambda: charts.training_charts(
            history, task, epochs=job.config.epochs, best_epoch=best, height=height))
    elif not job.done:
        st.caption("The first epoch includes compiling the network; the curves appear after it.")


def jobs_of(value) -> list[TrainingJob]:
    """The training jobs held under a session key: one job, a list of them (a race) or a sweep."""
    if isinstance(value, TrainingJob):
        return [value]
    if isinstance(value, SweepJob):
        return value.jobs
    if isinstance(value, list):
        return [job for job in value if isinstance(job, TrainingJob)]
    return []


def several_jobs_panel(key: str, *, height: int = 280) -> None:
    """Progress of each job under session_state[key] and their curves in one chart, colour per
    run, redrawn while any of them trains (the Race and Sweep pages)."""
    jobs = jobs_of(st.session_state.get(key))
    if not jobs:
        return
    was_running = not all(job.done for job in jobs)
    st.fragment(_several_jobs_fragment, run_every=POLL_SECONDS if was_running else None)(key, was_running, height)


def _several_jobs_fragment(key: str, was_running: bool, height: int) -> None:
    holder = st.session_state[key]
    jobs = jobs_of(holder)
    if was_running and all(job.done for job in jobs):
        st.rerun()
    if not all(job.done for job in jobs):
        st.button("Stop", key=f"{key}_stop", type="primary", icon=":material/stop:", on_click=_stop_all, args=(holder,),
                  help="End every run of this page within one batch; completed epochs are kept.")
    for job in jobs:
        epoch, done, total = job.progress
        fraction = min(1.0, (len(job.history) + (done / total if total and epoch > len(job.history) else 0)) / job.config.epochs)
        st.progress(fraction, text=f"**{job.label}** · {job_status_line(job)}")
        if job.status == "failed":
            st.error(f"{job.label}: {job.message}")
    started = [job for job in jobs if job.history]
    if started:
        task = started[0].dataset.task if started[0].dataset is not None else "classification"
        st.caption("One colour per run; training solid, validation dashed.")
        histories = [(job.label, list(job.history), task) for job in started]
        live_curves(f"{key}_chart", tuple((id(job), len(history)) for job, (_, history, _) in zip(started, histories)),
                    lambda: charts.compare_charts(histories, epochs=max(job.config.epochs for job in jobs), height=height))


def _stop_all(holder) -> None:
    for job in jobs_of(holder):  # a sweep's runs not begun yet end at once too
        job.stop()


def curves(specs, key: str | None = None) -> None:
    """Loss and accuracy charts (Vega-Lite specs from nnlab.charts) side by side."""
    for i, (column, spec) in enumerate(zip(st.columns(2), specs)):
        column.vega_lite_chart(spec=spec, width="stretch", key=f"{key}_{i}" if key else None)


def live_curves(key: str, version: tuple, build) -> None:
    """Curves redrawn by a polling fragment: built again only when an epoch was added, so a poll
    without news sends the same specs and the browser has nothing to redraw."""
    cache = st.session_state.setdefault("_live_specs", {})
    if cache.get(key, (None,))[0] != version:
        cache[key] = (version, build())
    curves(cache[key][1], key)


def metric_tiles(history: list[dict], task: str) -> None:
    last = history[-1]
    previous = history[-2] if len(history) > 1 else None
    metric = "accuracy" if task == "classification" else "mae"
    fmt = (lambda v: f"{v:.1%}") if metric == "accuracy" else (lambda v: f"{v:.4g}")
    delta = lambda name: None if previous is None else _delta(last[name], previous[name], metric in name)  # noqa: E731
    cols = st.columns(5)
    cols[0].metric("Train loss", f"{last['loss']:.4g}", delta("loss"), delta_color="inverse")
    cols[1].metric("Validation loss", f"{last['val_loss']:.4g}", delta("val_loss"), delta_color="inverse")
    cols[2].metric(f"Train {metric}", fmt(last[metric]), delta(metric),
                   delta_color="normal" if metric == "accuracy" else "inverse")
    cols[3].metric(f"Validation {metric}", fmt(last[f"val_{metric}"]), delta(f"val_{metric}"),
                   delta_color="normal" if metric == "accuracy" else "inverse")
    gap = last[metric] - last[f"val_{metric}"] if metric == "accuracy" else last["val_loss"] - last["loss"]
    cols[4].metric("Gap",
                   fmt(gap) if metric == "accuracy" else f"{gap:.4g}",
                   help="The generalization gap: train minus validation accuracy (or validation minus train "
                        "loss). Large and growing means overfitting.")


def _delta(now: float, before: float, percent: bool) -> str | None:
    if not (math.isfinite(now) and math.isfinite(before)):
        return None
    change = now - before
    return f"{change * 100:+.1f} pt" if percent else f"{change:+.3g}"


def _nan_to_inf(value: float) -> float:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else math.inf


# --- after training -----------------------------------------------------------------------------

def verdict_panel(verdict, config: RunConfig, *, apply_prefix: str | None = "") -> None:
    """Kind, best epoch, gap, the explanation, and the lecture's remedies as buttons that put
    concrete next settings into the controls."""
    kind = verdict.kind
    with st.container(border=True):
        st.subheader(f"{VERDICT_ICONS.get(kind, '')} {KINDS[kind]}")
        st.write(verdict.explanation)
        facts = []
        if verdict.best_epoch:
            facts.append(f"best validation epoch **{verdict.best_epoch}**")
        if verdict.gap is not None and math.isfinite(verdict.gap):
            facts.append(f"generalization gap **{verdict.gap:.1%}**" if verdict.gap_metric == "accuracy"
                         else f"generalization gap **{verdict.gap:.3g}** (loss)")
        if facts:
            st.markdown(" · ".join(facts))
        suggestions = remedies(kind, config)
        if suggestions and apply_prefix is not None:
            st.markdown("**Try next** — a click puts the change into the settings; then press Train:")
            cols = st.columns(min(3, len(suggestions)))
            for i, remedy in enumerate(suggestions):
                cols[i % len(cols)].button(
                    remedy.text, key=f"remedy_{apply_prefix}{i}", width="stretch",
                    on_click=set_controls, args=(dataclasses.replace(config, **remedy.changes), apply_prefix))
        with st.expander("The lecture's remedies"):
            for line in verdict.remedies:
                st.markdown(f"- {line}")


def test_tiles(test: dict, task: str) -> None:
    cols = st.columns(4)
    cols[0].metric("Test loss", f"{test['loss']:.4g}" if test.get("loss") is not None else "–")
    if task == "classification":
        cols[1].metric("Test accuracy", f"{test['accuracy']:.2%}" if test.get("accuracy") is not None else "–")
    else:
        cols[1].metric("Test mean absolute error", f"{test['mae']:.4g}" if test.get("mae") is not None else "–")


def results_panel(job: TrainingJob) -> None:
    """Everything after a run: status, verdict with remedies, test figures, what the model does
    on the test set, and downloads."""
    from nnlab import analysis

    result = job.result
    if result is None:
        return
    {"completed": st.success, "early_stopped": st.info, "stopped": st.info}.get(result.status, st.warning)(
        f"{STATUS_ICONS.get(result.status, '')} {result.message}")
    verdict_panel(result.verdict, result.config)
    if not result.history:
        return
    test_tiles(result.test, result.task)
    dataset, predictions = job.dataset, job.predictions
    tabs = ["Test samples", "Confusion matrix"] if result.task == "classification" else ["Predicted vs true"]
    if predictions is not None and predictions.grid is not None:
        tabs.insert(0, "Decision boundary")
    tabs.append("Downloads")
    for name, tab in zip(tabs, st.tabs(tabs)):
        with tab:
            if name == "Decision boundary":
                st.altair_chart(charts.boundary_chart(predictions.grid, analysis.boundary_points(dataset), result.task,
                                                      dataset.class_names), width="stretch")
                st.caption("Background: what the network predicts everywhere in the plane. Circles: training "
                           "points, triangles: test points, as in TensorFlow Playground.")
            elif name == "Test samples":
                sample_table(dataset, predictions.outputs)
            elif name == "Confusion matrix":
                st.altair_chart(charts.confusion_chart(analysis.confusion(dataset, predictions.outputs)), width="stretch")
                st.caption("Rows: the true class. Columns: what the network said. The diagonal is right.")
            elif name == "Predicted vs true":
                st.altair_chart(charts.prediction_chart(analysis.regression_points(dataset, predictions.outputs)),
                                width="stretch")
            else:
                downloads(job)


def sample_table(dataset, outputs) -> None:
    from nnlab import analysis

    table = analysis.samples(dataset, outputs)
    wrong = int((~table["correct"]).sum())
    st.markdown(f"Misclassified test examples first ({wrong} shown), then the least confident correct ones.")
    table["what the network says"] = [analysis.verdict_sentence(row) for _, row in table.iterrows()]
    config = {
        "probabilities": st.column_config.BarChartColumn(
            "softmax probabilities", y_min=0.0, y_max=1.0,
            help=f"One bar per class: {', '.join(dataset.class_names)}"),
        "confidence": st.column_config.ProgressColumn("confidence", min_value=0.0, max_value=1.0, format="percent"),
    }
    if "image" in table:
        config["image"] = st.column_config.ImageColumn("image", width="small")
    columns = [c for c in ("image", "what the network says", "confidence", "probabilities", "true", "predicted") if c in table]
    st.dataframe(table[columns], column_config=config, hide_index=True, width="stretch", row_height=60 if "image" in table else None)


def downloads(job: TrainingJob) -> None:
    result = job.result
    cols = st.columns(3)
    cols[0].download_button("History (CSV)", pd.DataFrame(result.history).to_csv(index=False), "history.csv",
                            "text/csv", on_click="ignore", width="stretch")
    cols[1].download_button("Settings (JSON)", result.config.to_json(), "settings.json", "application/json",
                            on_click="ignore", width="stretch")
    model_path = store().model_path(job.run_id) if job.run_id else None
    if model_path is not None:
        cols[2].download_button("Model (.keras)", model_path.read_bytes, "model.keras", "application/octet-stream",
                                on_click="ignore", width="stretch")
    st.caption("Load the model with `keras.models.load_model('model.keras')` after `import nnlab.model` "
               "(which registers the Gaussian activation).")
