"""`python -m nnlab train … --queue`: the run handed to the workers (issue 25) and followed as a local
run is — its place in line, then an epoch line as each epoch is kept, Ctrl-C stopping it (its epochs
kept), the same summary or `--json` object at the end, naming the worker that trained it."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time

from nnlab.cli.runs import epoch_line
from nnlab.core.errors import UserError
from nnlab.core.jsonsafe import json_safe
from nnlab.core.status import FINISHED, Status
from nnlab.store import database
from nnlab.store.runs import RunStore

LOOK_SECONDS = 0.25  # how often the follower looks at the database
NO_WORKER_AFTER = 3.0  # seconds in line with no worker alive before saying so (a worker starting has beaten by then)


def train_queued(args: argparse.Namespace, config) -> int:
    from nnlab.serving import queue_state, work_spec
    from nnlab.serving.remote_work import RemoteWork, submit

    url = database.database_url(args.database)
    if database.is_sqlite(url):
        raise UserError("--queue hands the run to workers, which need a PostgreSQL database: give --database "
                        "postgresql://user:password@host/name or NNLAB_DATABASE_URL")
    if args.no_save:
        raise UserError("a run trained on a worker comes back through the database: --queue keeps it (leave out "
                        "--no-save)")
    if args.seeds > 1:
        raise UserError("--seeds trains here only for now: leave out --queue or --seeds")
    store = RunStore(url, args.workspace)
    store.engine()  # an unusable database: said before anything is queued
    spec = work_spec.run_spec(config, workspace=args.workspace, url=url)
    work = RemoteWork(url, spec["key"], submit(url, spec))
    # Ctrl-C: stop it, keep its epochs, report. The handler only notes it: an Event set from a signal handler
    # can deadlock with the main thread waiting on that Event (the handler runs in that thread, maybe inside
    # the Event's own lock).
    interrupted: list[bool] = []
    signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    pause = threading.Event()  # never set: a wait between two looks
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    say(f"queued for the workers (job {work.job_id})")
    queued_at, told_place, told_no_worker, run_id, shown, asked_stop = time.monotonic(), None, False, None, 0, False
    while True:
        if interrupted and not asked_stop:
            work.stop()
            asked_stop = True
            say("stopping… (the completed epochs are kept)")
        state = work.look()
        status = work.status(state)
        if status == Status.QUEUED:
            place = work.place()
            if place is not None and place != told_place:
                told_place = place
                wait = queue_state.wait_estimate(url, work.job_id)
                say(f"waiting for a worker: place {place} in line" + (f", about {wait:.0f} s" if wait else ""))
            if (not told_no_worker and time.monotonic() - queued_at >= NO_WORKER_AFTER
                    and queue_state.workers_alive(url) == 0):
                told_no_worker = True
                say(queue_state.NO_WORKER)
        if state.run_id and run_id is None:
            run_id = state.run_id
            say(f"run {run_id} on worker {state.worker} (kept; `python -m nnlab runs` lists it)")
        if run_id:
            shown = _show_epochs(store, run_id, shown, config.epochs, say)
        if status in FINISHED:
            break
        pause.wait(LOOK_SECONDS)
    if run_id:
        _show_epochs(store, run_id, shown, config.epochs, say)
    return _report(args, store, run_id, status, state)


def _show_epochs(store: RunStore, run_id: str, shown: int, epochs: int, say) -> int:
    history = store.load(run_id).history
    rows = [] if history is None or history.empty else history.to_dict("records")
    for row in rows[shown:]:
        say(epoch_line({key: value for key, value in row.items()}, epochs))
    return max(shown, len(rows))


def _report(args, store: RunStore, run_id: str | None, status: Status, state) -> int:
    message = state.state.get("message", "")
    if run_id is None:  # it never began: stopped in line, or refused by the worker (the message says why)
        if args.json:
            print(json.dumps({"status": str(status), "message": message, "run_id": None, "worker": state.worker or None}))
        else:
            print(f"{status}: {message or 'it never trained'}")
        return 0 if status != Status.FAILED else 1
    run = store.load(run_id)
    history = [] if run.history is None or run.history.empty else json_safe(run.history.to_dict("records"))
    if args.save_model:
        model = store.model_bytes(run_id)
        if model is None:
            print(f"nnlab: warning: run {run_id} kept no model; nothing written to {args.save_model}", file=sys.stderr)
        else:
            try:
                with open(args.save_model, "wb") as handle:
                    handle.write(model)
            except OSError as error:
                raise UserError(f"cannot save the model to {args.save_model}: {error.strerror or error}") from None
    if args.json:
        print(json.dumps({"status": str(run.status), "message": run.message, "epochs_run": run.epochs_run,
                          "task": run.task, "history": history, "test": json_safe(run.test), "verdict": run.verdict,
                          "params": run.params, "config": run.config.to_dict(), "run_id": run_id,
                          "seconds_per_epoch": run.seconds / run.epochs_run if run.epochs_run else None,
                          "worker": state.worker}, allow_nan=False))
        return 0
    test = ", ".join(f"{k} {v:.2%}" if k == "accuracy" else f"{k} {v:.4g}" for k, v in run.test.items()
                     if v is not None)
    print(f"{run.status}: {run.message}")
    if test:
        print(f"test: {test}")
    if run.verdict:
        print(f"verdict: {run.verdict.get('title', '')}. {run.verdict.get('explanation', '')}")
    print(f"trained by worker {state.worker}")
    return 0
