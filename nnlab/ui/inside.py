"""The panel "Inside the network": the first layer's weights (image data sets), every neuron over the
plane (2-D data sets), the weights and gradients per layer — live from the Train page's job, and for a
saved run on the Runs page.

While the run trains and the panel is open, the browser fetches the open tab's view itself from the live
route (ui/live_inside.py: images and numbers; ui/live_chart.live_inside draws them) and nothing reruns;
folded away it costs nothing. Once the run has ended, while its data loads, and where the live route cannot
be reached, the panel is drawn by the page in a fragment (polled while it trains): charts built once per new
snapshot (an epoch, a step) and re-sent as they are in between.
"""
from __future__ import annotations

import weakref

import pandas as pd
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from nnlab.training import inside
from nnlab.training.weight_edit import MAX_WEIGHT

from nnlab.charts import inside as inside_charts
from nnlab.core.errors import UserError
from nnlab.serving.jobs import TrainingJob
from nnlab.verdict.predictions import boundary_points
from nnlab.core.safe_text import markdown
from nnlab.ui import live, live_chart
from nnlab.ui.data_cache import load_data

POLL_SECONDS = max(1.0, live.POLL_SECONDS)  # never faster than once a second
MOST_POINTS = 600  # training points drawn over the prediction: enough to see the shape, cheap to redraw
WEIGHTS, MAPS, STATS = "First layer's weights", "Neurons over the plane", "Weights & gradients"
LOOK_FOR = {
    WEIGHTS: "Each tile is one neuron's weight on every pixel (blue raises its sum, orange lowers it), the "
             "strongest neurons first. Look for strokes and blobs that grow out of the noise as it trains.",
    MAPS: "Each tile is one neuron's output over the plane (blue high, orange low). The first layer can only "
          "draw straight edges; look for how the next layers bend them into the shape of the data.",
    STATS: "First, how strongly the loss pulls on each layer's weights: a gradient that vanishes leaves the first "
           "layers orders of magnitude below the last; one that explodes climbs epoch after epoch. Below, how each "
           "layer's weights spread over the epochs (TensorBoard's bands: the darker, the nearer the median).",
}
_points: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # dataset → points drawn over its prediction
_TABS = {WEIGHTS: "weights", MAPS: "maps", STATS: "stats"}  # each tab's view on the live route (ui/live_inside.TABS)


MOST_CHARTS_KEPT = 24  # chart specs a session keeps (a few hundred KB each at most)
MOST_SAVED_KEPT = 3  # saved runs' snapshots a session keeps


def inside_panel(key: str) -> None:
    """The Train page's panel for the job under session_state[key]: while it trains and is open, its open tab
    fetched by the browser (nothing reruns); polled where the live route cannot be reached."""
    job = st.session_state.get(key)
    if not isinstance(job, TrainingJob):
        return
    box = st.expander("Inside the network", icon=":material/neurology:", key=f"{key}_inside_open", on_change="rerun")
    if not box.open:
        return
    with box:
        if job.dataset is not None and live.fetched_live(job):
            _fetched_views(job, key)
            return
        if not job.done and st.session_state.get(live_chart.failure_key(job.serial)):
            live.route_unreachable()
        st.fragment(_live_views, run_every=POLL_SECONDS if not job.done else None)(key)


def _fetched_views(job: TrainingJob, key: str) -> None:
    """The tabs as `views` draws them; the open one's view fetched and drawn by the browser while the run trains."""
    job.touch()
    dataset = job.dataset
    _open_tab(dataset, f"{key}_inside_{job.serial}", lambda name: live_chart.live_inside(
        job, f"{key}_inside_", _TABS[name], _plane_points(dataset) if name == MAPS else None, dataset.class_names))


def _live_views(key: str) -> None:
    job = st.session_state.get(key)
    if not isinstance(job, TrainingJob) or job.dataset is None:
        st.caption("The views appear once the data is loaded and the first epoch is done.")
        return
    prefix = f"{key}_inside_"
    cache = st.session_state.setdefault("_inside_specs", {})
    for old in [name for name in cache if name.startswith(prefix) and not name.startswith(f"{prefix}{job.serial}_")]:
        del cache[old]  # an earlier run's charts
    if not job.done:
        job.want_inside()  # a worker's run: its views come while someone looks (a polled page too)
    views(job.dataset, job.inside, list(job.layer_stats), f"{prefix}{job.serial}", job)


def views(dataset, snapshot: inside.InsideSnapshot | None, stats: list[dict], key: str,
          job: TrainingJob | None = None) -> None:
    """The tabs that apply to this data set; only the open tab is drawn. With Train's `job`, once it has
    ended, a weight of its network can be set by hand (_weight_editor)."""
    def draw(name: str) -> None:
        if name == STATS:
            _stats(stats, key)
        elif snapshot is None:
            st.caption("Drawn after the first epoch.")
        elif name == WEIGHTS and snapshot.weights is not None:
            _weights(snapshot, key)
        elif name == MAPS and snapshot.maps is not None:
            _maps(snapshot, dataset, key, job)

    _open_tab(dataset, key, draw)


def _open_tab(dataset, key: str, draw) -> None:
    """The tabs that apply to this data set; only the open one is drawn: what to look for, then draw(its name)."""
    names = _tab_names(dataset)
    tabs = st.tabs(names, key=f"{key}_tab", on_change="rerun")
    for name, tab in zip(names, tabs):
        if tab.open is False:
            continue
        with tab:
            st.caption(LOOK_FOR[name])
            draw(name)


def _tab_names(dataset) -> list[str]:
    return [name for name, applies in ((WEIGHTS, dataset.image_shape is not None), (MAPS, inside.is_plane(dataset)),
                                       (STATS, True)) if applies]


def _where(snapshot: inside.InsideSnapshot) -> str:
    where = f"after batch {snapshot.batch} of epoch {snapshot.epoch}" if snapshot.batch else f"after epoch {snapshot.epoch}"
    edited = len(snapshot.edits)
    return where + (f", with {edited} weight{'s' if edited > 1 else ''} set by hand" if edited else "")


def _weights(snapshot: inside.InsideSnapshot, key: str) -> None:
    weights = snapshot.weights
    shown = len(weights.neurons)
    st.caption(f"{shown} of {weights.units} neurons of {weights.layer}, strongest first (the L2 norm of their "
               f"weights), {_where(snapshot)}; each tile on its own scale.")
    _chart(f"{key}_weights", (snapshot.epoch, snapshot.batch), lambda: inside_charts.weights_grid_chart(weights))


def _maps(snapshot: inside.InsideSnapshot, dataset, key: str, job: TrainingJob | None = None) -> None:
    maps = snapshot.maps
    st.caption(f"Every hidden neuron's output {_where(snapshot)}, a row per layer under the inputs' row (each input on "
               f"its own scale), each layer on one scale around 0 (at most {inside_charts.MOST_MAPS} neurons a layer); "
               "below, what the network predicts.")
    version = (snapshot.epoch, snapshot.batch, snapshot.edits)
    if maps.layers or maps.inputs:
        _chart(f"{key}_maps", version, lambda: inside_charts.neuron_maps_chart(maps), stretch=False)
    st.caption(inside_charts.NETWORK_CAPTION if maps.kernels else inside_charts.TOO_MANY_LINKS)
    if maps.kernels:
        _chart(f"{key}_network", version, lambda: inside_charts.network_chart(maps, dataset.class_names), stretch=False)
        if job is not None and job.model_kept:
            _weight_editor(job, snapshot, dataset, key)
    _chart(f"{key}_prediction", version,
           lambda: inside_charts.prediction_chart(maps, _plane_points(dataset), dataset.class_names))


def _weight_editor(job: TrainingJob, snapshot: inside.InsideSnapshot, dataset, key: str) -> None:
    """Playground's edit of a link, once the run has ended: one weight set by hand (a number within
    ±MAX_WEIGHT), on a copy of the trained model; the maps and the prediction over the plane are drawn again
    from it. The click acts in its callback (a click cut short by another rerun is not lost); what went wrong
    is said from the session."""
    maps = snapshot.maps
    names = inside_charts.node_names(maps, dataset.class_names)
    links = [(x, layer, i, j) for x, (layer, kernel) in enumerate(maps.kernels)
             for i in range(kernel.shape[0]) for j in range(kernel.shape[1])]
    words = [f"{names[x][i]} → {names[x + 1][j]}" for x, _, i, j in links]
    with st.expander("Set a weight by hand", icon=":material/edit:"):
        choice = st.selectbox("Link", range(len(links)), key=f"{key}_edit_link", format_func=words.__getitem__)
        x, layer, i, j = links[choice]
        field = f"{key}_edit_value_{choice}_{job.inside_version}"  # a new field, with the weight as it is now
        st.number_input("Its weight", min_value=-MAX_WEIGHT, max_value=MAX_WEIGHT, value=float(maps.kernels[x][1][i, j]),
                        step=0.1, format="%.4f", key=field)
        left, right = st.columns(2)
        left.button("Set this weight", key=f"{key}_edit_set", on_click=_set_weight, args=(job, layer, i, j, field, key),
                    width="stretch")
        right.button("Put back the trained weights", key=f"{key}_edit_reset", disabled=not snapshot.edits,
                     on_click=job.put_back_weights, width="stretch")
        problem = st.session_state.get(f"{key}_edit_error")
        if problem:
            st.error(problem)
        for changed, trained, now in _edits_named(snapshot.edits, names, maps):
            st.caption(f"{markdown(changed)}: {trained:.4g} trained, {now:.4g} now")  # a CSV's class names are typed
        st.caption("Only these pictures change: the run's saved model, its test figures and its downloads keep the "
                   "weights it learned.")


def _edits_named(edits: tuple, names: list[list[str]], maps) -> list[tuple[str, float, float]]:
    """Each weight set by hand as (its link in words, its trained value, the value set)."""
    column_of = {layer: x for x, (layer, _) in enumerate(maps.kernels)}
    return [(f"{names[column_of[layer]][row]} → {names[column_of[layer] + 1][column]}", trained, now)
            for (layer, row, column), (trained, now) in edits if layer in column_of]


def _set_weight(job: TrainingJob, layer: str, row: int, column: int, field: str, key: str) -> None:
    try:
        job.edit_weight(layer, row, column, st.session_state.get(field))
        st.session_state.pop(f"{key}_edit_error", None)
    except UserError as error:
        st.session_state[f"{key}_edit_error"] = str(error)


def _plane_points(dataset):
    points = _points.get(dataset)
    if points is None:
        points = boundary_points(dataset)
        points = points.groupby("split", sort=False).head(MOST_POINTS)  # each split already shuffled
        _points[dataset] = points
    return points


def _stats(stats: list[dict], key: str) -> None:
    if not stats:
        st.caption("Recorded at the end of every epoch: they appear after the first (runs saved before this "
                   "view existed have none).")
        return
    layers = inside.layer_order(stats)
    version = (len(stats),)
    ratio = inside.vanishing_ratio(stats)
    if ratio is not None:
        st.caption(f"Last epoch: the first layer's gradient is {ratio:.2g} × the output layer's.")
    _chart(f"{key}_grad", version, lambda: inside_charts.gradient_norm_chart(inside.gradient_norms(stats), layers))
    _chart(f"{key}_bands", version, lambda: inside_charts.weight_distribution_chart(inside.weight_bands(stats), layers),
           stretch=False)


def _chart(key: str, version: tuple, build, stretch: bool = True) -> None:
    """A chart built again only when its snapshot changed; polls in between send the same spec. Its data
    sets are kept as the Arrow bytes Streamlit sends: converted from rows at every call, they cost a poll
    without news 20–40 ms (rows → pandas → Arrow); as bytes they pass through."""
    cache = st.session_state.setdefault("_inside_specs", {})
    if cache.get(key, (None,))[0] != version:
        while len(cache) >= MOST_CHARTS_KEPT:  # saved runs opened one after another: keep the latest
            del cache[next(iter(cache))]
        spec = build()
        spec["datasets"] = {name: convert_anything_to_arrow_bytes(pd.DataFrame(rows)) for name, rows in spec["datasets"].items()}
        cache[key] = (version, spec)
    st.vega_lite_chart(spec=cache[key][1], width="stretch" if stretch else "content", key=key)


def saved_run_panel(store, run) -> None:
    """The same views for a saved run: its layer statistics at once, its model's weights and maps only
    when the visitor asks (loading a model takes a few seconds)."""
    box = st.expander("Inside the network", icon=":material/neurology:", key=f"runs_inside_{run.id}", on_change="rerun")
    if not box.open:
        return
    with box:
        try:
            dataset = load_data(run.config)
        except UserError as error:
            st.warning(f"The data of this run cannot be loaded: {markdown(str(error))}")
            _stats(run.layer_stats, f"runs_inside_{run.id}")
            return
        snapshots = st.session_state.setdefault("_inside_saved", {})
        snapshot = snapshots.get((run.id, run.updated))
        needs_model = dataset.image_shape is not None or inside.is_plane(dataset)
        if needs_model and snapshot is None:
            if store.has_model(run.id):
                if st.button("Load the trained model", key=f"runs_inside_load_{run.id}", icon=":material/download:",
                             help="Reads the saved network to draw its weights and neurons."):
                    snapshot = _saved_snapshot(store, run, dataset)
                    if snapshot is not None:
                        while len(snapshots) >= MOST_SAVED_KEPT:
                            del snapshots[next(iter(snapshots))]
                        snapshots[(run.id, run.updated)] = snapshot
            else:
                st.caption("This run's trained model was not kept: only its statistics are shown.")
        views(dataset, snapshot, run.layer_stats, f"runs_inside_{run.id}")


def _saved_snapshot(store, run, dataset) -> inside.InsideSnapshot | None:
    try:
        blob = store.model_bytes(run.id)
        if not blob:
            raise UserError("this run's trained model was not kept")
        model = inside.load_model_bytes(blob)
        return inside.snapshot(model, dataset, epoch=len(run.history))
    except UserError as error:
        st.warning(markdown(str(error)))
    except Exception as error:  # a model that does not fit its data (e.g. a CSV changed since): say so, go on
        st.warning(f"This run's model does not fit its data set any more ({type(error).__name__}).")
    return None
