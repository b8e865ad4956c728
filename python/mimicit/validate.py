"""Check a data YAML before training: ``mimicit.validate`` (the Python face
of ``mimicit validate DATA.yaml --json``).

    >>> report = mimicit.validate("data.yaml", decode=True)
    >>> report["summary"]["counts"]["missing_image"]
    >>> for p in report["problems"]:
    ...     print(p["kind"], p["group"], p["dataset"], p["id"], p["image_id"], p["detail"])

The report is a dict with the structure of the CLI's JSON output:
``{"problems": [{"kind", "group", "dataset", "id", "image_id", "file",
"detail"}, ...], "summary": {"counts": {kind: n}, "problems", "notices",
"omitted", "groups", "datasets", "records", "image_refs", "stores", "images",
"images_decoded", "decoded", "seconds", "notes"}}``. Problems are sorted by
kind, group, dataset, id, image id; empty fields are ``""``. The kinds and
what they mean are listed in ``KINDS`` (and in ``include/mimicit/validate.h``).
``lenient_base64`` is a notice: listed and counted in ``counts`` and
``notices``, but not in ``problems``.

Problems are reported, never raised; an exception means validation could
not run: an unreadable YAML raises :class:`mimicit.IoError` (an
``OSError``), bad arguments :class:`mimicit.InvalidArgumentError` (a
``ValueError``). The GIL is released while validating.
"""

from __future__ import annotations

import json
import os
from typing import Optional, Union

from ._core import validate as _native_validate
from ._options import NAMES, defaults_doc, given

__all__ = ["validate", "KINDS"]

PathLike = Union[str, "os.PathLike[str]"]

# Every problem kind, in the order of the summary's counts (what each means:
# include/mimicit/validate.h, or `mimicit validate --help`).
KINDS = tuple(NAMES["problem_kind"])


def validate(yaml: PathLike, decode: Optional[bool] = None, threads: Optional[int] = None, *,
             base_dir: Optional[PathLike] = None, cache_dir: Optional[PathLike] = None,
             max_problems: Optional[int] = None, python_unicode: Optional[str] = None) -> dict:
    """Validates the data YAML ``yaml`` and returns the report dict.

    ``decode``: also read and decode every image of the stores. ``threads``:
    worker threads (None: all cores). ``base_dir``: resolve relative paths
    against it (default: the working directory, as the reference).
    ``cache_dir``: where store indexes go when a store's folder is read-only.
    ``max_problems``: problems of one kind listed per dataset (0: all); the
    summary counts all of them. ``python_unicode``: the Unicode tables
    empty_text cleans with, as :class:`mimicit.Dataset`'s.
    """
    if threads is not None and int(threads) < 1:
        raise ValueError(f"threads must be at least 1 (or None for all cores), not {threads}")
    if max_problems is not None and int(max_problems) < 0:
        raise ValueError(f"max_problems must be 0 (all) or more, not {max_problems}")
    options = given(
        decode=None if decode is None else bool(decode),
        threads=None if threads is None else int(threads),
        base_dir=None if base_dir is None else os.fsdecode(base_dir),
        cache_dir=None if cache_dir is None else os.fsdecode(cache_dir),
        max_problems=None if max_problems is None else int(max_problems),
        python_unicode=None if python_unicode is None else str(python_unicode))
    return json.loads(_native_validate(os.fsdecode(yaml), options))


validate.__doc__ = (validate.__doc__ or "") + defaults_doc("validate", skip=("base_dir", "cache_dir", "max_pixels"))
