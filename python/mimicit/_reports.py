"""The records a Dataset or Loader left out when it opened its data.

An instruction record that is not an object, or whose instruction, answer,
image_ids or rel_ins_ids has the wrong type (where the samples read it), is
dropped when its file is opened, never fatal: the reference would crash on
it with a TypeError. Each drop is a dict: ``task_group``, ``file`` (the JSON
file, or the Parquet shard), ``id``, ``offset`` (JSON: the record's byte
offset), ``row`` (Parquet: the row in the shard, else None), ``field`` (None:
the record itself), ``found`` (what it holds: ``"a number"``, ``"null"``,
...) and ``message``.
"""

from __future__ import annotations

import warnings


def warn_dropped(records: list) -> None:
    """One warning for the drops of an opening (none when there are none)."""
    if not records:
        return
    more = f" (and {len(records) - 1} more)" if len(records) > 1 else ""
    warnings.warn(f"mimicit: {len(records)} instruction record(s) dropped, see dropped_records(): "
                  f"{records[0]['message']}{more}", UserWarning, stacklevel=3)
