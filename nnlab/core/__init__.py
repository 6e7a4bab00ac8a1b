"""The ground floor: what every other package may need and that needs nothing of nnlab.

    errors       the errors a user can cause (UserError, ConfigError, DataError …), each message saying what to change
    deployment   the deployer's settings (NNLAB_* variables), read once into one Deployment at start
    status       the states a run goes through
    tasks        what a task is measured by (accuracy, mean absolute error)
    jsonsafe     JSON without NaN; the one test for a missing value
    atomic_file  files written whole or not at all
    safe_text    a visitor's text escaped for Markdown, formula cells neutralised in exports
    tf_runtime   TensorFlow and Keras, imported once and set up for small networks (imported only where a model is made)

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['errors', 'deployment', 'status', 'tasks', 'jsonsafe', 'atomic_file', 'safe_text', 'tf_runtime']
