"""mimicit: a C++ engine for MIMIC-IT multimodal datasets.

The heavy lifting happens in the compiled core (``mimicit._core``); this
package re-exports it with Pythonic argument handling.

    >>> import mimicit
    >>> columns = mimicit.parquet.read("images.parquet")
    >>> store = mimicit.ImageStore("images.parquet")
    >>> png = store.get_bytes("LA_IMG_000000377944")
    >>> loader = mimicit.Loader("data.yaml", batch_size=8)    # training batches
    >>> sample = mimicit.Dataset("data.yaml", "IMAGE_TEXT")[0]
    >>> report = mimicit.validate("data.yaml", decode=True)  # problems before training

Errors raised by the core are :class:`MimicitError` instances whose ``code``
names the kind of failure. Subclasses also derive from the matching built-in
exception, so ordinary ``except`` clauses work:

* :class:`IoError` is an :class:`OSError` (missing file, permission denied),
* :class:`InvalidArgumentError` is a :class:`ValueError` (bad option, unknown column),
* :class:`NotFoundError` is a :class:`KeyError`,
* :class:`CorruptError`, :class:`UnsupportedError`, :class:`LimitError`.
"""

from ._core import (
    CorruptError,
    InvalidArgumentError,
    IoError,
    LimitError,
    MimicitError,
    NotFoundError,
    UnsupportedError,
)
from ._core import version as _core_version
from . import parquet
from .image_store import ImageStore
from .loader import Loader
from .validate import validate

__version__ = _core_version()


def remote_stats(reset: bool = False) -> dict:
    """What s3:// and http(s):// reads have cost this process so far:
    ``requests`` sent (every attempt; ``heads`` and ``lists`` among them),
    response body ``bytes``, ``retries``, reads the node cache answered
    (``cache_hits``) or had to fetch for (``cache_misses``), and
    ``fetched_bytes`` written into the cache. ``reset=True`` zeroes the
    counters after reading them (measure one step at a time)."""
    from ._core import _remote_stats

    return dict(_remote_stats(bool(reset)))


def __getattr__(name: str):
    # mimicit.Dataset subclasses torch.utils.data.Dataset when torch is
    # installed: its module (and torch, a few seconds) is imported when the
    # name is first used, not by `import mimicit`.
    if name == "Dataset":
        from .dataset import Dataset
        globals()["Dataset"] = Dataset
        return Dataset
    raise AttributeError(f"module 'mimicit' has no attribute {name!r}")

__all__ = [
    "CorruptError",
    "Dataset",
    "ImageStore",
    "InvalidArgumentError",
    "IoError",
    "LimitError",
    "Loader",
    "MimicitError",
    "NotFoundError",
    "UnsupportedError",
    "__version__",
    "parquet",
    "remote_stats",
    "validate",
]
