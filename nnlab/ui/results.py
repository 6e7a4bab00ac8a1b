"""After training: the status, the verdict with remedies as buttons, test figures, what the model
does on the test set (decision boundary, samples, confusion matrix), and downloads."""
from __future__ import annotations

import dataclasses
import math

import streamlit as st

from nnlab.charts import training as charts
from nnlab.config.run_config import RunConfig
from nnlab.verdict.diagnose import KINDS, Verdict, diagnose_saved, remedies
from nnlab.core.safe_text import markdown
from nnlab.core.status import Status
from nnlab.config.settings import SETTINGS
from nnlab.ui.controls import fixed_settings, request_settings
from nnlab.ui.downloads import downloads

STATUS_ICONS = {k: f":material/{v}:" for k, v in {
    Status.COMPLETED: "check_circle", Status.EARLY_STOPPED: "stop_circle", Status.STOPPED: "pan_tool",
    Status.DIVERGED: "warning", Status.FAILED: "error", Status.RUNNING: "hourglass_top", Status.QUEUED: "schedule",
    Status.INTERRUPTED: "content_cut", Status.ABANDONED: "timer_off"}.items()}
VERDICT_ICONS = {k: f":material/{v}:" for k, v in {
    "overfitting": "trending_up", "underfitting": "trending_flat", "still_improving": "fast_forward",
    "good_fit": "target", "diverged": "warning", "no_data": "more_horiz"}.items()}


def saved_verdict(run) -> Verdict | None:
    """A saved run's verdict made again (cheap: a few arrays), so every page says what Train said,
    with next steps even for runs saved before there were any; None without a history."""
    if run.history is None or run.history.empty:
        return None
    return diagnose_saved(run.history, config=run.config, task=run.task, recorded=run.verdict)


def verdict_panel(verdict, config: RunConfig, *, apply_prefix: str | None = "", key: str = "",
                  go_to: str | None = None) -> None:
    """The verdict's kind and its findings with their numbers, this run's next steps as buttons that
    put the changed settings into the controls (with `go_to`, a page key: the Train page's controls,
    then that page), and the lecture's remedies marked where already in use."""
    kind = verdict.kind
    with st.container(border=True):
        st.subheader(f"{VERDICT_ICONS.get(kind, '')} {KINDS[kind]}")
        for finding in verdict.findings or []:
            (st.markdown if finding.kind != "reference" else st.caption)(finding.text)
        if not verdict.findings:
            st.write(verdict.explanation)
        facts = []
        if verdict.best_epoch:
            facts.append(f"best validation epoch **{verdict.best_epoch}**")
        if verdict.evidence.get("onset_epoch"):
            facts.append(f"overfitting since epoch **{verdict.evidence['onset_epoch']}**")
        if verdict.gap is not None and math.isfinite(verdict.gap):
            facts.append(f"generalization gap **{verdict.gap * 100:.1f} pt**" if verdict.gap_metric == "accuracy"
                         else f"generalization gap **{verdict.gap:.3g}** (loss)")
        if facts:
            st.markdown(" · ".join(facts))
        steps = verdict.next_steps or remedies(kind, config)
        fixed = fixed_settings()
        locked = [step for step in steps if fixed.keys() & step.changes.keys()]
        steps = [step for step in steps if step not in locked]  # a teacher's link fixes what they would change
        if locked and apply_prefix is not None:
            names = sorted(SETTINGS[name].label if name in SETTINGS else name
                           for name in fixed.keys() & {key for step in locked for key in step.changes})
            st.caption(f"Your teacher's link fixes {', '.join(names)}: "
                       f"{len(locked)} suggestion{'s' if len(locked) > 1 else ''} that would change it "
                       f"{'are' if len(locked) > 1 else 'is'} left out.")
        if steps and apply_prefix is not None:
            st.markdown("**New run from this one with**, best first — a click opens the Train page with the change:"
                        if go_to else "**Try next**, best first — a click puts the change into the settings; then press Train:")
            cols = st.columns(min(3, len(steps)))
            for i, step in enumerate(steps[:6]):
                changed = dataclasses.replace(config, **step.changes)
                if go_to is None:
                    cols[i % len(cols)].button(step.text, key=f"remedy_{key}{apply_prefix}{i}", width="stretch",
                                               on_click=request_settings, args=(changed, apply_prefix))
                elif cols[i % len(cols)].button(step.text, key=f"remedy_{key}{i}", width="stretch"):
                    request_settings(changed, apply_prefix, open_page=go_to)
        with st.expander("The lecture's remedies"):
            for item in verdict.lecture or [{"text": text, "in_use": False} for text in verdict.remedies]:
                st.markdown(f"- {item['text']}" + (" — *this run already does this*" if item["in_use"] else ""))


def test_tiles(test: dict, task: str) -> None:
    cols = st.columns(4)
    cols[0].metric("Test loss", f"{test['loss']:.4g}" if test.get("loss") is not None else "–")
    if task == "classification":
        cols[1].metric("Test accuracy", f"{test['accuracy']:.2%}" if test.get("accuracy") is not None else "–")
    else:
        cols[1].metric("Test mean absolute error", f"{test['mae']:.4g}" if test.get("mae") is not None else "–")


def results_panel(job) -> None:
    """Everything after a run: status, verdict with remedies, test figures, what the model does
    on the test set, and downloads."""
    from nnlab.verdict import predictions

    result = job.result
    if result is None:
        if job.status != Status.FAILED:  # failures are shown by the live panel
            st.info(f"{STATUS_ICONS.get(job.status, '')} {markdown(job.message)}")
        return
    # The job's word on how it ended (e.g. "the model was not kept", "not saved"), unless it failed to
    # save: the live panel shows that failure in red, and here the training's own ending.
    status, message = (result.status, result.message) if job.status == Status.FAILED else (job.status, job.message)
    box = {Status.COMPLETED: st.success, Status.EARLY_STOPPED: st.info, Status.STOPPED: st.info}.get(status, st.warning)
    if result.verdict.kind == "diverged":  # finished all epochs, yet nothing was learned: not a success
        box = st.error
    box(f"{STATUS_ICONS.get(status, '')} {markdown(message or result.message)}")
    verdict_panel(result.verdict, result.config)
    if not result.history:
        return
    test_tiles(result.test, result.task)
    dataset, outcome = job.dataset, job.predictions
    tabs = ["Test samples", "Confusion matrix"] if result.task == "classification" else ["Predicted vs true"]
    if outcome is not None and outcome.grid is not None:
        tabs.insert(0, "Decision boundary")
    tabs.append("Downloads")
    for name, tab in zip(tabs, st.tabs(tabs)):
        with tab:
            if name == "Decision boundary":
                left, right = st.columns(2)
                show_test = left.toggle("Show test data", value=True, key="boundary_show_test")
                discrete = right.toggle("Discretize output", value=False, key="boundary_discretize",
                                        help="Each point of the plane in the colour of the class the network "
                                             "picks there, instead of shades of its probability.")
                points = predictions.boundary_points(dataset)
                points = points if show_test else points[points["split"] == "train"]
                st.altair_chart(charts.boundary_chart(outcome.grid, points, result.task, dataset.class_names,
                                                      discretize=discrete), width="stretch")
                st.caption("Background: what the network predicts everywhere in the plane. Circles: training "
                           "points" + (", triangles: test points" if show_test else "") + ", as in TensorFlow Playground.")
            elif name == "Test samples":
                sample_table(dataset, outcome.outputs)
            elif name == "Confusion matrix":
                st.altair_chart(charts.confusion_chart(predictions.confusion(dataset, outcome.outputs)), width="stretch")
                st.caption("Rows: the true class. Columns: what the network said. The diagonal is right.")
            elif name == "Predicted vs true":
                st.altair_chart(charts.prediction_chart(predictions.regression_points(dataset, outcome.outputs)),
                                width="stretch")
            else:
                downloads(job)


def sample_table(dataset, outputs) -> None:
    from nnlab.verdict import predictions

    table = predictions.samples(dataset, outputs)
    wrong = int((~table["correct"]).sum())
    st.markdown(f"Misclassified test examples first ({wrong} shown), then the least confident correct ones.")
    table["what the network says"] = [predictions.prediction_sentence(row) for _, row in table.iterrows()]
    config = {
        "probabilities": st.column_config.BarChartColumn(
            "softmax probabilities", y_min=0.0, y_max=1.0,
            help=f"One bar per class: {', '.join(dataset.class_names)}"),
        "confidence": st.column_config.ProgressColumn("confidence", min_value=0.0, max_value=1.0, format="percent"),
    }
    if "image" in table:
        config["image"] = st.column_config.ImageColumn("image", width="small")
    columns = [c for c in ("image", "what the network says", "top guesses", "confidence", "probabilities", "true", "predicted")
               if c in table]  # the bars have no labels: the top guesses name their classes
    st.dataframe(table[columns], column_config=config, hide_index=True, width="stretch",
                 row_height=60 if "image" in table else None)


