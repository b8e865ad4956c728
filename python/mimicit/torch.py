"""PyTorch glue: the distributed rank and world size, and numpy -> torch
without copies. Importing this module does not import torch; the functions
do, when called.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

__all__ = ["available", "distributed_rank_and_world_size", "to_torch"]


def available() -> bool:
    """Whether torch can be imported (without importing it)."""
    return "torch" in sys.modules or importlib.util.find_spec("torch") is not None


def distributed_rank_and_world_size() -> tuple[int, int]:
    """torch.distributed's rank and world size when a process group is
    initialised, else the ``RANK`` / ``WORLD_SIZE`` environment variables
    (set by torchrun), else (0, 1)."""
    # A process group exists only if the program imported torch.distributed.
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    rank = os.environ.get("RANK")
    world = os.environ.get("WORLD_SIZE")
    if rank is not None and world is not None:
        return int(rank), int(world)
    return 0, 1


def to_torch(value: Any) -> Any:
    """numpy arrays -> torch tensors sharing their memory (the tensor keeps
    the array, and so the loader's buffer, alive); dicts and lists are
    converted recursively, anything else is returned as it is."""
    import numpy as np
    import torch
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    if isinstance(value, dict):
        return {k: to_torch(v) for k, v in value.items()}
    return value
