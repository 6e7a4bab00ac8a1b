"""The session-state keys that more than one page or module reads: the contract between them."""

COMPARE_IDS = "compare_ids"  # run ids the Compare page opens with (set by Runs and Race)
PRESET_NOTE = "preset_note"  # the lesson a link opened (nnlab.lessons.presets.Preset), shown on Train until it trains
TRAIN_JOB, RACE, SWEEP, APPROXIMATION = "train_job", "race", "sweep", "approximation"  # each page's job
TRAIN_SEEDS = "train_seeds"  # Train's group of seeds (serving.jobs.SeedsJob), beside its single run
TRAIN_SEED_COUNT = "train_seed_count"  # Train's "Repeat with N seeds" (a lesson of several seeds sets it)
CURRENT_SETTINGS = "current_settings"  # the RunConfig of the main controls (Train, Sweep): where a race starts
RACE_LESSON = "race_lesson"  # the race lesson a link opened (nnlab.lessons.presets.RaceLesson), shown while its settings stay
FIXED_SETTINGS = "fixed_settings"  # settings a teacher's link fixed, name → value: the main controls leave them out
PENDING_SETTINGS = "_pending_settings"  # key prefix → RunConfig asked for, put into those controls when next drawn
