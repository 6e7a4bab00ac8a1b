"""The grouped controls (Data / Network / Training / Regularization) ↔ RunConfig.

Every control takes its label, help, range and stepped values from nnlab.config.settings, the table that
RunConfig validates with, so a valid setting (from a link, a CLI run, a remedy) always fits its control.

The one way for anything else (a link, a lesson, a remedy button, "Use this learning rate", "Open the
best in Train", "New run from this one") to set the controls is `request_settings`: the settings wait
in the session and `controls()` puts them into the widgets before it draws them, on whichever page
draws them next. Writing a widget's key directly fails in two ways: once the widget is drawn in this
run Streamlit raises StreamlitWidgetAlreadyInstantiatedError, and a value written during a fragment's
rerun is never shown, then overwritten by the browser's old value at the next full run.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from nnlab.config.run_config import DEFAULT, RunConfig
from nnlab.data.csv_files import read_csv
from nnlab.data.datasets import dataset_info
from nnlab.core import deployment
from nnlab.core.errors import UserError
from nnlab.core.safe_text import markdown
from nnlab.config.settings import SETTINGS, offered
from nnlab.core.tasks import REGRESSION
from nnlab.ui import navigation, workspace
from nnlab.ui.session_keys import FIXED_SETTINGS, PENDING_SETTINGS
from nnlab.data.uploads import UploadStore, expire_everywhere

CSV_SETTINGS = ("csv_path", "target", "task")  # drawn by the CSV upload, never fixed by a link
LOSS_NAMES = {"cross_entropy": "cross-entropy", "mse": "mean squared error"}


class _Form:
    """Draws controls into one container under one key prefix ("" on Train, "a_"/"b_" in a race)."""

    def __init__(self, box, prefix: str):
        self.box, self.prefix = box, prefix
        # Settings a teacher's link fixed (nnlab/ui/link.py): no control, the link's value, on every
        # page and in every configuration of a race.
        self.fixed = fixed_settings()

    def heading(self, group: str) -> None:
        """A group's title, unless a teacher's link fixed all of the group."""
        if any(spec.group == group and name not in self.fixed and name not in CSV_SETTINGS
               for name, spec in SETTINGS.items()):
            self.box.markdown(f"**{group.capitalize()}**")

    def current(self, name: str, default):
        """A control's value before it is drawn."""
        return st.session_state.get(self.prefix + name, default)

    def widget(self, kind: str, label: str, name: str, default, **kwargs):
        """A control remembered across pages; the default is only passed while the session holds no
        value (request_settings may have put one there; Streamlit warns about both)."""
        key = self.prefix + name
        if key not in st.session_state:
            kwargs[{"selectbox": "index", "pills": "default"}.get(kind, "value")] = default
        return getattr(self.box, kind)(label, key=key, persist_state="session", **kwargs)

    def setting(self, name: str, *, key: str | None = None, label: str | None = None, help: str | None = None,
                default=None):
        """The control a setting's table entry asks for: a select for choices, a stepped slider for
        suggested values, a slider for a short range, a number box otherwise, a toggle for yes/no."""
        if name in self.fixed:
            return self.fixed[name]
        spec = SETTINGS[name]
        key = key or name
        label, help = label or spec.label, help or spec.help
        default = getattr(DEFAULT, name) if default is None else default
        if spec.kind == "choice":
            options = list(spec.options())
            value = self.current(key, default)
            return self.widget("selectbox", label, key, options.index(value if value in options else default),
                               options=options, help=help, format_func=_choice_name(name))
        if spec.kind == "bool":
            return self.widget("toggle", label, key, default, help=help)
        if spec.kind == "several":  # toggles side by side, as Playground's inputs
            labels = {value: text.split(":")[0] for value, text in spec.options().items()}
            return tuple(self.widget("pills", label, key, list(default), options=list(labels), selection_mode="multi",
                                     help=help, format_func=labels.get) or ())
        if spec.suggested:
            value = self.current(key, default)
            return self.widget("select_slider", label, key, value, options=offered(spec, value), help=help,
                               format_func=lambda v: f"{v:,}" if isinstance(v, int) else f"{v:g}")
        numbers = {"min_value": type(default)(spec.low), "max_value": type(default)(spec.high),
                   "step": type(default)(spec.step or 1)}
        kind = "slider" if spec.kind == "float" else "number_input"
        return self.widget(kind, label, key, default, help=help, **numbers)


def _choice_name(name: str):
    if name == "loss":
        return LOSS_NAMES.get
    if name in ("optimizer", "encoding"):
        return lambda v: v.replace("_", " + " if name == "optimizer" else "-")
    if name == "task":
        return str.capitalize
    return str


def controls(prefix: str = "", container=None, *, compact: bool = False, columns: bool = False) -> RunConfig | None:
    """Every setting as a grouped control (in the sidebar unless a container is given; `columns`: the
    four groups side by side). Returns the RunConfig, or None after showing what to change."""
    _take_requested(prefix)
    form = _Form(container if container is not None else st.sidebar, prefix)
    groups = iter(form.box.columns(4, gap="medium") if columns else [form.box] * 4)
    settings: dict = {}

    form.box = box = next(groups)
    form.heading("data")
    settings["dataset"] = form.setting("dataset")
    info = dataset_info(settings["dataset"])
    if not compact and "dataset" not in form.fixed:
        box.caption(f"**{info.title}.** {info.description}")
    csv = _csv_controls(form) if settings["dataset"] == "csv" else None
    settings.update(csv or {})
    if info.kind == "synthetic":
        settings["noise"] = form.setting("noise")
        settings["samples"] = form.setting("samples")
    if info.plane:
        settings["features"] = form.setting("features")
    settings["train_size"] = form.setting("train_size")
    settings["validation_fraction"] = form.setting("validation_fraction")
    if not info.test_split:
        settings["test_fraction"] = form.setting("test_fraction")

    form.box = box = next(groups)
    form.heading("network")
    settings["hidden"] = form.fixed["hidden"] if "hidden" in form.fixed else _layer_controls(form)
    activation = form.current("activation", DEFAULT.activation)
    settings["activation"] = form.setting("activation", help="Of the hidden neurons. "
                                          + SETTINGS["activation"].options().get(activation, ""))
    if not compact and "activation" not in form.fixed:
        navigation.link("activations", "Compare the activation functions", box)

    form.box = box = next(groups)
    form.heading("training")
    if REGRESSION not in (info.task, settings.get("task")):  # regression always uses squared error
        settings["loss"] = form.setting("loss")
        settings["encoding"] = form.setting("encoding")
        if not compact and "loss" not in form.fixed:
            navigation.link("losses", "How do the two losses differ?", box)
            navigation.link("softmax", "Softmax, one-hot and labels", box)
    optimizer = form.current("optimizer", DEFAULT.optimizer)
    settings["optimizer"] = form.setting("optimizer", help=SETTINGS["optimizer"].options().get(optimizer))
    settings["learning_rate"] = form.setting("learning_rate")
    if not compact and "learning_rate" not in form.fixed:
        navigation.link("gradient_descent", "What does the learning rate do?", box)
    settings["lr_schedule"] = form.setting("lr_schedule")
    if settings["lr_schedule"] in ("step", "exponential"):
        settings["lr_decay"] = form.setting("lr_decay")
        settings["lr_decay_epochs"] = form.setting("lr_decay_epochs")
    settings["warmup_epochs"] = form.setting("warmup_epochs")
    settings["batch_size"] = form.setting("batch_size")
    settings["epochs"] = form.setting("epochs")
    if "early_stopping" in form.fixed:
        settings["early_stopping"] = form.fixed["early_stopping"]
    elif form.widget("toggle", "Early stopping", "early_stop", bool(DEFAULT.early_stopping),
                   help="Stop when the validation loss has not improved for some epochs, and keep the best weights."):
        settings["early_stopping"] = form.setting("early_stopping", key="patience",
                                                  help="Epochs without a better validation loss before stopping.",
                                                  default=3)
    settings["seed"] = form.setting("seed")

    form.box = box = next(groups)
    form.heading("regularization")
    for name in ("dropout", "l2", "l1", "batch_norm"):
        settings[name] = form.setting(name)
    if csv == {}:  # no usable file yet: the upload has said what to do, in words (not "needs csv_path")
        return None
    try:
        return RunConfig.from_dict(settings)
    except UserError as error:
        box.error(f"Change this setting: {markdown(str(error))}")
        return None


def _layer_controls(form: _Form) -> tuple[int, ...]:
    """How many hidden layers, and one width for all or a width per layer."""
    from nnlab.config.settings import MAX_LAYERS

    layers = form.widget("slider", "Hidden layers", "layers", len(DEFAULT.hidden), min_value=0, max_value=MAX_LAYERS,
                         help="0 = no hidden layer: the inputs go straight to the output (a linear model).")
    if not layers:
        return ()
    per_layer = form.widget("toggle", "Neurons per layer", "per_layer", False,
                            help="Off: one width for every hidden layer. On: set each layer's width.")
    spec = SETTINGS["hidden"]
    width = form.current("neurons", DEFAULT.hidden[0])
    if not per_layer:
        width = form.widget("select_slider", "Neurons", "neurons", width, options=offered(spec, width),
                            help="Neurons in each hidden layer: more neurons, more capacity (and parameters).")
        return (width,) * layers
    widths = []
    for i in range(1, layers + 1):
        value = form.current(f"neurons_{i}", width)
        widths.append(form.widget("select_slider", f"Layer {i} neurons", f"neurons_{i}", value,
                                  options=offered(spec, value)))
    return tuple(widths)


def _csv_controls(form: _Form) -> dict:
    """Upload, then pick the target column. The file is kept in the visitor's own workspace under an
    id (links carry the id, never a path)."""
    box, prefix, state = form.box, form.prefix, st.session_state
    upload = box.file_uploader("Your CSV file", type=["csv", "txt"], key=prefix + "csv_file",
                               help="A table with a header row; numeric columns become the inputs.")
    if upload is not None:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        if state.get(prefix + "csv_digest") != digest:
            try:
                frame = read_csv(data)
                mine = workspace.uploads()
                server = workspace.runs_root()  # every workspace's uploads: expired and bounded together
                expire_everywhere(server, deployment.current().upload_keep_seconds)
                uploads = UploadStore(mine.root, mine.quota_bytes, quota_root=mine.quota_root, server_root=server)
                saved = uploads.save(data, upload.name)
            except UserError as error:
                box.error(f"{markdown(upload.name)}: {markdown(str(error))}")
                return {}
            state[prefix + "csv_digest"] = digest
            state[prefix + "csv_path"] = str(uploads.path(saved.id))
            state[prefix + "csv_columns"] = list(frame.columns)
    columns = state.get(prefix + "csv_columns")
    path = state.get(prefix + "csv_path")
    if not columns and path:  # settings put in from a saved run or a link
        try:
            columns = state[prefix + "csv_columns"] = list(read_csv(path, inside=workspace.readable_folder()).columns)
        except UserError as error:
            box.error(markdown(str(error)))
    if not columns:
        box.info("Upload a CSV file to train on your own data.")
        return {}
    target = box.selectbox("Column to predict", columns, index=len(columns) - 1, key=prefix + "target",
                           help=SETTINGS["target"].help)
    task = form.setting("task")
    return {"csv_path": path, "target": target, "task": task}


def fixed_settings() -> dict:
    """The settings a teacher's link fixed for this session (name → value); no page offers to change them."""
    return st.session_state.get(FIXED_SETTINGS) or {}


def request_settings(config: RunConfig, prefix: str = "", *, open_page: str | None = None,
                     rerun: bool = False) -> None:
    """Ask for `config` in the controls drawn under `prefix` ("" for Train, Sweep and Search; "a_" … for a
    race's configurations). They take it the next time they are drawn, before any widget exists.
    `open_page` (a page key) goes there now; `rerun` reruns the whole page now (from a button inside a
    fragment, or drawn after the controls). From a button's on_click, pass neither: the page reruns anyway."""
    st.session_state.setdefault(PENDING_SETTINGS, {})[prefix] = config
    if open_page is not None:
        navigation.go(open_page)
    elif rerun:
        st.rerun(scope="app")


def requested(prefix: str = "") -> RunConfig | None:
    """The settings waiting for the controls under `prefix`, if any."""
    return (st.session_state.get(PENDING_SETTINGS) or {}).get(prefix)


def _take_requested(prefix: str) -> None:
    config = (st.session_state.get(PENDING_SETTINGS) or {}).pop(prefix, None)
    if config is not None:
        _set_controls(config, prefix)


def _set_controls(config: RunConfig, prefix: str = "") -> None:
    """Put a config into the controls' session values: only before they are drawn (see the module's note)."""
    values = {name: list(value) if spec.kind == "several" else value for name, spec in SETTINGS.items()
              if spec.kind != "layers" and name not in ("early_stopping", "csv_path", "target", "task")
              for value in [getattr(config, name)]}
    values.update(layers=len(config.hidden), per_layer=len(set(config.hidden)) > 1,
                  early_stop=bool(config.early_stopping), patience=config.early_stopping or 3)
    values["neurons"] = config.hidden[0] if config.hidden else st.session_state.get(prefix + "neurons",
                                                                                     DEFAULT.hidden[0])
    for i, width in enumerate(config.hidden, start=1):
        values[f"neurons_{i}"] = width
    if config.dataset == "csv":
        values.update(csv_path=config.csv_path, target=config.target, task=config.task)
        st.session_state.pop(prefix + "csv_columns", None)  # read again from the file
    for name, value in values.items():
        st.session_state[prefix + name] = value

