"""The dataset options shared by :class:`mimicit.Dataset` and
:class:`mimicit.Loader` (kept apart from dataset.py, which imports torch
when it is installed, so that ``import mimicit`` does not)."""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

PathLike = Union[str, "os.PathLike[str]"]

# Per model: (mean, std) of the normalisation (spec 2.3).
MODEL_NORMALIZATION = {
    "otter": ((0.481, 0.458, 0.408), (0.269, 0.261, 0.276)),
    "idefics": ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
}

GROUPS = ("IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT", "IMAGE_TEXT_IN_CONTEXT")


def data_options(*, instruction_format: str = "simple", image_size: int = 224, model: str = "otter",
                 mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
                 dtype: str = "float32", keep_symbols: bool = False, python_unicode: str = "3.9",
                 populate_rel_ins: bool = False,
                 with_task_description: bool = False, resample_frames: int = 32, seed: int = 42,
                 epoch: int = 0, groups: Optional[Sequence[str]] = None, fast: bool = False,
                 max_pixels: Optional[int] = None, base_dir: Optional[PathLike] = None,
                 cache_dir: Optional[PathLike] = None) -> dict:
    """The options of the native Dataset and Loader, checked, with defaults.
    ``max_pixels`` None: the native default (the reference's 1,000,000,000)."""
    if model not in MODEL_NORMALIZATION:
        raise ValueError(f"unknown model {model!r} (expected one of {sorted(MODEL_NORMALIZATION)})")
    model_mean, model_std = MODEL_NORMALIZATION[model]
    mean = tuple(float(v) for v in (model_mean if mean is None else mean))
    std = tuple(float(v) for v in (model_std if std is None else std))
    if len(mean) != 3 or len(std) != 3:
        raise ValueError("mean and std need 3 values (R, G, B)")
    if dtype not in ("float32", "uint8"):
        raise ValueError(f"unknown dtype {dtype!r} (expected 'float32' or 'uint8')")
    if isinstance(groups, str):
        groups = [groups]
    return {
        "instruction_format": str(instruction_format),
        "image_size": int(image_size),
        "mean": list(mean),
        "std": list(std),
        "dtype": dtype,
        "keep_symbols": bool(keep_symbols),
        "python_unicode": str(python_unicode),
        "populate_rel_ins": bool(populate_rel_ins),
        "with_task_description": bool(with_task_description),
        "resample_frames": int(resample_frames),
        "seed": int(seed),
        "epoch": int(epoch),
        "groups": [str(g) for g in (groups or [])],
        "fast": bool(fast),
        "max_pixels": None if max_pixels is None else int(max_pixels),
        "base_dir": os.fsdecode(base_dir) if base_dir is not None else "",
        "cache_dir": os.fsdecode(cache_dir) if cache_dir is not None else "",
    }
