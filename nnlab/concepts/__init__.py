"""The lecture's worked examples as pure functions: the pages only draw what these compute, and the
tests check them against the lecture's printed figures. (own: formula, the safe reader of a typed
function.)

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ["activations", "approximation", "backprop", "charts", "gradient_descent", "losses", "neuron", "parameters",
           "softmax"]
