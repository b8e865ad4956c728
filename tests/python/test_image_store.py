"""mimicit.ImageStore against stores written by pandas, dask, duckdb, polars
and pyarrow (a Hugging Face style struct column): every id returns exactly
the bytes that went in."""

from __future__ import annotations

import base64
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

mimicit = pytest.importorskip("mimicit")
pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
Image = pytest.importorskip("PIL.Image")


def make_image(index: int) -> bytes:
    """A small real image, deterministic: PNG for even, JPEG for odd indexes."""
    width, height = 3 + index % 11, 2 + index % 7
    pixels = bytes((index * 37 + i * 11) % 256 for i in range(width * height * 3))
    image = Image.frombytes("RGB", (width, height), pixels)
    out = io.BytesIO()
    image.save(out, format="PNG" if index % 2 == 0 else "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="module")
def images() -> dict[str, bytes]:
    # Ids as MIMIC-IT builds them, not in sorted order.
    return {f"LA_IMG_{(i * 7919) % 1000:012d}": make_image(i) for i in range(60)}


def b64_frame(images: dict[str, bytes]) -> "pd.DataFrame":
    encoded = {k: base64.b64encode(v).decode() for k, v in images.items()}
    return pd.DataFrame.from_dict(encoded, orient="index", columns=["base64"])


def open_store(paths, tmp_path: Path) -> "mimicit.ImageStore":
    return mimicit.ImageStore(paths, cache_dir=tmp_path / "cache")


def assert_store_holds(store, images: dict[str, bytes]) -> None:
    assert len(store) == len(images)
    assert store.ids() == sorted(images)
    for image_id, data in images.items():
        assert image_id in store
        assert store.get_bytes(image_id) == data, image_id


def test_pandas(tmp_path, images):
    path = tmp_path / "images.parquet"
    b64_frame(images).to_parquet(path)
    store = open_store(path, tmp_path)
    assert_store_holds(store, images)
    assert store.payload_kinds() == ["base64"]


def test_pandas_named_index(tmp_path, images):
    frame = b64_frame(images)
    frame.index.name = "image"
    path = tmp_path / "named.parquet"
    frame.to_parquet(path)
    assert_store_holds(open_store(str(path), tmp_path), images)


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_dask(tmp_path, images, npartitions):
    dd = pytest.importorskip("dask.dataframe")
    out = tmp_path / "dask_store"
    dd.from_pandas(b64_frame(images), npartitions=npartitions).to_parquet(str(out), engine="pyarrow")
    store = open_store(out, tmp_path)
    assert len(store.files()) == npartitions
    assert_store_holds(store, images)


def test_duckdb(tmp_path, images):
    duckdb = pytest.importorskip("duckdb")
    frame = b64_frame(images).reset_index(names="id")  # noqa: F841 (read by duckdb)
    text_path, blob_path = tmp_path / "duck.parquet", tmp_path / "duck_blob.parquet"
    duckdb.sql(f"COPY (SELECT id, base64 FROM frame) TO '{text_path}' (FORMAT parquet)")
    duckdb.sql(f"COPY (SELECT id AS image_id, from_base64(base64) AS image FROM frame) "
               f"TO '{blob_path}' (FORMAT parquet)")
    assert_store_holds(open_store(text_path, tmp_path), images)
    store = open_store(blob_path, tmp_path)
    assert store.payload_kinds() == ["binary"]
    assert_store_holds(store, images)


def test_polars(tmp_path, images):
    pl = pytest.importorskip("polars")
    path = tmp_path / "polars.parquet"
    pl.DataFrame({"id": list(images), "image": list(images.values())}).write_parquet(path)
    assert_store_holds(open_store(path, tmp_path), images)


def test_huggingface_struct(tmp_path, images):
    struct = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    table = pa.table({
        "key": pa.array(list(images), pa.string()),
        "image": pa.array([{"bytes": v, "path": f"{k}.png"} for k, v in images.items()], struct),
    })
    path = tmp_path / "hf.parquet"
    pq.write_table(table, path)
    store = open_store(path, tmp_path)
    assert store.payload_kinds() == ["huggingface_struct"]
    assert_store_holds(store, images)


def test_several_paths_last_wins(tmp_path, images):
    ids = list(images)
    first = {k: images[k] for k in ids[:40]}
    second = {k: images[k] for k in ids[30:]}
    second[ids[35]] = b"replaced"
    b64_frame(first).to_parquet(tmp_path / "a.parquet")
    b64_frame(second).to_parquet(tmp_path / "b.parquet")
    store = open_store([tmp_path / "a.parquet", tmp_path / "b.parquet"], tmp_path)
    expected = dict(images)
    expected[ids[35]] = b"replaced"
    assert_store_holds(store, expected)
    assert sorted(store.duplicates()) == sorted((k, 2) for k in ids[30:40])


def test_unknown_id_is_a_key_error(tmp_path, images):
    path = tmp_path / "s.parquet"
    b64_frame(images).to_parquet(path)
    store = open_store(path, tmp_path)
    with pytest.raises(KeyError, match="LA_IMG_nope"):
        store.get_bytes("LA_IMG_nope")
    with pytest.raises(mimicit.NotFoundError):
        store.get_bytes(b"LA_IMG_nope")
    assert "LA_IMG_nope" not in store
    assert 42 not in store
    with pytest.raises(TypeError):
        store.get_bytes(42)


def test_bad_base64_names_the_id(tmp_path):
    path = tmp_path / "bad.parquet"
    # '$' is skipped as urlsafe_b64decode skips it; 5 characters are left.
    pd.DataFrame.from_dict({"ok": "aGk=", "bad_one": "a$bcde"}, orient="index",
                           columns=["base64"]).to_parquet(path)
    store = open_store(path, tmp_path)
    assert store.get_bytes("ok") == b"hi"
    with pytest.raises(mimicit.CorruptError, match="bad_one"):
        store.get_bytes("bad_one")


def test_no_usable_columns_lists_them(tmp_path):
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"name": ["x"], "width": [3]}), path)
    with pytest.raises(ValueError, match="name.*width"):
        open_store(path, tmp_path)
    with pytest.raises(OSError, match="missing.parquet"):
        open_store(tmp_path / "missing.parquet", tmp_path)


def test_image_folder(tmp_path, images):
    folder = tmp_path / "folder"
    folder.mkdir()
    subset = dict(list(images.items())[:10])
    for i, (image_id, data) in enumerate(subset.items()):
        (folder / f"{image_id}.{'png' if i % 2 == 0 else 'JPG'}").write_bytes(data)
    (folder / "readme.txt").write_text("not an image")
    store = open_store(folder, tmp_path)
    assert store.payload_kinds() == ["image_file"]
    assert_store_holds(store, subset)


def test_saved_index_reopens(tmp_path, images):
    path = tmp_path / "s.parquet"
    b64_frame(images).to_parquet(path)
    assert_store_holds(open_store(path, tmp_path), images)
    index = path.parent / ".s.parquet.mimicit-index"  # hidden: dataset readers skip it
    assert index.is_file()
    assert_store_holds(open_store(path, tmp_path), images)
    index.write_bytes(b"garbage")
    assert_store_holds(open_store(path, tmp_path), images)
    no_index = mimicit.ImageStore(path, use_saved_index=False, save_index=False)
    assert_store_holds(no_index, images)


def test_threads(tmp_path, images):
    out = tmp_path / "dask_store"
    dd = pytest.importorskip("dask.dataframe")
    dd.from_pandas(b64_frame(images), npartitions=4).to_parquet(str(out), engine="pyarrow")
    store = open_store(out, tmp_path)
    ids = list(images) * 20

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(store.get_bytes, ids))
    assert results == [images[i] for i in ids]


def test_legacy_json_and_integer_index(tmp_path, images):
    import json
    subset = dict(list(images.items())[:20])
    path = tmp_path / "images.json"
    encoded = {k: base64.urlsafe_b64encode(v).decode().rstrip("=") for k, v in subset.items()}
    first = next(iter(encoded))
    encoded[first] = [encoded[first], "ignored"]
    path.write_text(json.dumps(encoded))
    store = open_store(path, tmp_path)
    assert store.payload_kinds() == ["json_base64"]
    assert_store_holds(store, subset)

    numbered = tmp_path / "numbered.parquet"
    b64_frame(subset).reset_index(drop=True).to_parquet(numbered)  # a RangeIndex: no id column
    with pytest.raises(ValueError, match="no image id column"):
        open_store(numbered, tmp_path)
    frame = b64_frame(subset).reset_index(drop=True)
    frame.index = pd.Index([i * 10 + 5 for i in range(len(frame))], dtype="int64")
    frame.to_parquet(numbered)
    store = open_store(numbered, tmp_path)
    assert store.get_bytes("15") == list(subset.values())[1]


def test_legacy_json_in_pandas_columns_layout(tmp_path, images):
    """The images JSON as pandas writes it by default (DataFrame.to_json():
    orient "columns", '/' escaped), the one layout the reference's JSON
    branch reads: pd.DataFrame(orjson.loads(...)).loc[id]["base64"]."""
    import json
    subset = dict(list(images.items())[:30])
    path = tmp_path / "images.json"
    b64_frame(subset).to_json(path)
    text = path.read_text()
    assert text.startswith('{"base64":{') and "\\/" in text  # pandas' own layout and escapes
    # The reference's branch, as it reads the file.
    reference = pd.DataFrame(json.loads(path.read_bytes()))
    for image_id, data in subset.items():
        assert base64.urlsafe_b64decode(reference.loc[image_id]["base64"]) == data
    store = open_store(path, tmp_path)
    assert store.payload_kinds() == ["json_base64"]
    assert_store_holds(store, subset)
    # More columns, "base64" not the first: the ids still come from it.
    frame = b64_frame(subset)
    frame.insert(0, "size", [len(v) for v in subset.values()])
    frame.to_json(tmp_path / "two_columns.json")
    assert_store_holds(open_store(tmp_path / "two_columns.json", tmp_path), subset)
    # The other two layouts still read: {id: b64} and {id: [b64]}.
    plain = {k: base64.b64encode(v).decode() for k, v in subset.items()}
    (tmp_path / "plain.json").write_text(json.dumps(plain))
    (tmp_path / "lists.json").write_text(json.dumps({k: [v] for k, v in plain.items()}))
    for name in ("plain.json", "lists.json"):
        assert_store_holds(open_store(tmp_path / name, tmp_path), subset)


def test_saved_indexes_do_not_disturb_dataset_readers(tmp_path, images):
    """Opening one part of a dask folder, or the folder, saves hidden index
    files that pandas and dask skip when they read the folder."""
    import dask.dataframe as dd
    import pandas as pd
    folder = tmp_path / "parts"
    dd.from_pandas(b64_frame(images), npartitions=3).to_parquet(folder, engine="pyarrow")
    mimicit.ImageStore(str(folder / "part.1.parquet"))
    mimicit.ImageStore(str(folder))
    assert len(pd.read_parquet(folder)) == len(images)
    assert len(dd.read_parquet(folder).compute()) == len(images)


def test_get_image_matches_pillow(tmp_path, images):
    import numpy as np
    path = tmp_path / "s.parquet"
    frame = b64_frame(images)
    frame.loc["LA_IMG_broken"] = [base64.b64encode(b"not an image").decode()]
    frame.to_parquet(path)
    store = mimicit.ImageStore(path)
    for image_id, data in list(images.items())[:20]:
        expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        got = store.get_image(image_id)
        assert got.dtype == np.uint8 and got.shape == expected.shape
        assert np.array_equal(got, expected)
    with pytest.raises(mimicit.CorruptError, match="LA_IMG_broken"):
        store.get_image("LA_IMG_broken")
    with pytest.raises(KeyError):
        store.get_image("LA_IMG_missing")


def big_images(count: int, size: int) -> dict[str, bytes]:
    """Payloads large enough that pyarrow's pages exceed the 4 MiB above
    which mimicit streams a page instead of decoding it whole: JPEG-framed
    random bytes (the store does not decode images)."""
    import random
    rng = random.Random(17)
    return {f"LA_IMG_{(i * 7919) % 100000:012d}": b"\xff\xd8\xff\xe0" + rng.randbytes(size) + b"\xff\xd9"
            for i in range(count)}


@pytest.mark.parametrize("compression", ["snappy", "zstd", "gzip", "none"])
@pytest.mark.parametrize("layout", ["pandas", "plain_v1", "plain_v2", "dict_v2"])
def test_large_pages_pyarrow_writes(tmp_path, compression, layout):
    # pandas' to_parquet: the first 1024 values of a row group go into one
    # dictionary page (here ~9 MB); without dictionary, one huge PLAIN page.
    # Nulls in between exercise the definition levels of streamed pages.
    images = big_images(40, 170_000)
    frame = b64_frame(images)
    frame.iloc[[5, 17], 0] = None
    path = tmp_path / f"{layout}.parquet"
    if layout == "pandas":
        frame.to_parquet(path, compression=compression)
    else:
        table = pa.Table.from_pandas(frame, preserve_index=True)
        pq.write_table(table, path, compression=compression, use_dictionary=layout.startswith("dict"),
                       data_page_version="2.0" if layout.endswith("v2") else "1.0")
    pages = pq.ParquetFile(path).metadata.row_group(0).column(0)
    assert pages.total_uncompressed_size > 8 << 20
    store = open_store(path, tmp_path)
    nulls = set(frame.index[[5, 17]])
    for image_id, data in reversed(list(images.items())):
        if image_id in nulls:
            with pytest.raises(mimicit.MimicitError, match="payload is null"):
                store.get_bytes(image_id)
        else:
            assert store.get_bytes(image_id) == data, image_id
