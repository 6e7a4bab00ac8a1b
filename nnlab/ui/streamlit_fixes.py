"""Where Streamlit's defaults fight a server that trains networks in background threads."""
from __future__ import annotations

import sys


def keep_keras_state_between_reruns() -> None:
    """Streamlit calls keras.backend.clear_session() after every script and fragment run once
    Keras is imported (script_runner._clean_problem_modules). That empties TensorFlow's kernel
    cache and collects garbage under a training job running in another thread: epochs of 0.06 s
    took 1–3 s whenever the page polled. nnlab keeps no Keras state in the script thread, so the
    clean-up has nothing to do here; Streamlit 1.67 has no setting for it, hence the patch."""
    from streamlit.runtime.scriptrunner import script_runner

    def clean_without_keras() -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")  # the other half of Streamlit's clean-up
        if pyplot is not None:
            pyplot.close("all")

    script_runner._clean_problem_modules = clean_without_keras
