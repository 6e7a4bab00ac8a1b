"""`python -m nnlab`: the backend without a browser (train, datasets, runs, export, search, lr-find, worker).

    main  the parser and `train`, `datasets`; main() is what `python -m nnlab` runs
    (own: settings_flags, runs, search, lr_find, worker, queued: each subcommand's flags and work)

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['main']
