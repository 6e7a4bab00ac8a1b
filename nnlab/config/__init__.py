"""What one run is asked to do: the one table of settings, the RunConfig validated from it, and
the learning rate of each epoch that follows from it. Above `data`: a config names a data set of
the registry.

    settings     the table: per setting its kind, range, choices, help, control, CLI flag, link key
    run_config   RunConfig, the frozen dataclass validated from the table (to and from links and JSON)
    lr_schedule  the learning rate of each epoch (schedules, a rate changed mid-run)
    penalty_changes  the L1 / L2 rates a run changed while it trained, read back from its history
    rate_marks   those changes and the learning rate's as marks on the curves (final and live charts)
    optimizers   each optimizer of the table as its Keras class and options (the Trainer's and the export's)

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['settings', 'run_config', 'lr_schedule', 'penalty_changes', 'rate_marks', 'optimizers']
