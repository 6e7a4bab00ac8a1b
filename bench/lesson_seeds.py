"""Every one-click lesson trained on its own seed and the next two, as tests/test_lessons.py and
tests/test_race_lessons.py train them: a Markdown table of lesson × seed → the figures its card speaks of
(test accuracy, validation accuracy after the first or last epoch, the vanishing ratio, the verdict), each
with the card's bound and whether it holds. Printed, not asserted (the tests assert).

    python bench/lesson_seeds.py          # ≈3 minutes of 2 cores' work on this machine kind
    python bench/lesson_seeds.py overfitting vanishing   # some lessons only (Train presets or races, by key)
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nnlab.lessons.presets import PRESETS, RACES  # noqa: E402
from nnlab.training import inside  # noqa: E402
from tests.lesson_promises import SEEDS, broken_promises, trained  # noqa: E402

FIGURES = ("test_accuracy", "first_val_accuracy", "last_val_accuracy", "vanishing_ratio")


def _figures(promise, dataset, trainer, result) -> list[str]:
    first, last = result.history[0], result.history[-1]
    values = {"test_accuracy": result.test.get("accuracy"), "first_val_accuracy": first.get("val_accuracy"),
              "last_val_accuracy": last.get("val_accuracy"), "vanishing_ratio": inside.vanishing_ratio(trainer.layer_stats)}
    said = []
    for name in FIGURES:
        bound = getattr(promise, name)
        if bound is not None:
            value = values[name]
            shown = f"{value:.3g}" if name == "vanishing_ratio" else f"{value * 100:.1f} %"
            said.append(f"{name.replace('_', ' ')} {shown} ({bound})")
    if promise.verdicts:
        said.append(f"verdict {result.verdict.kind} ({'/'.join(sorted(promise.verdicts))})")
    return said


def _row(lesson: str, run: str, config, promise) -> tuple[str, bool]:
    dataset, trainer, result = trained(config)
    broken = broken_promises(promise, config, dataset, trainer, result)
    figures = "; ".join(_figures(promise, dataset, trainer, result)) or "no figure promised"
    return f"| {lesson} | {run} | {config.seed} | {figures} | {'kept' if not broken else 'BROKEN: ' + '; '.join(broken)} |", \
        not broken


def main(keys: list[str]) -> None:
    started, kept, total = time.perf_counter(), 0, 0
    print("| lesson | run | seed | figures (the card's bound) | promise |")
    print("| --- | --- | --- | --- | --- |")
    for key, preset in PRESETS.items():
        if keys and key not in keys:
            continue
        for offset in range(SEEDS):
            config = dataclasses.replace(preset.config, seed=preset.config.seed + offset)
            line, held = _row(preset.title, "Train", config, preset.promise)
            print(line, flush=True)
            kept, total = kept + held, total + 1
    for key, race in RACES.items():
        if keys and key not in keys:
            continue
        for offset in range(SEEDS):
            for number, (config, promise) in enumerate(zip(race.configs, race.promises), 1):
                config = dataclasses.replace(config, seed=config.seed + offset)
                run = f"run {number}: {config.optimizer}, hidden {'-'.join(map(str, config.hidden)) or 'none'}"
                line, held = _row(race.title, run, config, promise)
                print(line, flush=True)
                kept, total = kept + held, total + 1
    print(f"\n{kept} of {total} runs kept their card's promise ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
