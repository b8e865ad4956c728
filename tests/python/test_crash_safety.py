"""Crash safety of `mimicit convert`: SIGKILL at random points, many times.

After every kill the output folder is either absent (it was absent before)
or byte-identical to an uninterrupted run's (the previous complete output
stays until the new one is committed). After a re-run the output is
complete and nothing temporary is left: not beside the output (the run's
OUT.tmp-* folders, their spill), not beside the sources (their saved index
being written), not in the index cache.

The sources are small (a few hundred 8x8 images) so one convert takes a
fraction of a second; the kill delays are seeded. Half the kills wait for
the run's temporary folder to appear first, so the work, spill and merge
phases are hit however fast the machine is; the other half land anywhere
from process start to past the end.

Scenarios: unsorted sources (legacy images.json + a shuffled pandas store:
the spill-and-merge path), a sorted pandas store (straight into the
parts), --reencode png, and the sharded path of mimicit.dask.convert
driven without a cluster (the same C++ shard and merge steps, and the same
leftover cleanup).
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pq = pytest.importorskip("pyarrow.parquet")
Image = pytest.importorskip("PIL.Image")
mimicit = pytest.importorskip("mimicit")

SEED = 20261125
IMAGES_PER_SOURCE = 200
KILLS_PER_SCENARIO = 10
RERUN_EVERY = 3
RUN_TIMEOUT_SECONDS = 30


def small_image(rng: random.Random, index: int) -> bytes:
    image = Image.new("RGB", (8, 8), (index % 256, (index * 7) % 256, rng.randrange(256)))
    for k in range(6):
        image.putpixel((rng.randrange(8), rng.randrange(8)), (rng.randrange(256), 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG" if index % 2 else "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict:
    """The source files and the images they hold: {"json", "shuffled",
    "sorted": paths, "images": {id: bytes}, "sorted_images": {id: bytes}}."""
    root = tmp_path_factory.mktemp("crash_sources")
    rng = random.Random(SEED)
    json_images = {f"J_{i:05d}": small_image(rng, i) for i in range(IMAGES_PER_SOURCE)}
    parquet_images = {f"P_{i:05d}": small_image(rng, i + 7) for i in range(IMAGES_PER_SOURCE)}
    json_items = list(json_images.items())
    rng.shuffle(json_items)
    (root / "legacy_images.json").write_text(
        json.dumps({k: base64.b64encode(v).decode() for k, v in json_items}))
    shuffled = list(parquet_images)
    rng.shuffle(shuffled)
    pd.DataFrame({"base64": [base64.b64encode(parquet_images[k]).decode() for k in shuffled]},
                 index=shuffled).to_parquet(root / "shuffled.parquet")
    sorted_ids = sorted(parquet_images)
    pd.DataFrame({"base64": [base64.b64encode(parquet_images[k]).decode() for k in sorted_ids]},
                 index=sorted_ids).to_parquet(root / "sorted.parquet")
    return {"root": root, "json": root / "legacy_images.json", "shuffled": root / "shuffled.parquet",
            "sorted": root / "sorted.parquet", "images": {**json_images, **parquet_images},
            "sorted_images": parquet_images}


def read_folder(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def stored_images(folder: Path) -> dict[str, bytes]:
    """{id: image bytes} of a converted folder, read with pyarrow and with
    mimicit (both must agree)."""
    table = pq.read_table(folder)
    ids = table.column("__index_level_0__").to_pylist()
    by_pyarrow = dict(zip(ids, (base64.b64decode(v) for v in table.column("base64").to_pylist())))
    assert len(by_pyarrow) == len(ids), "an id is stored twice"
    assert ids == sorted(ids), "rows are not sorted by id across the parts"
    by_mimicit: dict[str, bytes] = {}
    for part in sorted(folder.glob("*.parquet")):
        columns = mimicit.parquet.read(part)
        for image_id, text in zip(columns["__index_level_0__"], columns["base64"]):
            by_mimicit[image_id] = base64.b64decode(text)
    assert by_mimicit == by_pyarrow
    store = mimicit.ImageStore(folder, use_saved_index=False, save_index=False)
    assert sorted(store.ids()) == sorted(by_pyarrow)
    assert all(store.get_bytes(k) == by_pyarrow[k] for k in list(by_pyarrow)[::37])
    return by_pyarrow


def leftovers(work: Path, sources_root: Path, cache: Path, out_name: str) -> list[str]:
    """Temporary files a finished run must not leave behind."""
    found = [str(p) for p in work.iterdir() if p.name != out_name]
    found += [str(p) for p in sources_root.iterdir() if ".tmp" in p.name]
    found += [str(p) for p in cache.rglob("*") if ".tmp" in p.name]
    return found


def remove_saved_indexes(sources_root: Path, cache: Path) -> None:
    """So the next run builds and saves them again (a kill can then land in
    the save)."""
    for path in list(sources_root.glob(".*mimicit-index*")) + list(cache.glob("*")):
        path.unlink()


def kill_at(command: list[str], env: dict, delay: float, wait_for: Path | None) -> int | None:
    """Starts `command`, waits `delay` seconds (after an entry starting with
    "out.tmp" appears in `wait_for`, when given), SIGKILLs it; returns its
    exit status (None: killed)."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if wait_for is not None:
            deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                if any(name.startswith("out.tmp") for name in os.listdir(wait_for)):
                    break
                time.sleep(0.0005)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=RUN_TIMEOUT_SECONDS)
        stderr = process.stderr.read().decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    if process.returncode == -signal.SIGKILL:
        return None
    assert process.returncode == 0, f"{command} exited {process.returncode}: {stderr}"
    return 0


def dask_driver_command(sources: list[Path], out: Path, options: dict) -> list[str]:
    """mimicit.dask.convert's steps (leftover cleanup, plan, shards, part
    plan, parts, commit, work folder removal) run in this order in one process, without a
    cluster: the tasks are the same functions the workers call."""
    script = f"""
import os, uuid, sys
from mimicit import dask as d
options = d._convert_options({[str(s) for s in sources]!r}, {str(out)!r}, **{options!r})
d._remove_leftovers(options["out"])
plan = d._plan_task(options, 60, 0)
work_dir = options["out"] + d._WORK_SUFFIX + uuid.uuid4().hex[:12]
os.makedirs(work_dir)
reports = [d._shard_task(shard, options, work_dir) for shard in plan["shards"]]
merge = d._layout_task(options, plan, work_dir, reports)
for part in range(len(merge["parts"])):
    d._part_task(part, options, merge, work_dir)
d._core.convert_commit(options, merge, work_dir)
d._remove_work_dir(work_dir)
"""
    return [sys.executable, "-c", script]


DASK_OPTIONS = dict(max_partition_size="64KiB", compression="snappy", reencode="keep", resize=0,
                    verify=False, png_level="fast", jpeg_quality=95, payload="base64", threads=2)

SCENARIOS = {
    # name: (sources, extra CLI arguments)
    "unsorted": (("json", "shuffled"), ["--max-partition-size", "64KiB"]),
    "sorted": (("sorted",), ["--max-partition-size", "64KiB"]),
    "reencode_png": (("json", "shuffled"), ["--reencode", "png"]),
    "dask_shards": (("json", "shuffled"), None),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_convert_survives_sigkill(scenario, sources, mimicit_bin, tmp_path):
    names, extra = SCENARIOS[scenario]
    paths = [sources[n] for n in names]
    cache = tmp_path / "cache"
    cache.mkdir()
    env = dict(os.environ, MIMICIT_CACHE_DIR=str(cache))
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"

    def command(target: Path) -> list[str]:
        if extra is None:
            return dask_driver_command(paths, target, DASK_OPTIONS)
        return [str(mimicit_bin), "convert", *map(str, paths), "-o", str(target), "--threads", "2", *extra]

    # The uninterrupted run: checked against the sources, then the yardstick.
    reference_dir = tmp_path / "reference" / "out"
    reference_dir.parent.mkdir()
    started = time.monotonic()
    subprocess.run(command(reference_dir), env=env, check=True, timeout=RUN_TIMEOUT_SECONDS,
                   capture_output=True)
    run_seconds = time.monotonic() - started
    reference = read_folder(reference_dir)
    assert all(name.endswith(".parquet") for name in reference), sorted(reference)
    if extra is not None and "--max-partition-size" in extra or extra is None:
        assert len(reference) > 1, "the scenario should write several parts"
    images = stored_images(reference_dir)
    expected = sources["sorted_images"] if names == ("sorted",) else sources["images"]
    assert sorted(images) == sorted(expected)
    if extra is not None and "png" in extra:
        assert all(v.startswith(b"\x89PNG\r\n\x1a\n") for v in images.values())
    else:
        assert images == expected

    rng = random.Random(f"{SEED}-{scenario}")
    outcomes = {"absent": 0, "complete": 0, "finished": 0}
    for attempt in range(KILLS_PER_SCENARIO):
        had_output = out.exists()
        if had_output and rng.random() < 0.4:
            subprocess.run(["rm", "-rf", str(out)], check=True)
            had_output = False
        if rng.random() < 0.3:
            remove_saved_indexes(sources["root"], cache)
        triggered = attempt % 2 == 0
        delay = rng.uniform(0, run_seconds * (0.5 if triggered else 1.2))
        status = kill_at(command(out), env, delay, work if triggered else None)
        outcomes["finished" if status == 0 else "complete" if out.exists() else "absent"] += 1
        # Absent, or complete: never a partial folder under the final name.
        if out.exists():
            assert read_folder(out) == reference, f"kill {attempt} (after {delay:.3f} s) left a partial output"
        else:
            assert not had_output, f"kill {attempt} removed the previous output"
        if attempt % RERUN_EVERY == RERUN_EVERY - 1 or attempt == KILLS_PER_SCENARIO - 1:
            rerun = subprocess.run(command(out), env=env, capture_output=True, timeout=RUN_TIMEOUT_SECONDS)
            assert rerun.returncode == 0, rerun.stderr.decode(errors="replace")
            assert read_folder(out) == reference
            assert leftovers(work, sources["root"], cache, "out") == [], f"after kill {attempt}"
    print(f"{scenario}: one run {run_seconds:.3f} s; after the kills: {outcomes}")
