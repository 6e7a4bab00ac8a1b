"""nnlab: a lab for learning how neural-network hyperparameters shape training.

The backend never imports Streamlit (but for nnlab.dashboard), and only model.py, train.py and
tf_runtime.py import TensorFlow, so configuring and listing things stays instant.
"""
__version__ = "0.1.0"
