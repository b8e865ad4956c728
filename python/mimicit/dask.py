"""``mimicit convert`` and ``mimicit validate`` on a Dask cluster.

    >>> from dask.distributed import Client
    >>> import mimicit.dask
    >>> client = Client("tcp://scheduler:8786")
    >>> mimicit.dask.convert(["LA_images.json"], "LA_store", client=client, reencode="png")
    >>> report = mimicit.dask.validate("data.yaml", client=client, decode=True)

The work is cut into tasks that run the C++ code on the workers (each task
opens the stores itself; their saved index makes that fast):

* ``convert``: storage order (each source file front to back) is cut into
  shards: never across two files, Parquet row groups kept whole when that
  keeps shards near their size (a row group's dictionary and pages are then
  read by one task), legacy JSON by byte ranges, image folders by file
  ranges. Each shard task writes its images' stored values and a rank table
  into a work folder beside ``out``. Then the merge, in parallel too: one
  task reads the shards' tables (12 bytes per image, no value) and cuts id
  order into the output's parts (and writes ``_dropped.jsonl``), one task
  per part writes that part under a temporary name and renames it in, and
  this process commits: it renames the finished folder over ``out``. The
  output is identical, byte for byte, to what ``mimicit convert`` writes
  with the same options on one machine.
* ``validate``: the decode pass (the expensive part) runs as one task per
  range of each store; the YAML, records and ids are checked by one final
  task that takes the decode results in. The report is the one
  ``mimicit.validate`` gives (``summary.seconds`` aside).

Every worker (and this process, for ``convert``) must see the sources, the
YAML, the stores and the output's folder under the same paths: shared
storage. Relative paths are made absolute here, against this process's
working directory (``validate``'s ``base_dir`` defaults to it too).

Failures: a task that raises is retried (``retries``); a task lost with its
worker is rerun by the scheduler. Shard and part tasks are idempotent (a
shard or part is written under a temporary name and renamed when complete;
a rerun finding it done returns at once), so a killed worker costs only its
unfinished tasks. The output is committed only after every part is
written; a failed,
cancelled (KeyboardInterrupt) or killed run leaves ``out`` as it was, and
its work folder (``OUT.tmp-dask-*``) is removed, or, when this process was
killed, by the next run into the same output. Two runs into the same output
at the same time are not supported.

``out`` may be ``s3://bucket/prefix`` (an empty prefix, checked by the plan
task): each part task uploads its part by a multipart upload it leaves
open, and this process completes them all (with ``_dropped.jsonl``) once
every part was sent, so the objects appear only when the run succeeds
(this process needs the bucket's AWS settings too); a failed or cancelled
run aborts the uploads open under the prefix (docs/object_storage.md). The
work folder is then ``work_dir`` (a folder every worker sees; default: this
process's temporary folder, which fits a LocalCluster).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
import time
import uuid
from typing import Optional, Sequence, Union

from . import _core
from ._options import given
from ._reopen import is_url

__all__ = ["convert", "validate"]

PathLike = Union[str, "os.PathLike[str]"]

_WORK_SUFFIX = ".tmp-dask-"


def _client(client):
    if client is not None:
        return client
    from distributed import get_client
    return get_client()  # the default client; raises ValueError when there is none


def _threads_of_cluster(client) -> int:
    return max(1, sum(client.nthreads().values()))


def _absolute(path: PathLike) -> str:
    path = os.fsdecode(path)
    return path if is_url(path) else os.path.abspath(path)


# -- convert ---------------------------------------------------------------

def _convert_options(sources: Sequence[PathLike], out: PathLike, *, max_partition_size, compression,
                     reencode, resize, verify, png_level, jpeg_quality, payload, threads) -> dict:
    """The sources, the output and the options the caller gave (None: the
    default of mimicit convert, ConvertOptions')."""
    if isinstance(sources, (str, bytes, os.PathLike)):
        sources = [sources]
    if not sources:
        raise ValueError("no source to convert")
    if png_level == "fast":
        png_level = -1
    elif png_level is not None and not (isinstance(png_level, int) and 0 <= png_level <= 9):
        raise ValueError(f"png_level must be 'fast' or 0 to 9, not {png_level!r}")
    if threads < 0:
        raise ValueError(f"threads must be 0 (all cores) or more, not {threads}")
    options = given(
        max_partition_size=max_partition_size if max_partition_size is None or isinstance(max_partition_size, str)
        else int(max_partition_size),
        compression=None if compression is None else str(compression),
        reencode=None if reencode is None else str(reencode),
        resize=None if resize is None else int(resize),
        verify=None if verify is None else bool(verify),
        png_level=None if png_level is None else int(png_level),
        jpeg_quality=None if jpeg_quality is None else int(jpeg_quality),
        payload=None if payload is None else str(payload),
        threads=int(threads))
    return {"sources": [_absolute(s) for s in sources], "out": _absolute(out), **options}


def _plan_task(options: dict, shard_images: int, shards: int) -> dict:
    return _core.convert_plan(options, shard_images, shards)


def _shard_task(shard: tuple, options: dict, work_dir: str) -> dict:
    return _core.convert_shard(options, shard, work_dir)


def _layout_task(options: dict, plan: dict, work_dir: str, shard_reports: list) -> dict:
    start = time.monotonic()
    merge = _core.convert_layout(options, plan, work_dir)
    merge["seconds"] = time.monotonic() - start
    merge["reused_shards"] = sum(1 for r in shard_reports if r["reused"])
    return merge


def _part_task(part: int, options: dict, merge: dict, work_dir: str) -> dict:
    return _core.convert_part(options, merge, part, work_dir)


def _remove_work_dir(folder: str) -> None:
    """Renamed first, then removed: a task still running finds none of its
    paths any more and fails (never recreating a file the removal would race
    with); the new name still matches the leftovers' pattern."""
    gone = folder + ".removing-" + uuid.uuid4().hex[:8]
    try:
        os.rename(folder, gone)
    except FileNotFoundError:
        return
    shutil.rmtree(gone, ignore_errors=True)


def _remove_leftovers(out: str) -> None:
    """Work folders of earlier runs into `out` that died with their driver."""
    for folder in glob.glob(glob.escape(out) + _WORK_SUFFIX + "*"):
        _remove_work_dir(folder)


def convert(sources: Union[PathLike, Sequence[PathLike]], out: PathLike, *, client=None,
            max_partition_size: Union[int, str, None] = None, compression: Optional[str] = None,
            reencode: Optional[str] = None, resize: Optional[int] = None, verify: Optional[bool] = None,
            png_level: Union[int, str, None] = None, jpeg_quality: Optional[int] = None,
            payload: Optional[str] = None, threads: int = 1, shard_images: Optional[int] = None, tasks_per_thread: int = 8,
            retries: int = 2, work_dir: Optional[PathLike] = None) -> dict:
    """Converts ``sources`` into the store folder ``out`` on the cluster of
    ``client`` (default: the current Dask client), as ``mimicit convert
    SOURCES -o OUT`` does on one machine (the options are its flags, with
    its defaults for those left at None).

    ``threads``: C++ threads per task (default 1: the workers' threads run
    tasks side by side). ``shard_images``: images per shard; default: about
    ``tasks_per_thread`` shards per worker thread of the cluster.
    ``retries``: reruns of a task that raised. ``work_dir``: the folder for
    the shards' work folder when ``out`` is s3:// (see above).

    Returns the report: ``images``, ``dropped``, ``duplicates``,
    ``partitions``, ``bytes_in``, ``bytes_out``, ``shards``,
    ``reused_shards`` (shards found done by a rerun task), ``reused_parts``,
    ``seconds``, ``merge_seconds`` (from the part plan's start to the
    commit: the parts are written in parallel) and ``plan_parts_seconds``
    (the part plan, the merge's one serial task).
    """
    start = time.monotonic()
    client = _client(client)
    options = _convert_options(sources, out, max_partition_size=max_partition_size,
                               compression=compression, reencode=reencode, resize=resize,
                               verify=verify, png_level=png_level, jpeg_quality=jpeg_quality,
                               payload=payload, threads=threads)
    if shard_images is not None and int(shard_images) < 1:
        raise ValueError(f"shard_images must be at least 1, not {shard_images}")
    out = options["out"]
    remote = is_url(out)
    if remote:
        # The work folder is local (shared by the workers); the part tasks
        # upload the parts.
        base = _absolute(work_dir if work_dir is not None else tempfile.gettempdir())
        os.makedirs(base, exist_ok=True)
        work_base = os.path.join(base, "mimicit-" + uuid.uuid5(uuid.NAMESPACE_URL, out).hex[:12])
    else:
        work_base = out
    _remove_leftovers(work_base)
    wanted_shards = _threads_of_cluster(client) * max(1, int(tasks_per_thread))
    plan = client.submit(_plan_task, options, int(shard_images or 0), wanted_shards,
                         retries=retries, pure=False).result()
    work_dir = work_base + _WORK_SUFFIX + uuid.uuid4().hex[:12]
    os.makedirs(work_dir)
    futures: list = []
    try:
        shards = client.map(_shard_task, plan["shards"], options=options, work_dir=work_dir,
                            retries=retries, pure=False)
        futures.extend(shards)
        layout = client.submit(_layout_task, options, plan, work_dir, shards, retries=retries,
                               pure=False)
        futures.append(layout)
        merge = layout.result()
        merge_start = time.monotonic() - merge["seconds"]
        # The part tasks take the merge plan from the layout task's worker
        # (a future, not a copy per task).
        parts = client.map(_part_task, range(len(merge["parts"])), options=options, merge=layout,
                           work_dir=work_dir, retries=retries, pure=False)
        futures.extend(parts)
        part_reports = client.gather(parts)
        # A rename (s3://: the parts' uploads completed): no part is written here.
        report = _core.convert_commit(options, merge, work_dir, part_reports)
    except BaseException:
        # Failed or cancelled (KeyboardInterrupt): nothing is committed. Tasks
        # still running find their folder gone and stop.
        if futures:
            client.cancel(futures)
        _remove_work_dir(work_dir)
        _core.convert_abandon(options)
        raise
    _remove_work_dir(work_dir)  # the commit removed it, unless a straggler wrote into it since
    report.pop("seconds")
    report["shards"] = len(plan["shards"])
    report["reused_shards"] = merge["reused_shards"]
    report["reused_parts"] = sum(1 for r in part_reports if r["reused"])
    report["plan_parts_seconds"] = merge["seconds"]
    report["merge_seconds"] = time.monotonic() - merge_start
    report["seconds"] = time.monotonic() - start
    return report


# -- validate --------------------------------------------------------------

def _validate_options(decode: bool, threads: int, base_dir: str, cache_dir: str,
                      max_problems: Optional[int]) -> dict:
    return given(decode=bool(decode), threads=int(threads), base_dir=base_dir, cache_dir=cache_dir,
                 max_problems=None if max_problems is None else int(max_problems))


def _decode_plan_task(yaml: str, options: dict, range_images: int, ranges: int) -> list:
    """[(store path, [range, ...]), ...] for every store the decode pass
    reads; a store that cannot be opened is left out (validate reports it)."""
    planned = []
    for store in _core.validate_decode_targets(yaml, options):
        try:
            planned.append((store, _core.storage_ranges(store, range_images, ranges,
                                                        options["cache_dir"])))
        except _core.MimicitError:
            continue
    return planned


def _decode_task(piece: tuple, options: dict) -> tuple:
    store, storage_range = piece
    return _core.validate_decode_range(store, storage_range, options)


def _final_task(yaml: str, options: dict, stores: list, pieces: list) -> str:
    decoded: dict = {}
    for (store, _ranges), results in zip(stores, pieces):
        decoded[store] = results
    return _core.validate_with_decoded(yaml, options, decoded)


def validate(yaml: PathLike, *, client=None, decode: bool = False, threads: Optional[int] = None,
             base_dir: Optional[PathLike] = None, cache_dir: Optional[PathLike] = None,
             max_problems: Optional[int] = None, range_images: Optional[int] = None,
             tasks_per_thread: int = 3, retries: int = 2) -> dict:
    """The report of ``mimicit.validate(yaml, decode=decode)``, computed on
    the cluster of ``client`` (default: the current Dask client).

    With ``decode``, every image store is read in ranges of about
    ``range_images`` images (default: about ``tasks_per_thread`` ranges per
    worker thread, per store), one task each, on ``threads`` C++ threads
    (default 1); the records are checked by one task on all the cores of
    its worker. ``base_dir`` defaults to this process's working directory
    (the reference resolves relative paths against it; the workers' may
    differ): the report equals ``mimicit.validate(yaml, decode=decode,
    base_dir=base_dir)``'s, paths from the YAML appearing resolved.
    """
    client = _client(client)
    if max_problems is not None and int(max_problems) < 0:
        raise ValueError(f"max_problems must be 0 (all) or more, not {max_problems}")
    if threads is not None and int(threads) < 1:
        raise ValueError(f"threads must be at least 1 (or None), not {threads}")
    if range_images is not None and int(range_images) < 1:
        raise ValueError(f"range_images must be at least 1, not {range_images}")
    yaml = _absolute(yaml)
    base = _absolute(base_dir) if base_dir is not None else os.getcwd()
    cache = os.fsdecode(cache_dir) if cache_dir is not None else ""
    piece_options = _validate_options(decode, threads or 1, base, cache, max_problems)
    final_options = _validate_options(decode, threads or 0, base, cache, max_problems)
    futures: list = []
    try:
        stores: list = []
        pieces: list = []
        if decode:
            wanted = _threads_of_cluster(client) * max(1, int(tasks_per_thread))
            stores = client.submit(_decode_plan_task, yaml, piece_options, int(range_images or 0),
                                   wanted, retries=retries, pure=False).result()
            for store, ranges in stores:
                batch = client.map(_decode_task, [(store, r) for r in ranges], options=piece_options,
                                   retries=retries, pure=False)
                futures.extend(batch)
                pieces.append(batch)
        final = client.submit(_final_task, yaml, final_options, stores, pieces, retries=retries,
                              pure=False)
        futures.append(final)
        return json.loads(final.result())
    except BaseException:
        if futures:
            client.cancel(futures)
        raise
