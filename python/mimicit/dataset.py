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

An instruction record of the wrong shape (not an object, a field of the
wrong type) is dropped when the data is opened and reported
(``dropped_records()``, and a warning), as if its file did not hold it.
A missing id or a corrupt image raises (:class:`mimicit.NotFoundError`,
:class:`mimicit.CorruptError`) naming the sample and the image; the
:class:`mimicit.Loader` skips and reports such samples instead.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from ._core import Dataset as _NativeDataset
from ._options import GROUPS, MODEL_NORMALIZATION, PathLike, data_options, defaults_doc
from ._reopen import Reopenable, resolve
from ._reports import warn_dropped
from .torch import available as _torch_available

__all__ = ["Dataset", "MODEL_NORMALIZATION"]


def _torch_dataset_base() -> tuple:
    """``(torch.utils.data.Dataset,)`` when torch is installed, else ``()``.
    (``import mimicit`` imports this module only when ``mimicit.Dataset``
    is first used, so torch's import cost is paid by its users only.)"""
    if not _torch_available():
        return ()
    try:
        from torch.utils.data import Dataset as TorchDataset
    except ImportError:
        return ()
    return (TorchDataset,)


class Dataset(Reopenable, *_torch_dataset_base()):
    """The samples of one group (``IMAGE_TEXT``, ``TEXT_ONLY``, ``VIDEO_TEXT``
    or ``IMAGE_TEXT_IN_CONTEXT``) of the data YAML ``yaml``.

    ``model`` picks the normalisation (``"otter"``: mean (0.481, 0.458,
    0.408), std (0.269, 0.261, 0.276); ``"idefics"``: CLIP's); ``mean`` and
    ``std`` override it. ``fast=True`` decodes large JPEGs at a reduced
    scale (faster, not pixel-exact). ``max_pixels``: images of more pixels
    are refused (decompression bombs); None, the default, is the reference's
    training limit, 1,000,000,000 (3 GB decoded). Relative paths in the YAML are relative
    to ``base_dir`` (default: the working directory, as the reference).
    ``python_unicode`` picks the Unicode tables the text cleaning follows,
    those of that Python's ``re`` and ``str`` (``"3.9"``, the reference's
    and the default, ``"3.10"`` = 3.9, ``"3.11"``, ``"3.12"``, ``"3.13"``).
    ``__getitem__`` releases the GIL, so threads can load samples in parallel.

    With torch installed, a Dataset is a ``torch.utils.data.Dataset``. It
    pickles as the arguments it was opened with and re-opens when first used
    after unpickling, so ``DataLoader(ds, num_workers=N)`` works under the
    fork, spawn and forkserver start methods.
    """

    def __init__(self, yaml: PathLike, group: str, *, instruction_format: Optional[str] = None,
                 image_size: Optional[int] = None, model: Optional[str] = None,
                 mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
                 keep_symbols: Optional[bool] = None, python_unicode: Optional[str] = None,
                 populate_rel_ins: Optional[bool] = None, with_task_description: Optional[bool] = None,
                 resample_frames: Optional[int] = None, seed: Optional[int] = None, epoch: Optional[int] = None,
                 dtype: Optional[str] = None, fast: Optional[bool] = None, max_pixels: Optional[int] = None,
                 base_dir: Optional[PathLike] = None, cache_dir: Optional[PathLike] = None) -> None:
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r} (expected one of {', '.join(GROUPS)})")
        options = data_options(instruction_format=instruction_format, image_size=image_size,
                               model=model, mean=mean, std=std, dtype=dtype,
                               keep_symbols=keep_symbols, python_unicode=python_unicode,
                               populate_rel_ins=populate_rel_ins,
                               with_task_description=with_task_description,
                               resample_frames=resample_frames, seed=seed, epoch=epoch, fast=fast,
                               max_pixels=max_pixels, base_dir=base_dir, cache_dir=cache_dir)
        self._yaml = os.fsdecode(yaml)
        self._opened_with = {"yaml": self._yaml, "group": group, "options": options}
        self._start()
        warn_dropped(self._native.dropped_records())

    def _open(self, cwd: Optional[str]) -> _NativeDataset:
        yaml, options = self._opened_with["yaml"], dict(self._opened_with["options"])
        if cwd is not None:
            yaml = resolve(yaml, cwd)
            # An empty base_dir means the working directory: the opener's.
            options["base_dir"] = resolve(options.get("base_dir", ""), cwd) or cwd
            if options.get("cache_dir"):
                options["cache_dir"] = resolve(options["cache_dir"], cwd)
        return _NativeDataset(yaml, self._opened_with["group"], options)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._yaml = self._opened_with["yaml"]

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

    def dropped_records(self) -> list[dict]:
        """The instruction records left out when the data was opened (a record
        that is not an object, a field of the wrong type): dicts with
        ``task_group``, ``file``, ``id``, ``offset``, ``row``, ``field``,
        ``found`` and ``message`` (see mimicit._reports). A warning names
        them when the Dataset is created."""
        return self._native.dropped_records()

    def __repr__(self) -> str:
        return f"mimicit.Dataset({self._yaml!r}, {self.task_group!r}, {len(self)} samples)"


Dataset.__doc__ = (Dataset.__doc__ or "") + defaults_doc("dataset", skip=("groups",))
