"""The session-state keys that more than one page or module reads: the contract between them."""

COMPARE_IDS = "compare_ids"  # run ids the Compare page opens with (set by Runs and Race)
PRESET_NOTE = "preset_note"  # the lesson a link opened (nnlab.presets.Preset), shown on Train until it trains
TRAIN_JOB, RACE, SWEEP, APPROXIMATION = "train_job", "race", "sweep", "approximation"  # each page's job
