"""How often a page asks its running work for news: the live panel's and the finder's fragments."""
from __future__ import annotations

from nnlab.core import environment

# The longest a running job's panel goes without a redraw: the progress bar moves once a second
# within a long epoch. A new epoch is drawn when it ends, not at the next tick (ui/live.py's `_hold`).
POLL_SECONDS = environment.number("NNLAB_POLL_SECONDS", 1.0, minimum=0.0, inclusive=False,
                                  what="a number of seconds above 0")
