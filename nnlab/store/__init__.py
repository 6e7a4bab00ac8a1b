"""Keeping runs: the one database, its tables and migrations, the run store, a deployment's
visitors, runs as tables and names, and the import of an older nnlab's run folders.

    database       the database URL (SQLite by default, PostgreSQL for a class) and its engines
    runs           RunStore: one workspace's runs, epoch by epoch, with a heartbeat (open_store)
    groups         runs of the same settings with several seeds, kept and listed as one group
    visitors       a deployment's visitors (hashed cookies) and their transfer codes
    classes        a teacher's class: its links, students, and which runs go to its board
    board          a class's board as tables: shared runs, the front, leaderboards, verdicts, who trains now
    table          saved runs as tables (Runs, Compare)
    names          a run's name from what makes it different
    folder_import  runs an older nnlab kept as folders, imported once
    controls       requests (Stop, Pause, a step, a learning rate) for work trained in another process
    live_state     what work trained in another process shows besides its epochs; who still follows it
    live_notices   the worker's writes of a live row heard as they happen (LISTEN), waking their followers
    workers        the worker processes alive and their slots
    csv_files      CSV files kept for the workers, which cannot read a web server's disk
    (own: schema, record, cache, files)

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['database', 'runs', 'groups', 'visitors', 'classes', 'board', 'table', 'names', 'folder_import', 'controls',
           'live_state', 'live_notices', 'workers', 'csv_files']
