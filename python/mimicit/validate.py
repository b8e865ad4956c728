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

__all__ = ["validate", "KINDS"]

PathLike = Union[str, "os.PathLike[str]"]

# Every problem kind, in the order of the summary's counts.
KINDS = (
    "bad_config",             # unknown group or key, wrong value type, repeated group or dataset
    "missing_file",           # a *_path that does not exist
    "bad_file",               # a file that cannot be read or parsed
    "bad_record",             # a record not an object or with a field of the wrong type (dropped)
    "duplicate_instruction",  # an id in two datasets of a group (the later wins), or twice in a file
    "missing_instruction",    # a train config key without a record in the group
    "missing_related",        # a rel_ins_ids / train config list id the group does not hold
    "empty_text",             # instruction or answer empty (or blank) after cleaning, or absent
    "no_images",              # a record of an image group without image_ids
    "missing_image",          # an image id in none of the group's stores
    "duplicate_image",        # an image id twice in a store or in two stores of a group
    "bad_base64",             # (decode) a payload that is not base64
    "undecodable_image",      # (decode) an image the decoder refuses
    "tiny_image",             # (decode) an image under 8 pixels a side
    "lenient_base64",         # (decode) notice, not a problem: base64 decoded only with leniency
)


def validate(yaml: PathLike, decode: bool = False, threads: Optional[int] = None, *,
             base_dir: Optional[PathLike] = None, cache_dir: Optional[PathLike] = None,
             max_problems: int = 1000, python_unicode: str = "3.9") -> dict:
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
    if int(max_problems) < 0:
        raise ValueError(f"max_problems must be 0 (all) or more, not {max_problems}")
    text = _native_validate(
        os.fsdecode(yaml), bool(decode), 0 if threads is None else int(threads),
        os.fsdecode(base_dir) if base_dir is not None else "",
        os.fsdecode(cache_dir) if cache_dir is not None else "", int(max_problems), str(python_unicode))
    return json.loads(text)
