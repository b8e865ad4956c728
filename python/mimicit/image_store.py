"""Image stores: encoded images by id, from any MIMIC-IT image store.

    >>> store = mimicit.ImageStore("images.parquet")   # or a folder, or a list
    >>> len(store), "LA_IMG_000000377944" in store
    >>> png = store.get_bytes("LA_IMG_000000377944")

A store is one path or a list of paths, each a Parquet file, a partition
folder (dask, pyarrow, Spark), a legacy ``images.json`` or a folder of image
files. Opening reads the ids only and keeps a sorted index of about
(id length + 16) bytes per image; the index is saved beside the store (or in
the cache folder) so the next open maps it instead. When an id appears more
than once, the last occurrence wins and :meth:`ImageStore.duplicates` lists it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Optional, Union

from ._core import ImageStore as _NativeImageStore
from ._reopen import Reopenable, resolve

__all__ = ["ImageStore"]

PathLike = Union[str, "os.PathLike[str]"]


class ImageStore(Reopenable):
    """Encoded images by id. Thread-safe: ``get_bytes`` releases the GIL.

    ``use_saved_index`` / ``save_index`` control the saved index;
    ``cache_dir`` is where indexes of read-only stores go (default
    ``$MIMICIT_CACHE_DIR``, ``$XDG_CACHE_HOME/mimicit`` or ``~/.cache/mimicit``).
    ``index_pages`` (default on) builds seek tables for Parquet pages over
    4 MiB when the saved index has none (one pass over those pages, with a
    progress bar on a terminal; ``mimicit images index STORE`` does it
    ahead of time), so that a get decodes at most about 1 MiB before its
    image whatever the page size.

    A store pickles as the arguments it was opened with; the copy re-opens
    the store (mapping its saved index) when first used, so stores can go
    to ``DataLoader`` workers under any multiprocessing start method.
    """

    def __init__(self, paths: Union[PathLike, Sequence[PathLike]], *, use_saved_index: Optional[bool] = None,
                 save_index: Optional[bool] = None, cache_dir: Optional[PathLike] = None,
                 index_pages: Optional[bool] = None) -> None:
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        names = [os.fsdecode(p) for p in paths]
        if not names:
            raise ValueError("an image store needs at least one path")
        self._paths = names
        self._opened_with = {"paths": names,
                             "use_saved_index": None if use_saved_index is None else bool(use_saved_index),
                             "save_index": None if save_index is None else bool(save_index),
                             "cache_dir": os.fsdecode(cache_dir) if cache_dir is not None else "",
                             "index_pages": index_pages}
        self._start()

    def _open(self, cwd: Optional[str]) -> _NativeImageStore:
        args = dict(self._opened_with)
        if cwd is not None:
            args["paths"] = [resolve(p, cwd) for p in args["paths"]]
            args["cache_dir"] = resolve(args["cache_dir"], cwd)
        return _NativeImageStore(args["paths"], args["use_saved_index"], args["save_index"],
                                 args["cache_dir"], args["index_pages"])

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._paths = self._opened_with["paths"]

    def __len__(self) -> int:
        return len(self._native)

    def __contains__(self, image_id: object) -> bool:
        return self._native.__contains__(image_id)

    def __repr__(self) -> str:
        native = getattr(self, "_handle", None)
        count = f"{len(native)} images" if native is not None else "not open"
        return f"mimicit.ImageStore({getattr(self, '_paths', None)!r}, {count})"

    def get_bytes(self, image_id: Union[str, bytes]) -> bytes:
        """The image file bytes (PNG, JPEG, ...) of ``image_id``. Raises
        :class:`mimicit.NotFoundError` (a ``KeyError``) for an unknown id and
        :class:`mimicit.CorruptError` for bad base64 or a bad page."""
        return self._native.get_bytes(image_id)

    def get_image(self, image_id: Union[str, bytes], *, apply_exif_orientation: bool = False):
        """The image decoded to RGB as Pillow's ``convert("RGB")`` does: a
        numpy ``uint8`` array of shape (H, W, 3). Raises like
        :meth:`get_bytes`, and :class:`mimicit.CorruptError` for an image that
        cannot be decoded (the message names the id)."""
        import numpy as np
        from ._core import CorruptError, decode_rgb
        data = self.get_bytes(image_id)
        try:
            height, width, pixels = decode_rgb(data, apply_exif_orientation=apply_exif_orientation)
        except CorruptError as error:
            raise CorruptError(f"image {image_id!r}: {error}") from None
        return np.frombuffer(pixels, np.uint8).reshape(height, width, 3)

    def index_info(self) -> dict:
        """What opening did: ``index_path`` (the saved index used or
        written), ``used_saved_index``, ``saved_index``,
        ``built_seek_tables``, ``seek_table_bytes`` and ``index_bytes``."""
        return self._native.index_info()

    def ids(self) -> list[str]:
        """Every distinct id, sorted byte-wise (as UTF-8)."""
        return self._native.ids()

    def duplicates(self) -> list[tuple[str, int]]:
        """``(id, occurrences)`` for every id stored more than once."""
        return self._native.duplicates()

    def files(self) -> list[str]:
        """The files read, after expanding folders, in order."""
        return self._native.files()

    def payload_kinds(self) -> list[str]:
        """Per file: ``base64``, ``binary``, ``huggingface_struct``, ``json_base64`` or ``image_file``."""
        return self._native.payload_kinds()

    @property
    def index_bytes(self) -> int:
        """Bytes of memory the id index takes."""
        return self._native.index_bytes()
