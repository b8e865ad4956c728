"""Training batches from a data YAML, built by C++ worker threads.

    >>> loader = mimicit.Loader("data.yaml", batch_size=8, tokenizer=tokenizer)
    >>> for epoch in range(3):
    ...     loader.set_epoch(epoch)
    ...     for batch in loader:
    ...         images = batch["net_input"]["patch_images"]     # (B, 1, N, 3, 224, 224)
    ...         input_ids = batch["net_input"]["input_ids"]     # (B, L), right-padded

A batch is the reference collate's dict: ``id``, ``nsentences``,
``task_group`` (one per sample), ``full_text`` and ``net_input`` with
``input_ids`` / ``attention_masks`` (when a tokenizer is given: BOS + the
text's tokens truncated to ``max_seq_len`` + EOS, right-padded with the pad
id, or EOS when the tokenizer has none, mask 0 on padding) and
``patch_images`` (B, 1, N, 3, S, S). Also:
``dataset``, ``image_ids``, ``image_counts`` (images per sample: samples
with fewer than N images are padded with zero images, which the reference's
collate cannot do), ``step``, ``epoch`` and ``errors`` (the samples dropped
from this batch). Tensors are torch tensors when torch is installed (sharing
the loader's buffer, no copy), else numpy arrays (``return_tensors``).

The order (which samples each step gets) is a pure function of (seed,
epoch, rank, world_size, batch size, group sizes); see include/mimicit/loader.h:
each group draws its size in indices per epoch (with replacement, as the
reference; ``replacement=False`` for a permutation), ranks take every
world_size-th (padded by wrapping around), and the steps are a seeded
shuffle of all groups' batches, the same on every rank, so every rank has
the same number of steps and the same group at each step. A batch never
mixes groups.

``batching`` regroups the same samples (loader.h, "Batching"):
``"reference"`` (default) is the order above, where samples with fewer
images than the batch's largest are padded with zero images;
``"by_shape"`` builds every batch from samples with the same number of
images (frames), so no image slot is padding: each group's samples of the
epoch are split by image count, each part is cut into global batches of
``world_size * batch_size`` samples dealt to the ranks, and a part's last,
short global batch is kept (ranks' batches then differ by at most one
sample, and may be empty when fewer than ``world_size`` samples are left);
``"by_length"`` sorts megabatches of 50 global batches by text length (as
LLaVA's ``group_by_modality_length``) so that samples of similar length
share a batch. Every mode covers the same samples per epoch, is
deterministic in (seed, epoch), gives every rank the same steps and
resumes from ``state_dict()``.

Iteration continues from the current position: after ``load_state_dict``
it resumes mid-epoch, under the same or another world size and batch size
(elastic resume: the rest of the epoch is covered exactly once by the new
ranks; see ``state_dict``); an epoch fully consumed starts over on the next
``iter()`` (call ``set_epoch`` for the next epoch's order). A sample whose
instruction or image is missing or corrupt is dropped from its batch and
reported (``errors()``, ``error_count``), never fatal, unless
``on_error="raise"``. Every report names the sample's instruction ``id``.
An instruction record of the wrong shape (not an object, a field of the
wrong type) is dropped when the data is opened and reported
(``dropped_records()``, and a warning).

A Loader pickles as the arguments it was opened with (the tokenizer too,
which must then be picklable) and its ``state_dict()``; the copy re-opens
the data when first used and continues from that position (its error
reports start empty).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, Sequence, Union

from . import torch as _torch_glue
from ._core import Loader as _NativeLoader
from ._options import PathLike, data_options, defaults_doc, given
from ._reopen import Reopenable, resolve
from ._reports import warn_dropped

__all__ = ["Loader"]


class Loader(Reopenable):
    """Batches of the groups of ``yaml`` for this rank (see the module doc).

    ``rank`` / ``world_size`` default to torch.distributed's when a process
    group is initialised, else to the ``RANK`` / ``WORLD_SIZE`` environment
    variables, else 0 / 1. ``num_threads`` worker threads (default: all
    cores) build ``prefetch`` batches ahead (default: 2 per thread).
    ``tokenizer``: a Hugging Face tokenizer (called on the batch's texts with
    ``add_special_tokens=False, truncation=True, max_length=max_seq_len``;
    its ``bos_token_id``, ``eos_token_id`` and ``pad_token_id`` frame and pad
    the rows) or any callable ``text -> list of token ids`` (then
    ``bos_token_id`` / ``eos_token_id`` / ``pad_token_id`` give the ids;
    None leaves BOS/EOS out). Without a pad id, rows are padded with EOS as
    the reference's collate does (0 when there is no EOS either). The
    dataset options
    (``instruction_format``, ``image_size``, ``model``, ``mean``, ``std``,
    ``python_unicode``, ...) are those of :class:`mimicit.Dataset`; ``groups`` picks groups of
    the YAML (default: all). With ``with_task_description``, each batch's
    task descriptions are the reference's choice for the batch's epoch
    (``set_epoch`` changes them as it changes the order).
    """

    def __init__(self, yaml: PathLike, batch_size: int, *, rank: Optional[int] = None,
                 world_size: Optional[int] = None, seed: Optional[int] = None, epoch: Optional[int] = None,
                 num_threads: Optional[int] = None, prefetch: Optional[int] = None,
                 tokenizer: Any = None, max_seq_len: int = 2048, drop_last: Optional[bool] = None,
                 replacement: Optional[bool] = None, batching: Optional[str] = None,
                 on_error: Optional[str] = None,
                 max_error_reports: Optional[int] = None,
                 return_tensors: str = "auto", bos_token_id: Optional[int] = None,
                 eos_token_id: Optional[int] = None, pad_token_id: Optional[int] = None,
                 groups: Optional[Sequence[str]] = None, instruction_format: Optional[str] = None,
                 image_size: Optional[int] = None, model: Optional[str] = None,
                 mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
                 dtype: Optional[str] = None, keep_symbols: Optional[bool] = None,
                 python_unicode: Optional[str] = None, populate_rel_ins: Optional[bool] = None,
                 with_task_description: Optional[bool] = None, resample_frames: Optional[int] = None,
                 fast: Optional[bool] = None, max_pixels: Optional[int] = None,
                 base_dir: Optional[PathLike] = None, cache_dir: Optional[PathLike] = None) -> None:
        if rank is None or world_size is None:
            default_rank, default_world = _torch_glue.distributed_rank_and_world_size()
            rank = default_rank if rank is None else rank
            world_size = default_world if world_size is None else world_size
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is out of range for world size {world_size}")
        if return_tensors not in ("auto", "torch", "numpy"):
            raise ValueError(f"unknown return_tensors {return_tensors!r} (expected 'auto', 'torch' or 'numpy')")
        if max_seq_len < 1:
            raise ValueError(f"max_seq_len must be at least 1, not {max_seq_len}")
        data = data_options(instruction_format=instruction_format, image_size=image_size,
                            model=model, mean=mean, std=std, dtype=dtype, keep_symbols=keep_symbols,
                            python_unicode=python_unicode,
                            populate_rel_ins=populate_rel_ins,
                            with_task_description=with_task_description,
                            resample_frames=resample_frames, seed=seed, epoch=epoch, groups=groups,
                            fast=fast, max_pixels=max_pixels, base_dir=base_dir, cache_dir=cache_dir)
        options = given(
            batch_size=int(batch_size),
            rank=int(rank),
            world_size=int(world_size),
            seed=None if seed is None else int(seed),
            epoch=None if epoch is None else int(epoch),
            drop_last=None if drop_last is None else bool(drop_last),
            replacement=None if replacement is None else bool(replacement),
            batching=None if batching is None else str(batching),
            threads=None if num_threads is None else int(num_threads),
            prefetch=None if prefetch is None else int(prefetch),
            on_error=None if on_error is None else str(on_error),
            max_error_reports=None if max_error_reports is None else int(max_error_reports),
        )
        self._yaml = os.fsdecode(yaml)
        self._opened_with = {"yaml": self._yaml, "data": data, "options": options}
        self._start()
        warn_dropped(self._native.dropped_records())
        self.batch_size = int(batch_size)
        self.rank = int(rank)
        self.world_size = int(world_size)
        self._tokenizer = tokenizer
        self._max_seq_len = int(max_seq_len)
        self._hf = tokenizer is not None and hasattr(tokenizer, "eos_token_id")
        self._bos = self._special(bos_token_id, "bos_token_id")
        self._eos = self._special(eos_token_id, "eos_token_id")
        pad = self._special(pad_token_id, "pad_token_id")
        # No pad id: EOS pads, as in the reference's collate (spec 2.2), else 0.
        self._pad = pad if pad is not None else self._eos if self._eos is not None else 0
        if return_tensors == "auto":
            return_tensors = "torch" if _torch_glue.available() else "numpy"
        self._torch = return_tensors == "torch"

    # -- pickling (see mimicit._reopen) ------------------------------------

    _SETTINGS = ("batch_size", "rank", "world_size", "_tokenizer", "_max_seq_len", "_hf", "_bos",
                 "_eos", "_pad", "_torch")

    def _open(self, cwd: Optional[str]) -> _NativeLoader:
        yaml, data = self._opened_with["yaml"], dict(self._opened_with["data"])
        if cwd is not None:
            yaml = resolve(yaml, cwd)
            # An empty base_dir means the working directory: the opener's.
            data["base_dir"] = resolve(data.get("base_dir", ""), cwd) or cwd
            if data.get("cache_dir"):
                data["cache_dir"] = resolve(data["cache_dir"], cwd)
        return _NativeLoader(yaml, data, self._opened_with["options"])

    def _extra_state(self) -> dict:
        if self._handle is None:  # unpickled and not used since: still the pickled position
            position = self._pickled_state["loader_state"]
        else:
            position = self.state_dict()
        return {"settings": {name: getattr(self, name) for name in self._SETTINGS},
                "loader_state": position}

    def _restore(self, handle: _NativeLoader) -> None:
        handle.load_state(dict(self._pickled_state["loader_state"]))

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.__dict__.update(state["settings"])
        self._yaml = self._opened_with["yaml"]

    def _special(self, given: Optional[int], name: str) -> Optional[int]:
        if given is not None:
            return int(given)
        value = getattr(self._tokenizer, name, None) if self._hf else None
        return None if value is None else int(value)

    # -- iteration ---------------------------------------------------------

    def __len__(self) -> int:
        """Batches in the current epoch (the same on every rank)."""
        return self._native.num_batches

    def __iter__(self):
        if self._native.position >= self._native.num_batches:
            self._native.set_epoch(self.epoch)  # the whole epoch again, on this loader's own ranks
        while True:
            raw = self._native.next()
            if raw is None:
                return
            yield self._collate(raw)

    def set_epoch(self, epoch: int) -> None:
        """Starts ``epoch`` from its first batch (as DistributedSampler.set_epoch)."""
        self._native.set_epoch(int(epoch))

    @property
    def epoch(self) -> int:
        return self._native.state()["epoch"]

    @property
    def position(self) -> int:
        """Batches of the current epoch delivered so far."""
        return self._native.position

    # -- resuming ----------------------------------------------------------

    def state_dict(self) -> dict:
        """``{"seed", "epoch", "position", "fingerprint", "world_size",
        "batch_size"}`` (plus ``"plan_world_size"``, ``"plan_batch_size"`` and
        ``"begin"`` in an epoch that was itself resumed elastically): the same
        on every rank, what resumes the run where it is.

        Loaded with the same world size and batch size it continues exactly
        (the same batches on every rank). Loaded with others (elastic
        resume: 4 ranks -> 2, 2 -> 3, a new per-rank batch size), the rest of
        the epoch as it was planned when it started is dealt to the new
        ranks: every sample not yet delivered is delivered once, nothing
        delivered is repeated. The epoch's order is a function of the seed,
        epoch and the plan only, and the state records how far each group (or
        shape) went, so neither the world size nor the global batch size has
        to stay fixed. What must: the data, seed, ``drop_last``,
        ``replacement`` and ``batching`` (the fingerprint checks them). The
        next epoch is planned for the new ranks. States saved before elastic
        resume (no ``world_size``) resume only with the same world size and
        batch size."""
        return dict(self._native.state())

    def load_state_dict(self, state: dict) -> None:
        self._native.load_state(dict(state))

    # -- failures ----------------------------------------------------------

    @property
    def error_count(self) -> int:
        """Samples dropped so far (missing ids, corrupt images, ...)."""
        return self._native.error_count

    def errors(self) -> list[dict]:
        """The dropped samples, in delivery order (at most max_error_reports):
        dicts with ``epoch``, ``step``, ``task_group``, ``index``, ``id``,
        ``code`` and ``message``."""
        return self._native.errors()

    def dropped_records(self) -> list[dict]:
        """The instruction records left out when the data was opened (a record
        that is not an object, a field of the wrong type), as
        :meth:`mimicit.Dataset.dropped_records` gives them."""
        return self._native.dropped_records()

    def groups(self) -> list[tuple[str, int]]:
        """``(group, samples)`` of the groups loaded, in order."""
        return self._native.groups()

    @property
    def num_threads(self) -> int:
        return self._native.threads

    # -- collate -----------------------------------------------------------

    def _collate(self, raw: dict) -> dict:
        import numpy as np
        images = raw["images"]  # (B, N, ...) over the batch buffer
        size = images.shape[0]
        net_input: dict[str, Any] = {"patch_images": images[:, None]}
        if self._tokenizer is not None:
            net_input["input_ids"], net_input["attention_masks"] = self._tokenize(raw["full_text"])
        batch = {
            "id": raw["id"],
            "nsentences": size,
            "task_group": [raw["task_group"]] * size,
            "full_text": raw["full_text"],
            "net_input": net_input,
            "dataset": raw["dataset"],
            "image_ids": raw["image_ids"],
            "image_counts": np.asarray(raw["image_counts"], dtype=np.int64),
            "step": raw["step"],
            "epoch": raw["epoch"],
            "errors": raw["errors"],
        }
        if self._torch:
            batch["net_input"] = _torch_glue.to_torch(net_input)
            batch["image_counts"] = _torch_glue.to_torch(batch["image_counts"])
        return batch

    def _token_lists(self, texts: list[str]) -> tuple[list, list]:
        if self._hf:
            encoded = self._tokenizer(texts, add_special_tokens=False, truncation=True,
                                      max_length=self._max_seq_len)
            return list(encoded["input_ids"]), list(encoded["attention_mask"])
        tokens = [list(self._tokenizer(text))[:self._max_seq_len] for text in texts]
        return tokens, [[1] * len(t) for t in tokens]

    def _tokenize(self, texts: list[str]) -> tuple:
        import numpy as np
        tokens, masks = self._token_lists(texts) if texts else ([], [])
        head = [] if self._bos is None else [self._bos]
        tail = [] if self._eos is None else [self._eos]
        rows = [head + list(t) + tail for t in tokens]
        row_masks = [[1] * len(head) + list(m) + [1] * len(tail) for m in masks]
        width = max((len(r) for r in rows), default=0)
        input_ids = np.full((len(rows), width), self._pad, dtype=np.int64)
        attention = np.zeros((len(rows), width), dtype=np.int64)
        for i, (row, mask) in enumerate(zip(rows, row_masks)):
            input_ids[i, :len(row)] = row
            attention[i, :len(mask)] = mask
        return input_ids, attention

    def __repr__(self) -> str:
        return (f"mimicit.Loader({self._yaml!r}, batch_size={self.batch_size}, rank={self.rank}, "
                f"world_size={self.world_size}, {len(self)} batches)")


Loader.__doc__ = (Loader.__doc__ or "") + defaults_doc("loader", "dataset", skip=("batch_size", "rank", "world_size", "groups"))
