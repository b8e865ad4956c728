"""s3:// and http(s):// paths, against real servers on loopback: moto's S3
server (requests signed with Signature V4, path-style addressing) and nginx
(plain Range reads). Files are written by pyarrow with its defaults."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from object_servers import MotoS3, Nginx

pytest.importorskip("moto")
pytest.importorskip("boto3")


@pytest.fixture(scope="module")
def s3():
    server = MotoS3()
    server.client.create_bucket(Bucket="data")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def table_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("objects")
    table = pa.table({"id": [f"img{i}" for i in range(5000)],
                      "value": list(range(5000)),
                      "text": [("x" * (i % 50)) for i in range(5000)]})
    path = folder / "table.parquet"
    pq.write_table(table, path)
    return path


def run_env(server_env, cache_dir):
    env = dict(os.environ)
    env.update(server_env)
    env["MIMICIT_CACHE_DIR"] = str(cache_dir)
    env["MIMICIT_REMOTE_BASE_DELAY"] = "0.01"
    return env


def test_parquet_meta_and_cat_from_s3_equal_local(s3, table_file, run_cli, tmp_path, monkeypatch):
    s3.client.upload_file(str(table_file), "data", "dir/table.parquet")
    for key, value in run_env(s3.env, tmp_path / "cache").items():
        monkeypatch.setenv(key, value)
    local_meta = run_cli("parquet", "meta", "--json", str(table_file))
    remote_meta = run_cli("parquet", "meta", "--json", "s3://data/dir/table.parquet")
    assert remote_meta.returncode == 0, remote_meta.stderr
    assert json.loads(remote_meta.stdout)["num_rows"] == json.loads(local_meta.stdout)["num_rows"]
    local_rows = run_cli("parquet", "cat", str(table_file)).stdout
    remote_rows = run_cli("parquet", "cat", "s3://data/dir/table.parquet")
    assert remote_rows.returncode == 0, remote_rows.stderr
    assert remote_rows.stdout == local_rows


def test_missing_object_and_bucket_name_the_url(s3, run_cli, tmp_path, monkeypatch):
    for key, value in run_env(s3.env, tmp_path / "cache").items():
        monkeypatch.setenv(key, value)
    result = run_cli("parquet", "meta", "s3://data/no/such.parquet")
    assert result.returncode != 0
    stderr = result.stderr.decode()
    assert "s3://data/no/such.parquet" in stderr and "404" in stderr


def test_http_range_reads_from_nginx(table_file, run_cli, tmp_path, monkeypatch):
    try:
        server = Nginx(table_file.parent, tmp_path / "nginx")
    except FileNotFoundError as e:
        pytest.skip(str(e))
    try:
        monkeypatch.setenv("MIMICIT_CACHE_DIR", str(tmp_path / "cache"))
        url = f"{server.url}/{table_file.name}"
        result = run_cli("parquet", "cat", url)
        assert result.returncode == 0, result.stderr.decode()
        assert result.stdout == run_cli("parquet", "cat", str(table_file)).stdout
        # Only ranged GETs (206) after one HEAD; never the whole object in one 200.
        log = server.access_log.read_text()
        assert '"HEAD ' in log and '" 206 ' in log
        assert '"GET /table.parquet HTTP/1.1" 200 ' not in log
    finally:
        server.stop()


def test_image_store_get_from_s3_equals_local(s3, run_cli, tmp_path, monkeypatch):
    import base64

    import pandas as pd

    images = {f"LA_IMG_{i:04d}": os.urandom(1000 + 37 * i) for i in range(300)}
    frame = pd.DataFrame({"base64": [base64.b64encode(b).decode() for b in images.values()]},
                         index=pd.Index(list(images), name="id"))
    store = tmp_path / "LA.parquet"
    frame.to_parquet(store)  # pandas' defaults: pyarrow, snappy, the index as a column
    s3.client.upload_file(str(store), "data", "stores/LA.parquet")
    for key, value in run_env(s3.env, tmp_path / "cache").items():
        monkeypatch.setenv(key, value)
    for image_id in ["LA_IMG_0000", "LA_IMG_0150", "LA_IMG_0299"]:
        result = run_cli("images", "get", "s3://data/stores/LA.parquet", image_id)
        assert result.returncode == 0, result.stderr.decode()
        assert result.stdout == images[image_id]
    listed = run_cli("images", "ls", "s3://data/stores/LA.parquet")
    assert listed.stdout.decode().split() == sorted(images)
    missing = run_cli("images", "get", "s3://data/stores/LA.parquet", "LA_IMG_9999")
    assert missing.returncode != 0 and "LA_IMG_9999" in missing.stderr.decode()


def test_replaced_object_is_never_served_stale(s3, table_file, run_cli, tmp_path, monkeypatch):
    import pyarrow.parquet as pq_

    for key, value in run_env(s3.env, tmp_path / "cache").items():
        monkeypatch.setenv(key, value)
    first = tmp_path / "first.parquet"
    pq_.write_table(pa.table({"v": [1, 2, 3]}), first)
    s3.client.upload_file(str(first), "data", "replaced.parquet")
    assert run_cli("parquet", "cat", "s3://data/replaced.parquet").stdout == run_cli("parquet", "cat", str(first)).stdout
    second = tmp_path / "second.parquet"
    pq_.write_table(pa.table({"v": [7, 8, 9, 10]}), second)
    s3.client.upload_file(str(second), "data", "replaced.parquet")
    assert run_cli("parquet", "cat", "s3://data/replaced.parquet").stdout == run_cli("parquet", "cat", str(second)).stdout


@pytest.fixture
def proxied(s3, table_file, tmp_path, monkeypatch):
    """moto behind the fault proxy; mimicit pointed at the proxy."""
    from object_servers import FaultProxy

    s3.client.upload_file(str(table_file), "data", "faults/table.parquet")
    proxy = FaultProxy(f"127.0.0.1:{s3.port}")
    env = run_env(s3.env, tmp_path / "cache")
    env["AWS_ENDPOINT_URL"] = proxy.endpoint
    env["MIMICIT_REMOTE_STALL_SECONDS"] = "1"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield proxy
    proxy.stop()


@pytest.mark.parametrize("faults", [["503", "429", "500"], ["reset", "reset"], ["", "truncate", "truncate"],
                                    ["", "slow"]], ids=["5xx-429", "reset", "truncated-body", "stalled-body"])
def test_transient_faults_are_retried(proxied, table_file, run_cli, faults):
    proxied.faults = list(faults)
    result = run_cli("parquet", "cat", "s3://data/faults/table.parquet")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == run_cli("parquet", "cat", str(table_file)).stdout
    assert [f for _, _, f in proxied.log[: len(faults)]] == faults


@pytest.mark.parametrize("status", ["403", "404"])
def test_403_and_404_are_not_retried(proxied, run_cli, status):
    proxied.faults = [status] * 10
    result = run_cli("parquet", "meta", "s3://data/faults/table.parquet")
    assert result.returncode != 0
    assert "s3://data/faults/table.parquet" in result.stderr.decode() and status in result.stderr.decode()
    assert len(proxied.log) == 1


def test_last_retry_fails_naming_the_url(proxied, run_cli, monkeypatch):
    monkeypatch.setenv("MIMICIT_REMOTE_ATTEMPTS", "3")
    proxied.faults = ["503"] * 10
    result = run_cli("parquet", "meta", "s3://data/faults/table.parquet")
    stderr = result.stderr.decode()
    assert result.returncode != 0
    assert "faults/table.parquet" in stderr and "503" in stderr and "after 3 attempts" in stderr
    assert len(proxied.log) == 3
