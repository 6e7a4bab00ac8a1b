"""nnlab: a lab for learning how neural-network hyperparameters shape training.

One package per concept, in layers (ARCHITECTURE.md): only `ui/` imports Streamlit, and TensorFlow is
loaded (through `core/tf_runtime.py`) only by what builds, trains or loads data, never by `config/`,
so configuring and listing things stays instant.
"""
__version__ = "0.1.0"
