"""The states a run goes through, named once (pages, the store, jobs and the CLI share them)."""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A StrEnum: equal to its plain string, so JSON files and older runs keep working."""

    QUEUED = "queued"  # waiting for a free training slot
    RUNNING = "running"
    COMPLETED = "completed"  # every epoch trained
    EARLY_STOPPED = "early_stopped"  # early stopping ended it; the best epoch's weights were restored
    STOPPED = "stopped"  # the user pressed Stop
    DIVERGED = "diverged"  # the loss became infinite or not a number
    FAILED = "failed"  # an error ended it (a bad file, a full disk); the message says which
    INTERRUPTED = "interrupted"  # its process died mid-training (no heartbeat); the completed epochs are kept
    ABANDONED = "abandoned"  # nobody watched it any more (the page was closed); stopped, epochs kept
    PRUNED = "pruned"  # a search cut it early: its validation figure trailed earlier trials'; epochs kept


# A run in one of these states will not change again.
FINISHED = frozenset({Status.COMPLETED, Status.EARLY_STOPPED, Status.STOPPED, Status.DIVERGED, Status.FAILED,
                      Status.INTERRUPTED, Status.ABANDONED, Status.PRUNED})
