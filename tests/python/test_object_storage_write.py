"""`mimicit convert` and `mimicit.dask.convert` into s3:// (moto's S3 server
on loopback): the objects equal, byte for byte, what a local convert writes;
large files go up by multipart upload; the output appears only when the run
succeeds, and a failed or signalled run leaves no key under the prefix and
no open multipart upload."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from object_servers import FaultProxy, MotoS3

pytest.importorskip("moto")
pytest.importorskip("boto3")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")

PART_SIZE = 5 << 20  # S3's smallest part
FLAGS = ["--verify", "--payload", "binary", "--max-partition-size", "8MiB"]


@pytest.fixture(scope="module")
def s3():
    server = MotoS3()
    server.client.create_bucket(Bucket="data")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> list[Path]:
    """Legacy JSON (ids scrambled: the sorted-through-a-spill path) of noise
    PNGs, about 19 MB, and two images --verify drops (_dropped.jsonl)."""
    rng = np.random.default_rng(14)
    images = {}
    for i in rng.permutation(200)[:100]:
        out = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (200, 320, 3), dtype=np.uint8)).save(out, format="PNG")
        images[f"LA_IMG_{int(i):06d}"] = base64.b64encode(out.getvalue()).decode()
    images["LA_IMG_garbage"] = base64.b64encode(b"\x89PNG\r\n\x1a\n and nothing more").decode()
    images["LA_IMG_text"] = base64.b64encode(b"not an image").decode()
    path = tmp_path_factory.mktemp("sources") / "LA_images.json"
    path.write_text(json.dumps(images))
    return [path]


@pytest.fixture(scope="module")
def local_output(sources, run_cli, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("local") / "store"
    result = run_cli("convert", *sources, "-o", out, *FLAGS, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def s3_env(monkeypatch, server_env: dict, tmp_path: Path, endpoint: str | None = None) -> None:
    for key, value in server_env.items():
        monkeypatch.setenv(key, value)
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("MIMICIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MIMICIT_REMOTE_BASE_DELAY", "0.01")
    monkeypatch.setenv("MIMICIT_S3_PART_SIZE", str(PART_SIZE))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the staging folder


def keys_under(s3, prefix: str) -> list[str]:
    listed = s3.client.list_objects_v2(Bucket="data", Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def open_uploads(s3) -> list[str]:
    return [u["Key"] for u in s3.client.list_multipart_uploads(Bucket="data").get("Uploads", [])]


def downloaded(s3, prefix: str) -> dict[str, bytes]:
    return {key[len(prefix):]: s3.client.get_object(Bucket="data", Key=key)["Body"].read()
            for key in keys_under(s3, prefix)}


def test_convert_to_s3_equals_local_convert(s3, sources, local_output, run_cli, tmp_path, monkeypatch):
    s3_env(monkeypatch, s3.env, tmp_path)
    result = run_cli("convert", *sources, "-o", "s3://data/out/store", *FLAGS, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    assert downloaded(s3, "out/store/") == local_output
    assert "_dropped.jsonl" in local_output and len(local_output) >= 3
    # Parts over 5 MiB went up in several parts: S3 gives a multipart
    # object the ETag "<md5 of the parts' md5s>-<parts>".
    big = [name for name, data in local_output.items() if len(data) > PART_SIZE]
    assert big
    for name in big:
        etag = s3.client.head_object(Bucket="data", Key="out/store/" + name)["ETag"].strip('"')
        assert etag.endswith("-2"), (name, etag)
    assert open_uploads(s3) == []
    assert not list(tmp_path.glob("mimicit-convert-upload*"))  # staging removed


def test_uploads_of_a_killed_run_are_aborted_by_the_next(s3, sources, local_output, run_cli, tmp_path,
                                                        monkeypatch):
    """A run killed with SIGKILL cannot abort its uploads; the next run into
    the same prefix does (and leaves other prefixes' uploads alone)."""
    s3_env(monkeypatch, s3.env, tmp_path)
    stale = s3.client.create_multipart_upload(Bucket="data", Key="rerun/store/part.0.parquet")["UploadId"]
    other = s3.client.create_multipart_upload(Bucket="data", Key="rerun/store2/part.0.parquet")["UploadId"]
    try:
        result = run_cli("convert", *sources, "-o", "s3://data/rerun/store", *FLAGS, timeout=300)
        assert result.returncode == 0, result.stderr.decode()
        assert downloaded(s3, "rerun/store/") == local_output
        assert open_uploads(s3) == ["rerun/store2/part.0.parquet"]
    finally:
        s3.client.abort_multipart_upload(Bucket="data", Key="rerun/store2/part.0.parquet", UploadId=other)
    assert stale


def test_nothing_is_visible_before_the_run_succeeds(s3, sources, local_output, mimicit_bin, tmp_path,
                                                    monkeypatch):
    """The proxy holds back every part's upload until the test has looked:
    while the run goes on, uploads are open and no key exists."""
    proxy = FaultProxy(f"127.0.0.1:{s3.port}", slow_seconds=4)
    try:
        s3_env(monkeypatch, s3.env, tmp_path, proxy.endpoint)
        proxy.match = lambda method, path: method == "PUT" and "partNumber=2" in path
        proxy.faults = ["slow"]
        process = subprocess.Popen([str(mimicit_bin), "convert", *map(str, sources),
                                    "-o", "s3://data/hidden/store", *FLAGS],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: any("partNumber=2" in p for _, p, _ in proxy.log), process)
            assert open_uploads(s3) != []
            assert keys_under(s3, "hidden/") == []
            _, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr.decode()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert downloaded(s3, "hidden/store/") == local_output
        assert open_uploads(s3) == []
    finally:
        proxy.stop()


def wait_until(condition, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.communicate()[1].decode()
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.05)


def assert_left_nothing(s3, prefix: str) -> None:
    assert keys_under(s3, prefix) == []
    assert open_uploads(s3) == []


def test_failed_part_upload_aborts_every_upload(s3, sources, run_cli, tmp_path, monkeypatch):
    proxy = FaultProxy(f"127.0.0.1:{s3.port}")
    try:
        s3_env(monkeypatch, s3.env, tmp_path, proxy.endpoint)
        monkeypatch.setenv("MIMICIT_REMOTE_ATTEMPTS", "3")
        # The second part of the second file fails for good (5xx each time).
        proxy.match = lambda method, path: (method == "PUT" and "partNumber=2" in path
                                            and "part.1.parquet" in path)
        proxy.faults = ["503"] * 1000
        result = run_cli("convert", *sources, "-o", "s3://data/failed/store", *FLAGS, timeout=300)
        assert result.returncode != 0
        stderr = result.stderr.decode()
        assert "part.1.parquet" in stderr and "503" in stderr, stderr
        aborted = [p for m, p, _ in proxy.log if m == "DELETE" and "uploadId=" in p]
        assert aborted, proxy.log  # the open uploads were aborted, not left to a lifecycle rule
        assert_left_nothing(s3, "failed/")
    finally:
        proxy.stop()


def test_failed_commit_takes_back_the_objects_it_completed(s3, sources, run_cli, tmp_path, monkeypatch):
    """The first file's CompleteMultipartUpload succeeds, the second's fails:
    the first object is deleted again, so the prefix holds all or nothing."""
    proxy = FaultProxy(f"127.0.0.1:{s3.port}")
    try:
        s3_env(monkeypatch, s3.env, tmp_path, proxy.endpoint)
        monkeypatch.setenv("MIMICIT_REMOTE_ATTEMPTS", "2")
        proxy.match = lambda method, path: (method == "POST" and "uploadId=" in path
                                            and "part.1.parquet" in path)
        proxy.faults = ["500"] * 1000
        result = run_cli("convert", *sources, "-o", "s3://data/uncommitted/store", *FLAGS, timeout=300)
        assert result.returncode != 0
        assert "CompleteMultipartUpload" in result.stderr.decode() or "500" in result.stderr.decode()
        completed = [p for m, p, _ in proxy.log
                     if m == "POST" and "uploadId=" in p and "part.0.parquet" in p]
        assert completed  # part.0 did appear for a moment
        assert any(m == "DELETE" and "part.0.parquet" in p and "uploadId" not in p for m, p, _ in proxy.log)
        assert_left_nothing(s3, "uncommitted/")
    finally:
        proxy.stop()


def test_completion_whose_answer_was_lost_is_a_success(s3, sources, local_output, run_cli, tmp_path,
                                                       monkeypatch):
    """S3 completed the upload but the answer never came: the retried
    request finds NoSuchUpload, and the object at the key (its size and part
    count) shows the first try succeeded."""
    proxy = FaultProxy(f"127.0.0.1:{s3.port}")
    try:
        s3_env(monkeypatch, s3.env, tmp_path, proxy.endpoint)
        proxy.match = lambda method, path: method == "POST" and "uploadId=" in path
        proxy.faults = ["lost"]
        result = run_cli("convert", *sources, "-o", "s3://data/lost/store", *FLAGS, timeout=300)
        assert result.returncode == 0, result.stderr.decode()
        assert [f for _, _, f in proxy.log if f] == ["lost"]
        lost_path = next(path for _, path, f in proxy.log if f == "lost")
        assert [path for _, path, _ in proxy.log].count(lost_path) == 2  # retried: NoSuchUpload
    finally:
        proxy.stop()
    assert downloaded(s3, "lost/store/") == local_output
    assert open_uploads(s3) == []


def test_error_inside_a_200_completion_is_a_failure(s3, sources, run_cli, tmp_path, monkeypatch):
    """S3 may answer CompleteMultipartUpload "200 OK" with an <Error> body:
    that is no success (the proxy's "200" fault sends such an answer)."""
    proxy = FaultProxy(f"127.0.0.1:{s3.port}")
    try:
        s3_env(monkeypatch, s3.env, tmp_path, proxy.endpoint)
        proxy.match = lambda method, path: method == "POST" and "uploadId=" in path
        proxy.faults = ["200"]
        result = run_cli("convert", *sources, "-o", "s3://data/error200/store", *FLAGS, timeout=300)
        assert result.returncode != 0
        assert "Injected200" in result.stderr.decode(), result.stderr.decode()
        assert_left_nothing(s3, "error200/")
    finally:
        proxy.stop()


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_signal_mid_run_aborts_the_uploads(s3, sources, mimicit_bin, tmp_path, monkeypatch, signal_number):
    proxy = FaultProxy(f"127.0.0.1:{s3.port}", slow_seconds=3)
    try:
        s3_env(monkeypatch, s3.env, tmp_path, proxy.endpoint)
        proxy.match = lambda method, path: method == "PUT" and "partNumber=2" in path
        proxy.faults = ["slow"] * 1000
        process = subprocess.Popen([str(mimicit_bin), "convert", *map(str, sources),
                                    "-o", "s3://data/signalled/store", *FLAGS],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: any("partNumber=2" in p for _, p, _ in proxy.log), process)
            assert open_uploads(s3) != []
            process.send_signal(signal_number)
            process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == -signal_number
        assert_left_nothing(s3, "signalled/")
    finally:
        proxy.stop()


def test_refused_outputs(s3, sources, run_cli, tmp_path, monkeypatch):
    s3_env(monkeypatch, s3.env, tmp_path)
    s3.client.put_object(Bucket="data", Key="taken/store/old.txt", Body=b"x")
    result = run_cli("convert", *sources, "-o", "s3://data/taken/store", *FLAGS)
    assert result.returncode != 0
    assert "s3://data/taken/store" in result.stderr.decode() and "empty" in result.stderr.decode()
    assert keys_under(s3, "taken/") == ["taken/store/old.txt"]
    result = run_cli("convert", *sources, "-o", "http://127.0.0.1:1/store", *FLAGS)
    assert result.returncode != 0
    assert "read-only" in result.stderr.decode()
    result = run_cli("convert", *sources, "--to", "hf", "-o", "s3://data/hf")
    assert result.returncode != 0
    assert "local folder only" in result.stderr.decode()
    assert open_uploads(s3) == []


@pytest.fixture(scope="module")
def dask_on_s3(s3, tmp_path_factory):
    """A LocalCluster (2 worker processes) whose workers reach moto through
    a fault proxy (no fault unless a test queues some): the AWS variables
    are set before the workers start, so they inherit them."""
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("mimicit.dask")
    import logging
    proxy = FaultProxy(f"127.0.0.1:{s3.port}")
    folder = tmp_path_factory.mktemp("dask")
    with pytest.MonkeyPatch.context() as patch:
        s3_env(patch, s3.env, folder, proxy.endpoint)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=logging.CRITICAL)
        try:
            with distributed.Client(cluster) as client:
                yield client, proxy
        finally:
            cluster.close()
            proxy.stop()


def test_dask_convert_to_s3_equals_local_convert(s3, dask_on_s3, sources, local_output, tmp_path,
                                                 monkeypatch):
    """Each part is written and uploaded by its own task on a worker; this
    process only plans and completes the uploads."""
    import distributed
    import mimicit.dask
    client, _ = dask_on_s3

    def forbidden(*args, **kwargs):
        raise AssertionError("the driver ran a worker's step")

    for name in ("convert_plan", "convert_shard", "convert_layout", "convert_part"):
        monkeypatch.setattr(mimicit.dask._core, name, forbidden)
    with distributed.get_task_stream(client) as stream:
        report = mimicit.dask.convert(sources, "s3://data/dask/store", client=client, verify=True,
                                      payload="binary", max_partition_size="8MiB",
                                      work_dir=tmp_path / "work", shard_images=30)
    assert report["shards"] > 1
    assert downloaded(s3, "dask/store/") == local_output
    assert open_uploads(s3) == []
    assert list((tmp_path / "work").iterdir()) == []
    parts = [name for name in local_output if name.endswith(".parquet")]
    assert report["partitions"] == len(parts) >= 2
    part_tasks = [t for t in stream.data if str(t["key"]).startswith("_part_task")]
    assert len(part_tasks) == len(parts)
    workers = client.run(os.getpid)
    assert os.getpid() not in workers.values()
    assert {t["worker"] for t in part_tasks} <= set(workers)


def test_parts_uploaded_twice_commit_once_and_leave_no_upload_open(s3, sources, local_output, tmp_path,
                                                                 monkeypatch):
    """The steps of a Dask run called here, a part task run twice (a worker
    lost after its upload): the commit completes the uploads it was given
    and aborts the duplicates; nothing shows before the commit."""
    from mimicit import _core
    s3_env(monkeypatch, s3.env, tmp_path)
    options = {"sources": [str(p) for p in sources], "out": "s3://data/steps/store", "verify": True,
               "payload": "binary", "max_partition_size": "8MiB", "threads": 1}
    plan = _core.convert_plan(options, 30, 0)
    work = tmp_path / "work"
    work.mkdir()
    for shard in plan["shards"]:
        _core.convert_shard(options, shard, str(work))
    merge = _core.convert_layout(options, plan, str(work))
    first = [_core.convert_part(options, merge, i, str(work)) for i in range(len(merge["parts"]))]
    again = [_core.convert_part(options, merge, i, str(work)) for i in range(len(merge["parts"]))]
    assert all(r["upload"] is not None for r in first + again)
    assert {r["upload"][0] for r in first}.isdisjoint(r["upload"][0] for r in again)
    assert keys_under(s3, "steps/") == []
    assert len(open_uploads(s3)) == 2 * len(first)
    report = _core.convert_commit(options, merge, str(work), again)
    assert downloaded(s3, "steps/store/") == local_output
    assert report["partitions"] == len(again)
    assert report["bytes_out"] == sum(len(v) for k, v in local_output.items() if k.endswith(".parquet"))
    assert open_uploads(s3) == []
    assert not work.exists()
    with pytest.raises(_core.MimicitError, match="objects exist under this prefix"):
        _core.convert_plan(options, 30, 0)  # a run into it is refused from its first step


def test_abandoned_steps_leave_nothing(s3, sources, tmp_path, monkeypatch):
    from mimicit import _core
    s3_env(monkeypatch, s3.env, tmp_path)
    options = {"sources": [str(p) for p in sources], "out": "s3://data/abandoned/store",
               "max_partition_size": "8MiB", "threads": 1}
    plan = _core.convert_plan(options, 0, 2)
    work = tmp_path / "work"
    work.mkdir()
    for shard in plan["shards"]:
        _core.convert_shard(options, shard, str(work))
    merge = _core.convert_layout(options, plan, str(work))
    _core.convert_part(options, merge, 0, str(work))
    assert open_uploads(s3) != []
    _core.convert_abandon(options)
    assert_left_nothing(s3, "abandoned/")


def test_failed_dask_convert_leaves_nothing(s3, dask_on_s3, sources, tmp_path):
    import mimicit.dask
    client, proxy = dask_on_s3
    proxy.match = lambda method, path: method == "PUT" and "partNumber=2" in path and "part.1.parquet" in path
    proxy.faults = ["503"] * 10000
    try:
        with pytest.raises(Exception, match="part.1.parquet"):
            mimicit.dask.convert(sources, "s3://data/dask-failed/store", client=client, verify=True,
                                 payload="binary", max_partition_size="8MiB", work_dir=tmp_path / "work",
                                 shard_images=30, retries=1)
    finally:
        proxy.faults = []
        proxy.match = None
    assert_left_nothing(s3, "dask-failed/")
    assert list((tmp_path / "work").iterdir()) == []


def test_dask_convert_from_s3_sources_equals_local_convert(s3, dask_on_s3, sources, local_output, tmp_path):
    """Sources in the bucket: the workers read them through the node cache."""
    import mimicit.dask
    client, _ = dask_on_s3
    s3.client.upload_file(str(sources[0]), "data", "src/LA_images.json")
    out = tmp_path / "store"
    mimicit.dask.convert(["s3://data/src/LA_images.json"], out, client=client, verify=True,
                         payload="binary", max_partition_size="8MiB", shard_images=30)
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == local_output
