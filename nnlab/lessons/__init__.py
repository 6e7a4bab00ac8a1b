"""Ready-made lessons: one-click starting points and races, and one-knob sweeps.

    presets  the home page's lessons and the race lessons (PRESETS, RACES)
    sweep    one knob, several values: one config per value

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['presets', 'sweep']
