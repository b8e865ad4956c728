"""The dataset options shared by :class:`mimicit.Dataset` and
:class:`mimicit.Loader` (kept apart from dataset.py, which imports torch
when it is installed, so that ``import mimicit`` does not).

The defaults and the names an option takes live in the C++ core (its option
structs and the name tables beside its enums); ``DEFAULTS`` and ``NAMES``
are what ``_core._defaults()`` and ``_core._names()`` report. A keyword
argument left at None is not passed on, so the core's default applies.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

from . import _core

PathLike = Union[str, "os.PathLike[str]"]

DEFAULTS: dict = _core._defaults()
NAMES: dict = _core._names()

# Per model: (mean, std) of the normalisation (spec 2.3).
MODEL_NORMALIZATION = {model: (tuple(n["mean"]), tuple(n["std"]))
                       for model, n in DEFAULTS["normalization"].items()}

GROUPS = tuple(NAMES["group"])


def given(**options: Any) -> dict:
    """The options that are not None: what the caller gave."""
    return {key: value for key, value in options.items() if value is not None}


def defaults_doc(*topics: str, skip: Sequence[str] = ()) -> str:
    """A docstring paragraph listing the core's defaults of ``topics``."""
    seen: dict = {}
    for topic in topics:
        for key, value in DEFAULTS[topic].items():
            if key not in skip:
                seen.setdefault(key, value)
    listed = ", ".join(f"``{key}={value!r}``" for key, value in seen.items())
    return f"\n    Defaults (from the C++ option structs): {listed}.\n"


def data_options(*, instruction_format: Optional[str] = None, image_size: Optional[int] = None,
                 model: Optional[str] = None, mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None, dtype: Optional[str] = None,
                 keep_symbols: Optional[bool] = None, python_unicode: Optional[str] = None,
                 populate_rel_ins: Optional[bool] = None, with_task_description: Optional[bool] = None,
                 resample_frames: Optional[int] = None, seed: Optional[int] = None,
                 epoch: Optional[int] = None, groups: Optional[Sequence[str]] = None,
                 fast: Optional[bool] = None, max_pixels: Optional[int] = None,
                 base_dir: Optional[PathLike] = None, cache_dir: Optional[PathLike] = None) -> dict:
    """The options of the native Dataset and Loader that the caller gave,
    checked; the native side applies the defaults of the rest."""
    if model is not None and model not in MODEL_NORMALIZATION:
        raise ValueError(f"unknown model {model!r} (expected one of {sorted(MODEL_NORMALIZATION)})")
    if model is not None or mean is not None or std is not None:
        if model is not None:
            model_mean, model_std = MODEL_NORMALIZATION[model]
        else:
            model_mean, model_std = DEFAULTS["dataset"]["mean"], DEFAULTS["dataset"]["std"]
        mean = tuple(float(v) for v in (model_mean if mean is None else mean))
        std = tuple(float(v) for v in (model_std if std is None else std))
        if len(mean) != 3 or len(std) != 3:
            raise ValueError("mean and std need 3 values (R, G, B)")
    if isinstance(groups, str):
        groups = [groups]
    return given(
        instruction_format=None if instruction_format is None else str(instruction_format),
        image_size=None if image_size is None else int(image_size),
        mean=None if mean is None else list(mean),
        std=None if std is None else list(std),
        dtype=None if dtype is None else str(dtype),
        keep_symbols=None if keep_symbols is None else bool(keep_symbols),
        python_unicode=None if python_unicode is None else str(python_unicode),
        populate_rel_ins=None if populate_rel_ins is None else bool(populate_rel_ins),
        with_task_description=None if with_task_description is None else bool(with_task_description),
        resample_frames=None if resample_frames is None else int(resample_frames),
        seed=None if seed is None else int(seed),
        epoch=None if epoch is None else int(epoch),
        groups=None if groups is None else [str(g) for g in groups],
        fast=None if fast is None else bool(fast),
        max_pixels=None if max_pixels is None else int(max_pixels),
        base_dir=None if base_dir is None else os.fsdecode(base_dir),
        cache_dir=None if cache_dir is None else os.fsdecode(cache_dir),
    )
