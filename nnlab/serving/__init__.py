"""Who trains where on a shared server: jobs in background threads that survive Streamlit's
reruns, the fair queue of training slots, a watched request for a slot, and the finder's and the
search's jobs on it.

    jobs           TrainingJob, RaceJob, SweepJob; run_in_progress
    slot_work      one watched request to the scheduler (abandonment, heartbeat, memory given back)
    scheduler      the fair queue of training slots (SCHEDULER)
    lr_finder_job  the learning-rate finder as one request
    search_job     a search as one request, its trials as runs
    bulletin       a piece of work's news announced to whoever waits for it (the live route's long polls)
    live_answer    what a browser watching a run live is told: epochs since its cursor, progress, in strict JSON
    live_token     the live route's tokens: one run, one visitor, one workspace, expiring (HMAC)
    work_spec      a piece of work as the queue carries it to a worker, and back into its job
    remote_work    work handed to the workers' queue (one per visitor) and followed from the database
    queue_state    the queue's word on a job: its status, its place in line, whether any worker runs
    placement      where a page's run trains: here or on the workers (NNLAB_TRAINING)
    worker         a worker process: the queue's jobs trained, their requests and news, dead workers' runs
    (own: process_memory, queue_app: procrastinate's App, loaded only where work goes to workers;
     remote_end: a worker's run's end read from the store without TensorFlow, and remote_follower: the thread
     mirroring a work on the workers, both for remote_work)

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['jobs', 'slot_work', 'scheduler', 'lr_finder_job', 'search_job', 'bulletin', 'live_answer', 'live_token',
           'work_spec', 'remote_work', 'queue_state', 'placement', 'worker']
