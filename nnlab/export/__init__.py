"""A run taken elsewhere.

    keras_script  a run as a plain Keras script and notebook

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['keras_script']
