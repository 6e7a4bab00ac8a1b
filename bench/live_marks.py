"""What marking the rates set by hand costs each live answer (issue 28): a run's marks read afresh from its
whole history (config/rate_marks.change_marks) against the live route's way, each run's history read once as it
grows (config/rate_marks.RateMarks, kept per run by serving/live_answer.rate_marks_of), side by side in one
run, alternated, on a 1,000-epoch history with a learning rate and an L2 penalty set by hand.

    python bench/live_marks.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nnlab.config.rate_marks import RateMarks, change_marks  # noqa: E402
from nnlab.config.run_config import RunConfig  # noqa: E402

EPOCHS, ANSWERS, ROUNDS = 1000, 50, 6  # the last ANSWERS epochs told one answer each, ROUNDS times each way


def main() -> None:
    config = RunConfig(dataset="spiral", epochs=EPOCHS, lr_schedule="cosine")
    history = [{"epoch": e, "loss": 1 / e, "learning_rate": 0.001 if e < 300 else 0.01, "l1": 0.0,
                "l2": 0.0 if e < 500 else 0.01} for e in range(1, EPOCHS + 1)]
    afresh, grown = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for told in range(EPOCHS - ANSWERS, EPOCHS):
            change_marks(config, history[:told])
        afresh.append((time.perf_counter() - start) / ANSWERS)
        marks = RateMarks(config)
        marks.upto(history, EPOCHS - ANSWERS)  # the answers before: read once already
        start = time.perf_counter()
        for told in range(EPOCHS - ANSWERS, EPOCHS):
            marks.upto(history, told)
        grown.append((time.perf_counter() - start) / ANSWERS)
    a, g = statistics.median(afresh), statistics.median(grown)
    print(f"per answer at epoch ≈{EPOCHS}: read afresh {a * 1e3:.3f} ms, read as it grows {g * 1e3:.3f} ms "
          f"({a / g:.0f}× less)")


if __name__ == "__main__":
    main()
