"""Judging a run: the verdict read from the whole curve, the findings behind it, what to try next,
what each data set allows, and what a model does on the test set.

    diagnose     the verdict (diagnose, Verdict, baseline_loss); re-exports the findings' thresholds and the remedies
    predictions  test-set predictions, confusion table and decision-boundary grid as DataFrames
    seeds        several seeds of one setting: their spread, mean curves, whether a difference beats the spread, the group's verdict
    (own: findings, remedies, reference)

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['diagnose', 'predictions', 'seeds']
