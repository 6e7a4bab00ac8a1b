"""The network before training: its shape, parameter count and layer table (from nnlab.training.architecture,
without TensorFlow)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from nnlab.training.architecture import count_params, layer_specs
from nnlab.config.run_config import RunConfig
from nnlab.ui import navigation


def network_summary(config: RunConfig, dataset) -> None:
    specs = layer_specs(config, dataset.n_features, dataset.n_outputs, dataset.task)
    total = count_params(specs)
    shape = " → ".join([str(dataset.n_features), *map(str, config.hidden), str(dataset.n_outputs)])
    st.markdown(f"**Network** {shape} · **{total:,} parameters** to learn from {dataset.n_train:,} examples")
    with st.expander("Layers and parameter count"):
        st.dataframe(pd.DataFrame([{"layer": s.name, "kind": s.kind, "neurons": s.units, "activation": s.activation,
                                    "parameters": s.params, "trained": s.trainable, "how": s.formula} for s in specs]),
                     hide_index=True, width="stretch")
        navigation.link("parameters", "How are parameters counted?")
