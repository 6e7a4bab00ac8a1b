"""A web process's side of runs trained on a worker, alone in a process (tests/test_queue_workers.py runs it
as `python tests/follow_remote_end.py URL CONFIG_JSON …`): each run queued as a page queues it, followed to its
end, then one JSON line — what its page got at the end (`shapes`) and whether TensorFlow was imported."""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path


def shapes(job) -> dict:
    """The shapes of what a page draws of an ended run besides its figures: its predictions and inside views."""
    predictions, inside = job.predictions, job.inside
    told: dict = {"outputs": None, "grid": None, "weights": None, "maps": None}
    if predictions is not None:
        told["outputs"] = list(predictions.outputs.shape)
        told["grid"] = None if predictions.grid is None else [list(predictions.grid.columns), len(predictions.grid)]
    if inside is not None:
        told["epoch"] = inside.epoch
        if inside.weights is not None:
            told["weights"] = [list(inside.weights.images.shape), len(inside.weights.neurons), inside.weights.units]
        if inside.maps is not None:
            maps = inside.maps
            told["maps"] = {part: [[name, list(array.shape)] for name, array in getattr(maps, part)]
                            for part in ("layers", "inputs", "kernels")} | {"prediction": list(maps.prediction.shape)}
    return told


def main(url: str, configs: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nnlab.config.run_config import RunConfig
    from nnlab.data.cache import DATA_CACHE
    from nnlab.serving.remote_work import RemoteTrainingJob

    ended = []
    for number, config in enumerate(configs):
        job = RemoteTrainingJob(RunConfig.from_dict(json.loads(config)), DATA_CACHE.load, url=url, workspace="shared",
                                owner=f"visitor:no-tensorflow-{number}").start()
        deadline, tick = time.monotonic() + 120, threading.Event()
        while not job.done and time.monotonic() < deadline:
            job.touch()  # the page's polls
            tick.wait(0.1)
        ended.append({"status": str(job.status), "message": job.message, "shapes": shapes(job),
                      "model_kept": job.model_kept})
    print(json.dumps({"runs": ended, "tensorflow": "tensorflow" in sys.modules}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
