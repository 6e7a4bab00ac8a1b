"""Hyperparameter search on Optuna: the knobs and their ranges, the study in the runs'
database, pruning, and what a trial reports. Trained by `serving.search_job`.

    study  the space, the plan, the study and its trials

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['study']
