"""Seek tables of large pages in the stores users hold (written by pandas,
dask and pyarrow with their defaults): gets through them return exactly the
bytes that went in, and the saved index that carries them survives a store
replaced under it, a damaged index file, two processes building it at once
and a read-only store folder."""

from __future__ import annotations

import base64
import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

mimicit = pytest.importorskip("mimicit")
pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def big_images(count: int, size: int, seed: int = 17) -> dict[str, bytes]:
    """JPEG-framed random bytes (the store does not decode images), with
    ids in no particular order."""
    rng = random.Random(seed)
    return {f"LA_IMG_{(i * 7919) % 100000:012d}": b"\xff\xd8\xff\xe0" + rng.randbytes(size + i) + b"\xff\xd9"
            for i in range(count)}


def b64_frame(images: dict[str, bytes]) -> "pd.DataFrame":
    encoded = {k: base64.b64encode(v).decode() for k, v in images.items()}
    return pd.DataFrame.from_dict(encoded, orient="index", columns=["base64"])


def binary_frame(images: dict[str, bytes]) -> "pd.DataFrame":
    return pd.DataFrame({"id": list(images), "image": list(images.values())})


def open_store(path, tmp_path: Path, **kwargs) -> "mimicit.ImageStore":
    return mimicit.ImageStore(path, cache_dir=tmp_path / "cache", **kwargs)


def assert_gets(store, images: dict[str, bytes], nulls=()) -> None:
    order = list(images)
    random.Random(3).shuffle(order)
    for image_id in order:
        if image_id in nulls:
            with pytest.raises(mimicit.MimicitError, match="payload is null"):
                store.get_bytes(image_id)
        else:
            assert store.get_bytes(image_id) == images[image_id], image_id


@pytest.mark.parametrize("compression", ["snappy", "gzip", "lz4", "zstd", "none"])
@pytest.mark.parametrize("layout", ["pandas_base64", "pandas_binary", "plain_v1", "plain_v2", "dict_v2"])
def test_gets_through_seek_tables(tmp_path, compression, layout):
    # pandas' defaults: the first 1024 values of a row group in one
    # dictionary page (here ~8 MB); without dictionary, one PLAIN page.
    images = big_images(36, 160_000)
    frame = binary_frame(images) if layout == "pandas_binary" else b64_frame(images)
    nulls = set()
    if layout != "pandas_binary":
        frame.iloc[[5, 17], 0] = None
        nulls = set(frame.index[[5, 17]])
    path = tmp_path / f"{layout}.parquet"
    if layout.startswith("pandas"):
        frame.to_parquet(path, compression=compression)
    else:
        table = pa.Table.from_pandas(frame, preserve_index=True)
        pq.write_table(table, path, compression=compression, use_dictionary=layout.startswith("dict"),
                       data_page_version="2.0" if layout.endswith("v2") else "1.0")
    store = open_store(path, tmp_path)
    info = store.index_info()
    assert info["built_seek_tables"]
    assert info["seek_table_bytes"] > 0
    assert info["seek_table_bytes"] < path.stat().st_size // 10
    assert_gets(store, images, nulls)
    reopened = open_store(path, tmp_path)
    assert reopened.index_info()["used_saved_index"] and not reopened.index_info()["built_seek_tables"]
    assert_gets(reopened, images, nulls)


def test_dask_folder_many_pages_and_threads(tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    images = big_images(2600, 6_000, seed=5)  # > 1024 per partition: dictionary page, then PLAIN pages
    out = tmp_path / "dask_store"
    dd.from_pandas(b64_frame(images), npartitions=2).to_parquet(str(out), engine="pyarrow")
    store = open_store(out, tmp_path)
    assert store.index_info()["seek_table_bytes"] > 0
    ids = list(images)
    random.Random(1).shuffle(ids)
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(store.get_bytes, ids))
    assert got == [images[i] for i in ids]


def test_index_pages_off_streams_and_adds_tables_later(tmp_path):
    images = big_images(30, 200_000)
    path = tmp_path / "s.parquet"
    b64_frame(images).to_parquet(path)
    plain = open_store(path, tmp_path, index_pages=False)
    assert plain.index_info()["seek_table_bytes"] == 0
    assert_gets(plain, images)
    later = open_store(path, tmp_path)  # the saved index has no tables: they are added
    assert later.index_info()["used_saved_index"] and later.index_info()["built_seek_tables"]
    assert_gets(later, images)


def test_store_replaced_under_the_index(tmp_path):
    path = tmp_path / "s.parquet"
    first = big_images(30, 200_000, seed=1)
    b64_frame(first).to_parquet(path)
    assert_gets(open_store(path, tmp_path), first)
    second = big_images(30, 210_000, seed=2)  # same ids, other bytes
    b64_frame(second).to_parquet(path)
    os.utime(path, ns=(1, 1))  # even a restored modification time cannot hide a new size
    store = open_store(path, tmp_path)
    assert not store.index_info()["used_saved_index"]
    assert_gets(store, second)


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty"])
def test_damaged_index_is_rebuilt(tmp_path, damage):
    images = big_images(30, 200_000)
    path = tmp_path / "s.parquet"
    b64_frame(images).to_parquet(path)
    index = Path(open_store(path, tmp_path).index_info()["index_path"])
    data = bytearray(index.read_bytes())
    if damage == "truncate":
        data = data[: len(data) - 100]
    elif damage == "flip":
        data[len(data) // 2] ^= 0x10
    else:
        data = bytearray()
    index.write_bytes(bytes(data))
    store = open_store(path, tmp_path)
    assert not store.index_info()["used_saved_index"]
    assert store.index_info()["built_seek_tables"]
    assert_gets(store, images)


@pytest.fixture
def cli():
    binary = os.environ.get("MIMICIT_BIN")
    if not binary or not Path(binary).exists():
        pytest.skip("MIMICIT_BIN is not set")
    return binary


def test_two_processes_build_at_once(tmp_path, cli):
    images = big_images(40, 200_000)
    path = tmp_path / "s.parquet"
    b64_frame(images).to_parquet(path)
    env = dict(os.environ, MIMICIT_CACHE_DIR=str(tmp_path / "cache"))
    procs = [subprocess.Popen([cli, "images", "index", str(path)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "seek tables:" in out
    assert not list(tmp_path.glob(".s.parquet.mimicit-index.tmp*"))
    store = open_store(path, tmp_path)
    assert store.index_info()["used_saved_index"] and not store.index_info()["built_seek_tables"]
    assert_gets(store, images)


def test_read_only_store_folder_uses_the_cache(tmp_path, cli):
    images = big_images(30, 200_000)
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "s.parquet"
    b64_frame(images).to_parquet(path)
    cache = tmp_path / "cache"
    # A folder nobody may write to: root ignores permission bits, so the
    # test takes the one way left, a read-only bind mount, where it can.
    if os.geteuid() == 0:
        mounted = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                  f"mount --bind -o ro {folder} {folder} && "
                                  f"MIMICIT_CACHE_DIR={cache} {cli} images index {path}"],
                                 capture_output=True, text=True)
        if mounted.returncode != 0 and "mount" in mounted.stderr:
            pytest.skip(f"no read-only bind mount here: {mounted.stderr.strip()}")
        out = mounted
    else:
        folder.chmod(0o555)
        out = subprocess.run([cli, "images", "index", str(path)], capture_output=True, text=True,
                             env=dict(os.environ, MIMICIT_CACHE_DIR=str(cache)))
        folder.chmod(0o755)
    assert out.returncode == 0, out.stderr
    assert str(cache) in out.stdout
    assert not (folder / ".s.parquet.mimicit-index").exists()
    store = mimicit.ImageStore(path, cache_dir=cache)
    assert store.index_info()["used_saved_index"]
    assert_gets(store, images)
