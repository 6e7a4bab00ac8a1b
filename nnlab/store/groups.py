"""Groups of runs: the same settings trained with several seeds, kept as one group.

Each run of a group is an ordinary run of the store (its own row, epochs and model) whose `extra`
names its group — an id, the group's name, its size and the run's place in it — as a search's trials
carry their study. So a group needs no table of its own, every database the store supports keeps it,
and deleting a run leaves the rest of its group a smaller group. Lists show a group as one row that
unfolds into its runs (the Runs page); Compare, the CLI and the verdict take its runs together
(verdict/seeds.py holds the arithmetic of the spread).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from nnlab.core.errors import UserError
from nnlab.store.record import Run
from nnlab.store.runs import RunStore
from nnlab.verdict.seeds import MAX_SEEDS, MIN_SEEDS, GroupVerdict, Spread, group_verdict, spread_of_tests

GROUP, GROUP_LABEL, GROUP_SIZE, GROUP_INDEX = "group", "group_label", "group_size", "group_index"
GROUP_ID = re.compile(r"g-[0-9a-f]{12}")
PREFIX = "group:"  # a group's key where runs and groups are listed together (Runs' table, Compare's pick)


def new_group_id() -> str:
    return f"g-{secrets.token_hex(6)}"


def group_extra(group_id: str, label: str, size: int, index: int) -> dict:
    """What `RunStore.create(extra=…)` records for the run at `index` of a group of `size`."""
    if not GROUP_ID.fullmatch(group_id):
        raise ValueError(f"not a group id: {group_id!r}")
    return {GROUP: group_id, GROUP_LABEL: str(label)[:120], GROUP_SIZE: int(size), GROUP_INDEX: int(index)}


def group_of(run: Run) -> str | None:
    """The id of the group a run belongs to, or None (a lone run, or a group tag that is not nnlab's)."""
    found = run.extra.get(GROUP)
    size = run.extra.get(GROUP_SIZE)
    if isinstance(found, str) and GROUP_ID.fullmatch(found) and isinstance(size, int) and MIN_SEEDS <= size <= MAX_SEEDS:
        return found
    return None


@dataclass
class RunGroup:
    """The runs of one group, in the order they were trained (their seeds rising)."""

    id: str
    runs: list[Run]

    @property
    def key(self) -> str:
        return PREFIX + self.id

    @property
    def label(self) -> str:
        return str(self.runs[0].extra.get(GROUP_LABEL) or "") if self.runs else ""

    @property
    def size(self) -> int:
        """How many runs the group was made of (some may have been deleted since)."""
        return max((run.extra.get(GROUP_SIZE, 0) for run in self.runs), default=0)

    @property
    def seeds(self) -> list[int]:
        return [run.config.seed for run in self.runs]

    @property
    def config(self):
        """The group's settings: its first run's (the others differ in their seed only)."""
        return self.runs[0].config

    @property
    def task(self) -> str:
        return self.runs[0].task

    @property
    def metric(self) -> str:
        return self.runs[0].metric

    @property
    def created(self) -> str:
        return min(run.created for run in self.runs)

    def seeds_text(self) -> str:
        seeds = sorted(self.seeds)
        consecutive = seeds == list(range(seeds[0], seeds[0] + len(seeds)))
        shown = f"{seeds[0]}…{seeds[-1]}" if consecutive and len(seeds) > 2 else ", ".join(map(str, seeds))
        return f"{len(seeds)} seeds ({shown})"

    def test_spread(self, figure: str | None = None) -> Spread:
        """A test figure (the task's metric unless named) over the runs that finished with one."""
        return spread_of_tests([run.test for run in self.runs]).get(figure or self.metric, Spread(()))

    def verdict(self) -> GroupVerdict:
        """Judged on the mean curves (the runs must be loaded, with their histories)."""
        return group_verdict([run.history for run in self.runs], config=self.config, task=self.task,
                             recorded=[run.verdict for run in self.runs])


def groups_of(runs: list[Run]) -> tuple[list[RunGroup], list[Run]]:
    """The groups among `runs` (each in the place of its newest run, its runs oldest first) and the lone runs."""
    members: dict[str, list[Run]] = {}
    alone = []
    for run in runs:
        group = group_of(run)
        if group is None:
            alone.append(run)
        else:
            members.setdefault(group, []).append(run)
    groups = [RunGroup(group, sorted(found, key=lambda run: (run.extra.get(GROUP_INDEX, 0), run.created)))
              for group, found in members.items()]
    return groups, alone


def load_group(store: RunStore, group_id: str) -> RunGroup:
    """A group's runs with their histories; a UserError if none of them is left."""
    if not GROUP_ID.fullmatch(str(group_id)):
        raise UserError(f"{str(group_id)[:40]!r} is not a group of runs")
    listed, _ = store.list()
    ids = [run.id for run in listed if group_of(run) == group_id]
    if not ids:
        raise UserError("this group of runs no longer exists (deleted?)")
    return groups_of([store.load(run_id) for run_id in ids])[0][0]


def delete_group(store: RunStore, group_id: str) -> int:
    """Delete every run of a group; how many there were."""
    listed, _ = store.list()
    doomed = [run.id for run in listed if group_of(run) == group_id]
    for run_id in doomed:
        store.delete(run_id)
    return len(doomed)
