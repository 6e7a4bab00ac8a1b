"""Giving freed memory back to the system (glibc on Linux; elsewhere these do nothing).

glibc's malloc keeps what a thread frees in that thread's arena for reuse, and makes up to eight
arenas per core: after eight visitors trained at once, ≈250 MB stayed with the server though
nothing used it (bench/memory.py --visitors). Two arenas and a trim after each training give it
back: measured, 8 MNIST trainings at once left +72 MB above the data cache instead of +450 MB.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h
ARENAS = 2


def _libc():
    try:
        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None  # glibc only
    except OSError:
        return None


_LIBC = _libc()


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap the arenas threads made from now on allocate in (unless the deployer set MALLOC_ARENA_MAX)."""
    # MALLOC_ARENA_MAX is glibc's own variable, not one of the deployer's NNLAB_* settings
    # (nnlab/core/deployment.py): glibc reads it itself, so it is only looked at here.
    if _LIBC is None or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    return bool(_LIBC.mallopt(M_ARENA_MAX, arenas))


def give_back() -> None:
    """Return the free memory at the arenas' tops and in whole free pages to the system."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
