"""Groups of seeds on the pages: the "Repeat with N seeds" control, starting a group (one request: its
runs take turns in one slot, as a race's), and a finished group's results — tiles as mean ± spread, the
mean curves in their band, the verdict of the mean curves (saying when the seeds disagree), each seed's
figures — and the words on whether a difference is bigger than the seeds' spread (Compare, Race).
The arithmetic is verdict/seeds.py's; the grouping store/groups.py's.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from nnlab.charts.seeds import band_charts
from nnlab.config.run_config import RunConfig
from nnlab.core.safe_text import markdown
from nnlab.core.tasks import metric_name
from nnlab.core.errors import UserError
from nnlab.serving.jobs import SeedsJob, seed_jobs
from nnlab.serving.live_token import MAX_RUNS
from nnlab.store.groups import PREFIX, RunGroup
from nnlab.store.names import run_name
from nnlab.store.runs import best_epoch
from nnlab.verdict.diagnose import KINDS
from nnlab.verdict.seeds import MAX_SEEDS, Spread, band_frame, difference, group_verdict, spread_of_tests
from nnlab.ui import live
from nnlab.ui.results import VERDICT_ICONS, verdict_panel


def seeds_control(container, key: str, label: str = "Repeat with N seeds") -> int:
    """How many seeds to train these settings with: 1 is one run."""
    return int(container.number_input(
        label, min_value=1, max_value=MAX_SEEDS, step=1, key=key, **({} if key in st.session_state else {"value": 1}),
        help=f"1 = one run. 2–{MAX_SEEDS}: the same settings trained with this many seeds (the settings' seed and "
             "the next ones), taking turns in one slot, kept as one group: the mean and spread show how much "
             "chance alone moves the result, before you trust a difference."))


def new_group_job(config: RunConfig, count: int, label: str = "", tag: dict | None = None) -> SeedsJob:
    """A group of `count` seeds of `config`, each run saved in this visitor's store as one of the group
    (named as a run is, unless named), and tagged with `tag` too (a class's "not shared")."""
    label = label or run_name(config)
    return SeedsJob(config, count, lambda config, label, extra: live.new_job(config, label, extra={**(tag or {}), **extra}),
                    label=label)


def groups_of_runs(settings: list[tuple[RunConfig, str]], count: int) -> tuple[list, list[tuple[str, list[int]]]]:
    """A race's or sweep's runs with `count` seeds for each of its settings (config, label), each setting's
    runs kept as a group: (every run, in order; each setting's group key (Compare's) and its runs by their
    place). One live chart
    draws them all, so they are at most live_token.MAX_RUNS."""
    if len(settings) * count > MAX_RUNS:
        raise UserError(f"{len(settings)} settings × {count} seeds is {len(settings) * count} runs; with seeds a race or "
                        f"sweep trains at most {MAX_RUNS} runs (one live chart draws them): use fewer seeds or settings.")
    jobs, places = [], []
    for config, label in settings:
        group_id, group = seed_jobs(config, count, lambda config, label, extra: live.new_job(config, label, extra=extra),
                                    label)
        places.append((PREFIX + group_id, list(range(len(jobs), len(jobs) + count))))
        jobs += group
    return jobs, places


def failed_runs(jobs: list) -> None:
    """The runs of a finished group that ended without a result, each with why (the others are its figures)."""
    for job in jobs:
        if job.result is None:
            st.error(f"{markdown(job.label)}: {markdown(job.message)}")


def returning_group(key: str) -> SeedsJob | None:
    """The visitor's group of seeds still training that a closed or reloaded tab left (ui/live.returning_run)."""
    return live.returning_run(key, SeedsJob)


@dataclass
class Seeds:
    """A group's runs as the panels need them: from a finished SeedsJob or from the store."""

    name: str
    config: RunConfig
    task: str
    seeds: list[int]
    histories: list = field(default_factory=list)
    tests: list[dict] = field(default_factory=list)
    verdicts: list[dict] = field(default_factory=list)  # as recorded: their evidence holds chance and baseline
    statuses: list[str] = field(default_factory=list)

    @classmethod
    def of_jobs(cls, jobs: list, name: str, config: RunConfig) -> Seeds:
        """The runs of a group that finished with epochs (a SeedsJob's, or one setting's of a race or sweep)."""
        done = [run for run in jobs if run.result is not None and run.history]
        task = done[0].result.task if done else "classification"
        return cls(name, config, task, [run.config.seed for run in done],
                   [list(run.history) for run in done], [run.result.test for run in done],
                   [run.result.verdict.to_dict() for run in done], [str(run.status) for run in done])

    @classmethod
    def of_group(cls, group: RunGroup, name: str = "") -> Seeds:
        runs = [run for run in group.runs if run.history is not None and not run.history.empty]
        return cls(name or group.label, group.config, group.task, [run.config.seed for run in runs],
                   [run.history for run in runs], [run.test for run in runs], [run.verdict for run in runs],
                   [str(run.status) for run in runs])

    @classmethod
    def of_run(cls, run, name: str) -> Seeds:
        """A lone run as a group of one (its band is its line; it has no spread)."""
        kept = run.history is not None and not run.history.empty
        return cls(name, run.config, run.task, [run.config.seed], [run.history] if kept else [],
                   [run.test] if kept else [], [run.verdict] if kept else [], [str(run.status)] if kept else [])

    def verdict(self):
        return group_verdict(self.histories, config=self.config, task=self.task, recorded=self.verdicts)

    def figures(self, column: dict) -> dict:
        """A column of Compare's results table (store/table.results_frame) with this group's figures:
        the mean ± spread of its seeds, the verdict of its mean curves."""
        percent = self.metric == "accuracy"
        judged = self.verdict()
        statuses = set(self.statuses)
        frames = [pd.DataFrame(history) for history in self.histories]
        bests = [best_epoch(frame, self.metric) for frame in frames]
        return {**column, "status": statuses.pop() if len(statuses) == 1 else "mixed",
                "epochs run": Spread.of(len(frame) for frame in frames).text(False),
                f"best val {self.metric}": Spread.of(best[1] for best in bests if best).text(percent),
                "best epoch": Spread.of(best[0] for best in bests if best).text(False),
                "training time": f"{Spread.of(frame['seconds'].sum() for frame in frames if 'seconds' in frame).mean:.1f} s "
                                 "(mean)",
                f"test {self.metric}": self.spread().text(percent), "test loss": self.spread("loss").text(False),
                "verdict": judged.verdict.title + ("" if judged.agree else " (the seeds disagree)")}

    @property
    def metric(self) -> str:
        return metric_name(self.task)

    def spread(self, figure: str | None = None) -> Spread:
        return spread_of_tests(self.tests).get(figure or self.metric, Spread(()))

    def bands(self, name: str | None = None) -> pd.DataFrame:
        return band_frame(self.histories, self.name if name is None else name)


def group_results(group: Seeds, key: str) -> None:
    """A finished group: tiles as mean ± spread, its mean curves in their band, the verdict of the mean
    curves (and where the seeds disagree), each seed's figures."""
    if not group.histories:
        st.info("No run of this group trained an epoch: nothing to show yet.")
        return
    count = len(group.histories)
    percent = group.metric == "accuracy"
    spread, loss = group.spread(), group.spread("loss")
    tiles = st.container(horizontal=True)
    tiles.metric(f"Test {group.metric}", spread.text(percent), border=True,
                 help=f"Mean ± 1 standard deviation over {count} seeds.")
    tiles.metric("Range over the seeds", _range(spread, percent), border=True,
                 help="The lowest and the highest seed's figure: how far chance alone moved it.")
    tiles.metric("Test loss", loss.text(False), border=True, help=f"Mean ± 1 standard deviation over {count} seeds.")
    st.caption(f"{count} seeds ({', '.join(map(str, group.seeds))}): the same settings, each run kept in Runs as "
               "one group. Lines: the mean of the seeds; band: from the lowest to the highest seed (min–max).")
    for column, chart in zip(st.columns(2), band_charts(group.bands(), group.task)):
        column.altair_chart(chart, width="stretch")
    judged = group.verdict()
    if judged.agree:
        st.success(markdown(judged.text), icon=":material/groups:")
    else:
        st.warning(markdown(judged.text), icon=":material/call_split:")
    verdict_panel(judged.verdict, group.config, key=f"{key}seeds_", go_to="train")
    fmt = (lambda v: f"{v:.2%}") if percent else (lambda v: f"{v:.4g}")  # noqa: E731
    st.dataframe(pd.DataFrame({
        "seed": group.seeds, "status": group.statuses,
        f"test {group.metric}": [fmt(test[group.metric]) if test.get(group.metric) is not None else "–"
                                 for test in group.tests],
        "verdict": [f"{VERDICT_ICONS.get(kind, '')} {KINDS.get(kind, '–')}" for kind in judged.kinds]}),
        hide_index=True, width="stretch")


def _range(spread: Spread, percent: bool) -> str:
    if not spread.n:
        return "–"
    show = (lambda v: f"{v:.1%}".replace("%", " %")) if percent else (lambda v: f"{v:.4g}")  # noqa: E731
    return f"{show(spread.low)} – {show(spread.high)}"


def is_it_real(groups: list[Seeds], figure: str | None = None) -> list[str]:
    """Each group against the first, in words: is the difference bigger than the seeds' spread?"""
    if len(groups) < 2:
        return []
    first = groups[0]
    figure = figure or first.metric
    return [difference(first.name, first.spread(figure), other.name, other.spread(figure), figure).words
            for other in groups[1:] if other.metric == first.metric]


def groups_results(groups: list[Seeds], key: str) -> None:
    """A race's settings, each trained with several seeds: the difference in words, the mean curves in
    their bands, each setting's mean ± spread, and the verdict of each one's mean curves."""
    groups = [group for group in groups if group.histories]
    if not groups:
        return
    words_panel(groups)
    st.caption("One colour per setting; training solid, validation dashed. Lines: the mean of the seeds; band: "
               "from the lowest to the highest seed (min–max).")
    for column, chart in zip(st.columns(2), band_charts(pd.concat([group.bands() for group in groups]), groups[0].task)):
        column.altair_chart(chart, width="stretch")
    judged = [group.verdict() for group in groups]
    metric = groups[0].metric
    st.dataframe(pd.DataFrame({
        "setting": [group.name for group in groups], "seeds": [len(group.histories) for group in groups],
        f"test {metric} (mean ± sd)": [group.spread().text(metric == "accuracy") for group in groups],
        "lowest – highest": [_range(group.spread(), metric == "accuracy") for group in groups],
        "verdict of the mean curves": [f"{verdict.verdict.title}" + ("" if verdict.agree else " (the seeds disagree)")
                                       for verdict in judged]}), hide_index=True, width="stretch")
    for i, (group, verdict, tab) in enumerate(zip(groups, judged, st.tabs([f"Verdict of {markdown(group.name.split(':')[0])}"
                                                                           for group in groups]))):
        with tab:
            (st.caption if verdict.agree else st.warning)(markdown(verdict.text))
            verdict_panel(verdict.verdict, group.config, key=f"{key}{i}_", go_to="train")


def words_panel(groups: list[Seeds]) -> None:
    lines = is_it_real(groups)
    if lines:
        st.markdown("**Is the difference real?** " + " ".join(markdown(line) for line in lines))
