"""One group of a data YAML as the reference pipeline's ``MimicitDataset``.

    >>> ds = mimicit.Dataset("data.yaml", "IMAGE_TEXT")
    >>> len(ds), ds.ids()[:3]
    >>> sample = ds[0]
    >>> sample["full_text"], sample["patch_images"].shape   # (1, N, 3, 224, 224)

``ds[i]`` is sample ``i`` of the group's training list (the datasets of the
group resampled by ``num_samples`` and concatenated in YAML order): a dict
with ``id``, ``task_group``, ``dataset``, ``full_text`` (the prompt text, in
the instruction format), ``image_ids`` (the images loaded; for VIDEO_TEXT the
chosen frames) and ``patch_images``, a numpy array in the reference's shape:
(1, N, 3, S, S) float32 normalised with the model's mean and std
(VIDEO_TEXT: N = resample_frames; TEXT_ONLY: zeros (1, 1, 3, 224, 224); an
image sample without images: (1, 0)). With ``dtype="uint8"`` the images are
the resized RGB pixels, (1, N, S, S, 3).

A missing id or a corrupt image raises (:class:`mimicit.NotFoundError`,
:class:`mimicit.CorruptError`) naming the sample and the image; the
:class:`mimicit.Loader` skips and reports such samples instead.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from ._core import Dataset as _NativeDataset

__all__ = ["Dataset", "MODEL_NORMALIZATION"]

PathLike = Union[str, "os.PathLike[str]"]

# Per model: (mean, std) of the normalisation (spec 2.3).
MODEL_NORMALIZATION = {
    "otter": ((0.481, 0.458, 0.408), (0.269, 0.261, 0.276)),
    "idefics": ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
}

GROUPS = ("IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT", "IMAGE_TEXT_IN_CONTEXT")
PILLOW_MAX_IMAGE_PIXELS = 89478485


def data_options(*, instruction_format: str = "simple", image_size: int = 224, model: str = "otter",
                 mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
                 dtype: str = "float32", keep_symbols: bool = False, populate_rel_ins: bool = False,
                 with_task_description: bool = False, resample_frames: int = 32, seed: int = 42,
                 epoch: int = 0, groups: Optional[Sequence[str]] = None, fast: bool = False,
                 max_pixels: int = PILLOW_MAX_IMAGE_PIXELS, base_dir: Optional[PathLike] = None,
                 cache_dir: Optional[PathLike] = None) -> dict:
    """The options of the native Dataset and Loader, checked, with defaults."""
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
        "populate_rel_ins": bool(populate_rel_ins),
        "with_task_description": bool(with_task_description),
        "resample_frames": int(resample_frames),
        "seed": int(seed),
        "epoch": int(epoch),
        "groups": [str(g) for g in (groups or [])],
        "fast": bool(fast),
        "max_pixels": int(max_pixels),
        "base_dir": os.fsdecode(base_dir) if base_dir is not None else "",
        "cache_dir": os.fsdecode(cache_dir) if cache_dir is not None else "",
    }


class Dataset:
    """The samples of one group (``IMAGE_TEXT``, ``TEXT_ONLY``, ``VIDEO_TEXT``
    or ``IMAGE_TEXT_IN_CONTEXT``) of the data YAML ``yaml``.

    ``model`` picks the normalisation (``"otter"``: mean (0.481, 0.458,
    0.408), std (0.269, 0.261, 0.276); ``"idefics"``: CLIP's); ``mean`` and
    ``std`` override it. ``fast=True`` decodes large JPEGs at a reduced
    scale (faster, not pixel-exact). Relative paths in the YAML are relative
    to ``base_dir`` (default: the working directory, as the reference).
    ``__getitem__`` releases the GIL, so threads can load samples in parallel.
    """

    def __init__(self, yaml: PathLike, group: str, *, instruction_format: str = "simple",
                 image_size: int = 224, model: str = "otter", mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None, keep_symbols: bool = False,
                 populate_rel_ins: bool = False, with_task_description: bool = False,
                 resample_frames: int = 32, seed: int = 42, epoch: int = 0, dtype: str = "float32",
                 fast: bool = False, base_dir: Optional[PathLike] = None,
                 cache_dir: Optional[PathLike] = None) -> None:
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r} (expected one of {', '.join(GROUPS)})")
        options = data_options(instruction_format=instruction_format, image_size=image_size,
                               model=model, mean=mean, std=std, dtype=dtype,
                               keep_symbols=keep_symbols, populate_rel_ins=populate_rel_ins,
                               with_task_description=with_task_description,
                               resample_frames=resample_frames, seed=seed, epoch=epoch, fast=fast,
                               base_dir=base_dir, cache_dir=cache_dir)
        self._yaml = os.fsdecode(yaml)
        self._native = _NativeDataset(self._yaml, group, options)

    @property
    def task_group(self) -> str:
        return self._native.task_group

    def __len__(self) -> int:
        return len(self._native)

    def __getitem__(self, index: int) -> dict:
        size = len(self._native)
        index = int(index)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(f"sample {index} out of range for a dataset of {size}")
        return self._native.get(index)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def ids(self) -> list[str]:
        """The training list's instruction ids, in order (``ds[i]["id"]``)."""
        return self._native.ids()

    def __repr__(self) -> str:
        return f"mimicit.Dataset({self._yaml!r}, {self.task_group!r}, {len(self)} samples)"
