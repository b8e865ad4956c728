"""Pickling by what an object was opened with.

ImageStore, Dataset and Loader hold a native handle (mapped index, open
files, worker threads) that cannot cross a process boundary. They pickle as
the arguments they were opened with instead, plus the working directory of
the process that opened them (relative paths keep meaning what they meant
there); the unpickled copy opens its handle on first use, so a
``DataLoader`` worker started with spawn or forkserver re-opens the store
and maps its saved index when it loads its first sample.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Optional


_URL_SCHEMES = ("s3://", "http://", "https://")


def is_url(path: str) -> bool:
    """An s3:// or http(s):// path (the C++ core's remote::is_remote)."""
    return path.startswith(_URL_SCHEMES)


def resolve(path: str, cwd: str) -> str:
    """``path`` as the process whose working directory was ``cwd`` meant it
    (empty stays empty: "not given"; an s3:// or http(s):// URL stays as it
    is)."""
    return os.path.join(cwd, path) if path and not is_url(path) else path


class Reopenable:
    """Base of the wrappers: ``_native`` is the handle, opened by
    ``_open(cwd)`` the first time it is needed. Subclasses set
    ``self._opened_with`` (a picklable dict of their arguments) and call
    ``self._start()`` in ``__init__``; ``_extra_state`` / ``_restore`` carry
    anything else (the Loader's position)."""

    _opened_with: dict
    _cwd: str

    def _open(self, cwd: Optional[str]) -> Any:
        """The native handle; ``cwd`` is None in the process that called
        ``__init__`` and the opener's working directory after unpickling."""
        raise NotImplementedError

    def _start(self) -> None:
        self._lock = threading.Lock()
        self._cwd = os.getcwd()
        self._handle = self._open(None)

    @property
    def _native(self) -> Any:
        handle = self._handle
        if handle is None:
            with self._lock:
                if self._handle is None:
                    handle = self._open(self._cwd)
                    self._restore(handle)
                    self._handle = handle
                handle = self._handle
        return handle

    def _extra_state(self) -> dict:
        return {}

    def _restore(self, handle: Any) -> None:
        """Called with a freshly re-opened handle, before first use."""

    def __getstate__(self) -> dict:
        state = {"opened_with": self._opened_with, "cwd": self._cwd}
        state.update(self._extra_state())
        return state

    def __setstate__(self, state: dict) -> None:
        self._opened_with = state["opened_with"]
        self._cwd = state["cwd"]
        self._pickled_state = state
        self._lock = threading.Lock()
        self._handle = None
