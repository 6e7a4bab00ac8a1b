"""Altair / Vega-Lite charts from DataFrames: pure functions, so tests read their specs.

    training  a run's charts: curves (live and compared), learning rate, finder, confusion, boundary, predictions, settings against a figure
    inside    the network's inside: weight images, neuron maps, layer statistics
    search    a search's pictures: history, importance, slices, parallel coordinates
    seeds     groups of seeds: mean curves in a min–max band, a figure against a setting with error bars
    board     a class's board: parameters against accuracy with the front, the combined sweep, verdicts counted

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['training', 'inside', 'search', 'seeds', 'board']
