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


# pyarrow's default (snappy), and the codecs users pick. Not "lz4": pyarrow's
# LZ4_RAW writes incompressible images as one literal run per page, which
# offers no restart point, so a get streams the page up to its value.
@pytest.mark.parametrize("codec", ["snappy", "zstd", "gzip", "none"])
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
