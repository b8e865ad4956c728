"""A get from an image store in remote storage fetches the stretch of the
page it decodes, not the page: stores written by pandas with pyarrow's
defaults put every image of a row group's first 1024 into one page of
hundreds of MB, so fetching pages whole would cost a page per image.

Served by nginx on loopback (plain HTTP Range reads, whose access log
gives each request's status and bytes)."""

from __future__ import annotations

import base64
import os
import re
import shutil

import pytest

from object_servers import Nginx

# A page of 48 values of ~250 KB (base64 of 187 KB): 12 MB in one page, as
# pandas writes it.
NUM_IMAGES = 48
IMAGE_BYTES = 187_000
PAGE_BYTES = NUM_IMAGES * IMAGE_BYTES * 4 // 3


def format_bytes(n: int) -> str:
    """As mimicit prints sizes (util/units.cc)."""
    if n < 1024:
        return f"{n} B"
    value, unit = float(n), -1
    while value >= 1024 and unit < 3:
        value /= 1024
        unit += 1
    return f"{value:.1f} {['KiB', 'MiB', 'GiB', 'TiB'][unit]}"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    try:
        import pandas  # noqa: F401
    except ImportError:
        pytest.skip("pandas is not installed")
    files = tmp_path_factory.mktemp("served")
    try:
        server = Nginx(files, tmp_path_factory.mktemp("nginx"))
    except FileNotFoundError as e:
        pytest.skip(str(e))
    yield files, server
    server.stop()


def write_store(folder, codec):
    import pandas as pd

    rng = __import__("random").Random(7)
    images = {f"LA_IMG_{i:03d}": rng.randbytes(IMAGE_BYTES) for i in range(NUM_IMAGES)}
    frame = pd.DataFrame({"base64": [base64.b64encode(b).decode() for b in images.values()]},
                         index=pd.Index(list(images), name="id"))
    path = folder / f"LA_{codec}.parquet"
    frame.to_parquet(path, compression=None if codec == "none" else codec)
    return path, images


def log_lines(server):
    return server.access_log.read_text().splitlines() if server.access_log.exists() else []


def requests_since(server, start):
    """(method, status, bytes sent) of the requests logged after line `start`."""
    out = []
    for line in log_lines(server)[start:]:
        m = re.search(r'"(\w+) \S+ HTTP/[\d.]+" (\d+) (\d+)', line)
        if m:
            out.append((m.group(1), int(m.group(2)), int(m.group(3))))
    return out


# pyarrow's default (snappy), and the codecs users pick. pyarrow's "lz4"
# (LZ4_RAW) writes incompressible images as long literal runs with no
# restart point in them: the stream jumps over literals without reading them.
@pytest.mark.parametrize("codec", ["snappy", "zstd", "gzip", "lz4", "none"])
def test_a_get_deep_in_a_large_page_fetches_a_stretch_not_the_page(served, codec, run_cli, tmp_path,
                                                                    monkeypatch):
    files, server = served
    path, images = write_store(files, codec)
    url = f"{server.url}/{path.name}"
    cache = tmp_path / "cache"
    monkeypatch.setenv("MIMICIT_CACHE_DIR", str(cache))
    # The first open indexes the store: one pass over the page, kept in the
    # cache folder beside the fetched blocks.
    first = run_cli("images", "get", url, "LA_IMG_000")
    assert first.returncode == 0, first.stderr.decode()
    assert first.stdout == images["LA_IMG_000"]
    # A node whose block cache is empty but which has the index (or a second
    # node sharing it): each get fetches about a restart interval plus the image.
    shutil.rmtree(cache / "objects")
    for image_id in ["LA_IMG_031", "LA_IMG_047", "LA_IMG_020"]:
        start = len(log_lines(server))
        result = run_cli("images", "get", url, image_id)
        assert result.returncode == 0, result.stderr.decode()
        assert result.stdout == images[image_id]
        got = requests_since(server, start)
        assert all(status in (200, 206) for _, status, _ in got), got
        assert not any(method == "GET" and status == 200 for method, status, _ in got), got
        fetched = sum(size for method, _, size in got if method == "GET")
        # The footer and page header (a block or two), then one stretch of at
        # most a restart interval (1 MiB) plus the value, in 256 KiB blocks.
        assert fetched < 3 * 2**20, (codec, image_id, fetched, got)
        assert fetched < PAGE_BYTES / 4


@pytest.mark.parametrize("layout", ["object", "prefix"])
def test_a_published_index_spares_every_node_the_pass_over_the_pages(layout, run_cli, tmp_path, monkeypatch):
    """`mimicit images index s3://...` uploads the index beside the store; a
    node opening the store for the first time fetches that small object and
    the stretches its gets decode, not the store's pages."""
    pytest.importorskip("moto")
    from object_servers import FaultProxy, MotoS3

    s3 = MotoS3()
    proxy = FaultProxy(f"127.0.0.1:{s3.port}")
    try:
        s3.client.create_bucket(Bucket="pub")
        path, images = write_store(tmp_path, "snappy")
        object_bytes = path.stat().st_size
        store_key, index_key = (("stores/LA.parquet", "stores/.LA.parquet.mimicit-index") if layout == "object" else
                          ("stores/LA_Images/part.0.parquet", "stores/LA_Images/.mimicit-index"))
        s3.client.upload_file(str(path), "pub", store_key)
        url = "s3://pub/stores/LA.parquet" if layout == "object" else "s3://pub/stores/LA_Images/"
        for key, value in s3.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        monkeypatch.setenv("MIMICIT_REMOTE_BASE_DELAY", "0.01")

        monkeypatch.setenv("MIMICIT_CACHE_DIR", str(tmp_path / "indexing-node"))
        indexed = run_cli("images", "index", url)
        assert indexed.returncode == 0, indexed.stderr.decode()
        assert index_key in indexed.stdout.decode()
        store_size = s3.client.head_object(Bucket="pub", Key=store_key)["ContentLength"]
        images_line = next(line for line in indexed.stdout.decode().splitlines() if line.startswith("images:"))
        assert images_line.endswith(" " + format_bytes(store_size)), images_line  # the object's size
        keys = [o["Key"] for o in s3.client.list_objects_v2(Bucket="pub")["Contents"]]
        assert keys == [index_key, store_key]
        index_bytes = s3.client.head_object(Bucket="pub", Key=index_key)["ContentLength"]

        # Another node: an empty cache folder.
        monkeypatch.setenv("MIMICIT_CACHE_DIR", str(tmp_path / "other-node"))
        for n, image_id in enumerate(["LA_IMG_031", "LA_IMG_047"]):
            proxy.body_bytes = 0
            start = len(proxy.log)
            result = run_cli("images", "get", url, image_id)
            assert result.returncode == 0, result.stderr.decode()
            assert result.stdout == images[image_id]
            paths = [p for _, p, _ in proxy.log[start:]]
            fetched_index = any("mimicit-index" in p for p in paths)
            # The first open fetches the published index once; later opens
            # use the cache folder's copy.
            assert fetched_index == (n == 0), paths
            assert proxy.body_bytes < index_bytes + 3 * 2**20, (proxy.body_bytes, paths)
            assert proxy.body_bytes < object_bytes / 3
    finally:
        proxy.stop()
        s3.stop()


def test_opening_a_remote_store_never_writes_to_its_bucket(run_cli, tmp_path, monkeypatch):
    pytest.importorskip("moto")
    from object_servers import MotoS3

    s3 = MotoS3()
    try:
        s3.client.create_bucket(Bucket="readonly")
        path, images = write_store(tmp_path, "snappy")
        s3.client.upload_file(str(path), "readonly", "LA.parquet")
        for key, value in s3.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("MIMICIT_CACHE_DIR", str(tmp_path / "cache"))
        result = run_cli("images", "get", "s3://readonly/LA.parquet", "LA_IMG_005")
        assert result.returncode == 0, result.stderr.decode()
        assert result.stdout == images["LA_IMG_005"]
        keys = [o["Key"] for o in s3.client.list_objects_v2(Bucket="readonly")["Contents"]]
        assert keys == ["LA.parquet"]
    finally:
        s3.stop()
