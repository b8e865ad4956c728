"""mimicit.dask.convert on a dask.distributed LocalCluster (2 worker
processes): the output folder is byte-identical to `mimicit convert`'s with
the same options, for every kind of source; a worker killed mid-run costs
nothing but time; a cancelled or crashed run commits nothing and leaves
nothing behind once a run succeeds."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
np = pytest.importorskip("numpy")
distributed = pytest.importorskip("distributed")
Image = pytest.importorskip("PIL.Image")
mimicit_dask = pytest.importorskip("mimicit.dask")


@pytest.fixture(scope="module")
def client(dask_client):
    return dask_client


def encoded(image: "Image.Image", fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def make_images(count: int, seed: int, size: int = 24) -> dict[str, bytes]:
    """Noise PNGs and JPEGs of assorted sizes, ids in scrambled order, and
    two files no decoder accepts (for --verify)."""
    rng = np.random.default_rng(seed)
    images = {}
    for i in rng.permutation(count * 3)[:count]:
        w, h = size + int(i) % 17, size - 4 + int(i) % 9
        pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        images[f"LA_IMG_{int(i):06d}"] = encoded(Image.fromarray(pixels), "PNG" if i % 2 else "JPEG")
    images["LA_IMG_garbage"] = b"\x89PNG\r\n\x1a\n but nothing after the signature"
    images["LA_IMG_text"] = b"plain text, not an image"
    return images


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def frame_of(images: dict[str, bytes]) -> "pd.DataFrame":
    return pd.DataFrame.from_dict({k: b64(v) for k, v in images.items()}, orient="index",
                                  columns=["base64"])


def pandas_store(root: Path) -> list[Path]:
    """As the reference writes it, with several row groups (pyarrow)."""
    path = root / "pandas.parquet"
    pq.write_table(pa.Table.from_pandas(frame_of(make_images(150, 1))), path, row_group_size=23)
    return [path]


def dask_folder(root: Path) -> list[Path]:
    import dask.dataframe as dd
    folder = root / "dask_store"
    dd.from_pandas(frame_of(make_images(120, 2)), npartitions=4).to_parquet(folder, engine="pyarrow")
    return [folder]


def legacy_json(root: Path) -> list[Path]:
    legacy: dict = {k: b64(v) for k, v in make_images(100, 3).items()}
    legacy["LA_IMG_bad_b64"] = "@@@ not base64 @@@"
    legacy["LA_IMG_null"] = None
    first = next(iter(legacy))
    legacy[first] = [legacy[first], "extra"]
    legacy["LA_IMG_unpadded"] = b64(make_images(1, 9)["LA_IMG_garbage"]).rstrip("=")
    path = root / "images.json"
    path.write_text(json.dumps(legacy))
    return [path]


def image_folder(root: Path) -> list[Path]:
    folder = root / "folder"
    folder.mkdir()
    for image_id, data in make_images(80, 4).items():
        suffix = ".jpg" if data.startswith(b"\xff\xd8") else ".png"
        (folder / (image_id + suffix)).write_bytes(data)
    return [folder]


def mixed(root: Path) -> list[Path]:
    """A pandas file, then a JSON holding some of its ids again (last wins)."""
    first = pandas_store(root)
    again = {k: b64(v) for k, v in list(make_images(150, 1).items())[:40]}
    again.update({k: b64(v) for k, v in make_images(30, 5).items()})
    (root / "more.json").write_text(json.dumps(again))
    return first + [root / "more.json"]


SOURCES = {"pandas": pandas_store, "dask": dask_folder, "json": legacy_json, "folder": image_folder,
           "mixed": mixed}

# (CLI flags, the same as mimicit.dask.convert keywords)
REENCODE_PNG = (["--reencode", "png", "--verify", "--max-partition-size", "64KiB"],
                {"reencode": "png", "verify": True, "max_partition_size": "64KiB"})
JPEG_BINARY = (["--reencode", "jpeg", "--resize", "20", "--payload", "binary", "--compression", "zstd",
                "--max-partition-size", "48KiB"],
               {"reencode": "jpeg", "resize": 20, "payload": "binary", "compression": "zstd",
                "max_partition_size": 48 * 1024})
KEEP = (["--max-partition-size", "100KiB"], {"max_partition_size": "100KiB"})


def folder_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def cli_convert(run_cli, sources: list[Path], out: Path, flags: list[str]) -> dict[str, bytes]:
    result = run_cli("convert", *sources, "-o", out, *flags, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return folder_bytes(out)


def leftovers(out: Path) -> list[Path]:
    return sorted(out.parent.glob(out.name + ".tmp*"))


@pytest.mark.parametrize("source, options", [
    ("pandas", REENCODE_PNG), ("dask", REENCODE_PNG), ("json", REENCODE_PNG), ("folder", REENCODE_PNG),
    ("mixed", JPEG_BINARY), ("json", KEEP), ("pandas", KEEP)])
def test_identical_to_the_cli(tmp_path, run_cli, client, source, options):
    flags, keywords = options
    sources = SOURCES[source](tmp_path)
    expected = cli_convert(run_cli, sources, tmp_path / "cli_out", flags)
    out = tmp_path / "dask_out"
    report = mimicit_dask.convert(sources, out, client=client, shard_images=17, **keywords)
    assert report["shards"] > 3
    assert folder_bytes(out) == expected
    assert report["partitions"] == len([n for n in expected if n.endswith(".parquet")])
    dropped = expected.get("_dropped.jsonl", b"").decode().splitlines()
    assert report["dropped"] == len(dropped)
    if source in ("json", "pandas") and options is REENCODE_PNG:
        assert {json.loads(line)["id"] for line in dropped} >= {"LA_IMG_garbage", "LA_IMG_text"}
    assert not leftovers(out)


def test_default_shards_and_rerun_replaces_the_output(tmp_path, run_cli, client):
    sources = legacy_json(tmp_path)
    expected = cli_convert(run_cli, sources, tmp_path / "cli_out", KEEP[0])
    out = tmp_path / "dask_out"
    first = mimicit_dask.convert(sources, out, client=client, **KEEP[1])
    assert first["shards"] >= 2  # about 3 per worker thread
    (out / "stale.txt").write_text("from an older run")
    mimicit_dask.convert([str(p) for p in sources], str(out), client=client, **KEEP[1])
    assert folder_bytes(out) == expected
    assert not leftovers(out)


def slow_store(root: Path) -> list[Path]:
    """Large noise images: re-encoding at PNG level 9 takes a while."""
    rng = np.random.default_rng(11)
    images = {f"SLOW_{i:04d}": encoded(Image.fromarray(rng.integers(0, 256, (160, 160, 3), dtype=np.uint8)),
                                       "JPEG")
              for i in rng.permutation(160)}
    path = root / "slow.parquet"
    pq.write_table(pa.Table.from_pandas(frame_of(images)), path, row_group_size=10)
    return [path]


SLOW = (["--reencode", "png", "--png-level", "9", "--max-partition-size", "2MiB"],
        {"reencode": "png", "png_level": 9, "max_partition_size": "2MiB"})


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def work_dirs(out: Path) -> list[Path]:
    return sorted(out.parent.glob(out.name + ".tmp-dask-*"))


def shards_done(out: Path) -> int:
    return sum(len(list(d.glob("shard-*"))) for d in work_dirs(out))


def test_worker_killed_mid_run(tmp_path, run_cli, client):
    sources = slow_store(tmp_path)
    expected = cli_convert(run_cli, sources, tmp_path / "cli_out", SLOW[0])
    out = tmp_path / "dask_out"
    results: list = []
    errors: list = []

    def run():
        try:
            results.append(mimicit_dask.convert(sources, out, client=client, shard_images=10, **SLOW[1]))
        except BaseException as e:  # noqa: BLE001 - reported by the test thread
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    # Kill a worker while it is converting a shard, some shards done, most not.
    wait_for(lambda: shards_done(out) >= 1 and any(client.processing().values()), what="a running shard")
    pids = client.run(os.getpid)
    busy = next(addr for addr, keys in client.processing().items() if keys)
    done_at_kill = shards_done(out)
    os.kill(pids[busy], signal.SIGKILL)
    thread.join(timeout=180)
    assert not thread.is_alive()
    assert not errors, errors
    assert done_at_kill < results[0]["shards"]
    assert folder_bytes(out) == expected
    assert not leftovers(out)
    wait_for(lambda: len(client.scheduler_info()["workers"]) == 2, what="the nanny to restart the worker")


# Ctrl-C raises KeyboardInterrupt in the driver even when the test runs in a
# background job, whose children inherit SIGINT ignored (bash without job
# control), so Python would not install its handler.
DRIVER = """
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)
import distributed
import mimicit.dask
with distributed.Client(sys.argv[1]) as client:
    mimicit.dask.convert([sys.argv[2]], sys.argv[3], client=client, shard_images=10,
                         reencode="png", png_level=9, max_partition_size="2MiB")
"""


def start_driver(client, sources: list[Path], out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", DRIVER, client.scheduler.address, str(sources[0]),
                             str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_idle(client) -> None:
    wait_for(lambda: not any(client.processing().values()), what="the cluster to go idle")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["cancelled", "crashed"])
def test_cancelled_or_crashed_run_commits_nothing(tmp_path, run_cli, client, stop):
    sources = slow_store(tmp_path)
    expected = cli_convert(run_cli, sources, tmp_path / "cli_out", SLOW[0])
    out = tmp_path / "dask_out"
    driver = start_driver(client, sources, out)
    try:
        wait_for(lambda: shards_done(out) >= 1 or driver.poll() is not None, what="a first shard")
        assert driver.poll() is None, driver.stderr.read().decode()
        driver.send_signal(stop)
        driver.wait(timeout=60)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode != 0
    assert not out.exists()
    if stop == signal.SIGINT:
        assert b"KeyboardInterrupt" in driver.stderr.read()
    wait_idle(client)
    if stop == signal.SIGINT:
        assert not work_dirs(out)  # the driver removed its work folder
    report = mimicit_dask.convert(sources, out, client=client, shard_images=10, **SLOW[1])
    assert report["images"] == 160
    assert folder_bytes(out) == expected
    assert not leftovers(out)


def test_failure_raises_and_leaves_the_previous_output(tmp_path, run_cli, client):
    sources = legacy_json(tmp_path)
    out = tmp_path / "dask_out"
    mimicit_dask.convert(sources, out, client=client, **KEEP[1])
    before = folder_bytes(out)
    with pytest.raises(OSError, match="missing.parquet"):
        mimicit_dask.convert([tmp_path / "missing.parquet"], out, client=client, retries=0)
    with pytest.raises(ValueError, match="too small"):
        mimicit_dask.convert(sources, out, client=client, max_partition_size=100, retries=0)
    assert folder_bytes(out) == before
    assert not leftovers(out)


# -- the merge, one task per output part -------------------------------------

PARTS = (["--max-partition-size", "24KiB"], {"max_partition_size": "24KiB"})


def test_merge_runs_per_part_on_the_workers(tmp_path, run_cli, client, monkeypatch):
    """Every part is written by a task on a worker process; this process
    only plans and commits (a rename): the C++ steps that read images or
    write Parquet are off limits to it."""
    sources = mixed(tmp_path)
    expected = cli_convert(run_cli, sources, tmp_path / "cli_out", PARTS[0])
    parts = len([n for n in expected if n.endswith(".parquet")])
    assert parts >= 4

    def forbidden(*args, **kwargs):
        raise AssertionError("the driver ran a worker's step")

    for name in ("convert_plan", "convert_shard", "convert_layout", "convert_part"):
        monkeypatch.setattr(mimicit_dask._core, name, forbidden)
    out = tmp_path / "dask_out"
    with distributed.get_task_stream(client) as stream:
        report = mimicit_dask.convert(sources, out, client=client, shard_images=40, **PARTS[1])
    assert folder_bytes(out) == expected
    assert report["partitions"] == parts and report["reused_parts"] == 0
    part_tasks = [t for t in stream.data if str(t["key"]).startswith("_part_task")]
    assert len(part_tasks) == parts
    workers = client.run(os.getpid)  # address -> pid, each its own process
    assert os.getpid() not in workers.values()
    assert {t["worker"] for t in part_tasks} <= set(workers)
    assert not leftovers(out)


@pytest.fixture(scope="module", params=[1, 3], ids=["1worker", "3workers"])
def sized_client(request):
    """Clusters of other sizes than the session's two workers."""
    import logging
    cluster = distributed.LocalCluster(n_workers=request.param, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.CRITICAL)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.parametrize("flags, keywords", [
    (["--max-partition-size", "16KiB"], {"max_partition_size": "16KiB"}),
    (["--max-partition-size", "64KiB", "--reencode", "png"], {"max_partition_size": "64KiB", "reencode": "png"}),
    ([], {})], ids=["many_parts", "png_few_parts", "one_part"])
@pytest.mark.parametrize("shard_images", [7, 60, 10_000])
def test_identical_for_part_shard_and_worker_counts(tmp_path, run_cli, sized_client, shard_images, flags,
                                                     keywords):
    sources = mixed(tmp_path)
    expected = cli_convert(run_cli, sources, tmp_path / "cli_out", flags)
    out = tmp_path / "dask_out"
    report = mimicit_dask.convert(sources, out, client=sized_client, shard_images=shard_images, **keywords)
    assert folder_bytes(out) == expected
    assert report["partitions"] == len([n for n in expected if n.endswith(".parquet")])
    assert not leftovers(out)


def test_failed_part_task_leaves_no_visible_output(tmp_path, run_cli, client, monkeypatch):
    """A part task that fails after writing its part (in the work folder):
    the run raises, the previous output stays as it was, and nothing of the
    failed run is left, neither beside the output nor in it."""
    sources = mixed(tmp_path)
    out = tmp_path / "dask_out"
    mimicit_dask.convert(sources, out, client=client, **KEEP[1])
    before = folder_bytes(out)

    def failing_part_task(part, options, merge, work_dir):  # pickled by value: a local function
        from mimicit import _core
        report = _core.convert_part(options, merge, part, work_dir)
        if part == 1:
            raise RuntimeError("injected failure after part 1 was written")
        return report

    monkeypatch.setattr(mimicit_dask, "_part_task", failing_part_task)
    with pytest.raises(RuntimeError, match="injected failure"):
        mimicit_dask.convert(sources, out, client=client, retries=0, **PARTS[1])
    wait_idle(client)
    assert folder_bytes(out) == before
    assert not leftovers(out)
    monkeypatch.undo()
    expected = cli_convert(run_cli, sources, tmp_path / "cli_out", PARTS[0])
    mimicit_dask.convert(sources, out, client=client, **PARTS[1])
    assert folder_bytes(out) == expected
