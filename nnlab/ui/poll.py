"""How often a page asks its running work for news: the live panel's and the finder's fragments."""
from __future__ import annotations

from nnlab.core import deployment

# The longest a running job's panel goes without a redraw: the progress bar moves once a second
# within a long epoch. A new epoch is drawn when it ends, not at the next tick (ui/live.py's `_hold`).
# NNLAB_POLL_SECONDS, read with the deployment's settings when the pages are first imported.
POLL_SECONDS = deployment.current().poll_seconds
