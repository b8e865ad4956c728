"""Files written by the peers (pyarrow, duckdb, polars, pandas, dask) read by
mimicit exactly as pyarrow reads them.

Each file is read twice through the `mimicit_rows` fixture: by
`mimicit parquet cat` (after `mimicit parquet check` accepts it) and by
mimicit.parquet.read; both must equal reference.py's rendering.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reference
from sample_data import flat_sample_table, large_values_table, sample_table

PYARROW_CODECS = ["none", "snappy", "gzip", "zstd", "brotli", "lz4", "lz4_raw"]


def assert_reads_like_pyarrow(path: Path, mimicit_rows) -> None:
    reference.assert_rows_equal(mimicit_rows(path), reference.expected_rows(path), path.name)


# ---------------------------------------------------------------------------
# pyarrow

@pytest.mark.parametrize("codec", PYARROW_CODECS)
def test_pyarrow_codecs(tmp_path: Path, mimicit_rows, codec: str) -> None:
    path = tmp_path / f"{codec}.parquet"
    pq.write_table(sample_table(), path, compression=codec, row_group_size=600)
    assert_reads_like_pyarrow(path, mimicit_rows)


@pytest.mark.parametrize("data_page_version", ["1.0", "2.0"])
@pytest.mark.parametrize("use_dictionary", [True, False], ids=["dictionary", "plain"])
def test_pyarrow_dictionary_and_page_versions(tmp_path: Path, mimicit_rows, use_dictionary: bool,
                                              data_page_version: str) -> None:
    path = tmp_path / "pages.parquet"
    pq.write_table(sample_table(), path, use_dictionary=use_dictionary,
                   data_page_version=data_page_version, compression="zstd")
    assert_reads_like_pyarrow(path, mimicit_rows)


PYARROW_LAYOUTS = {
    "no-statistics": dict(write_statistics=False),
    "page-index": dict(write_page_index=True),
    "page-index-v2": dict(write_page_index=True, data_page_version="2.0"),
    "checksums": dict(write_page_checksum=True),
    "checksums-v2": dict(write_page_checksum=True, data_page_version="2.0", compression="gzip"),
    "many-row-groups": dict(row_group_size=97),
    "tiny-pages": dict(data_page_size=256, write_batch_size=32, write_page_index=True),
    "tiny-pages-v2": dict(data_page_size=256, write_batch_size=32, data_page_version="2.0"),
    "small-dictionary-limit": dict(dictionary_pagesize_limit=512),
    "byte-stream-split": dict(use_dictionary=False, use_byte_stream_split=[
        "id", "score", "ratio", "small", "count"]),
    "byte-stream-split-some": dict(use_byte_stream_split=["score", "ratio", "small"]),
    "delta": dict(use_dictionary=False, column_encoding={
        "id": "DELTA_BINARY_PACKED", "small": "DELTA_BINARY_PACKED",
        "image_id": "DELTA_BYTE_ARRAY", "name": "DELTA_BYTE_ARRAY",
        "base64": "DELTA_LENGTH_BYTE_ARRAY", "payload": "DELTA_LENGTH_BYTE_ARRAY"}),
    "delta-v2": dict(use_dictionary=False, data_page_version="2.0", column_encoding={
        "id": "DELTA_BINARY_PACKED", "count": "DELTA_BINARY_PACKED",
        "name": "DELTA_BYTE_ARRAY", "payload": "DELTA_LENGTH_BYTE_ARRAY"}),
    "legacy-format-1.0": dict(version="1.0"),
    "compliant-nested-off": dict(use_compliant_nested_type=False),
}


@pytest.mark.parametrize("options", PYARROW_LAYOUTS.values(), ids=PYARROW_LAYOUTS.keys())
def test_pyarrow_layouts(tmp_path: Path, mimicit_rows, options: dict) -> None:
    path = tmp_path / "layout.parquet"
    pq.write_table(sample_table(), path, **options)
    assert_reads_like_pyarrow(path, mimicit_rows)


@pytest.mark.parametrize("as_integer", [False, True], ids=["fixed-len-bytes", "int32-int64"])
def test_pyarrow_decimals(tmp_path: Path, mimicit_rows, as_integer: bool) -> None:
    from decimal import Decimal
    values = [Decimal("0"), Decimal("-1.25"), None, Decimal("123.45"), Decimal("-99999.99")]
    table = pa.table({
        "d9": pa.array(values, pa.decimal128(9, 2)),
        "d18": pa.array(values, pa.decimal128(18, 4)),
        "d30": pa.array(values, pa.decimal128(30, 3)),
    })
    path = tmp_path / "decimals.parquet"
    pq.write_table(table, path, store_decimal_as_integer=as_integer)
    assert_reads_like_pyarrow(path, mimicit_rows)


def test_pyarrow_types_beyond_the_sample(tmp_path: Path, mimicit_rows) -> None:
    """Every flat Arrow type pyarrow maps onto a plain Parquet column."""
    table = pa.table({
        "i8": pa.array([-128, 0, None, 127], pa.int8()),
        "u16": pa.array([0, 65535, None, 1], pa.uint16()),
        "u32": pa.array([0, 2**32 - 1, None, 7], pa.uint32()),
        "i64": pa.array([-2**63, 2**63 - 1, None, 0], pa.int64()),
        "f16": pa.array([1.5, None, float("nan"), -0.0], pa.float16()),
        "ts_ms": pa.array([0, -1, None, 2**40], pa.timestamp("ms")),
        "ts_ns": pa.array([0, -1, None, 2**62], pa.timestamp("ns", tz="Europe/Paris")),
        "time_ms": pa.array([0, 86_399_999, None, 1], pa.time32("ms")),
        "time_us": pa.array([0, 86_399_999_999, None, 1], pa.time64("us")),
        "fixed": pa.array([b"abcd", b"\x00\x00\x00\x00", None, b"\xff\xfe\xfd\xfc"], pa.binary(4)),
        "large_text": pa.array(["x", "", None, "ü"], pa.large_string()),
        "large_bytes": pa.array([b"x", b"", None, b"\x00"], pa.large_binary()),
        "category": pa.array(["a", "b", None, "a"]).dictionary_encode(),
        "nulls": pa.array([None] * 4, pa.null()),
    })
    path = tmp_path / "types.parquet"
    pq.write_table(table, path)
    assert_reads_like_pyarrow(path, mimicit_rows)


def test_pyarrow_values_over_one_mebibyte(tmp_path: Path, mimicit_rows) -> None:
    path = tmp_path / "large.parquet"
    pq.write_table(large_values_table(), path)
    assert_reads_like_pyarrow(path, mimicit_rows)


def test_pyarrow_empty_and_single_row(tmp_path: Path, mimicit_rows) -> None:
    for rows in (0, 1):
        path = tmp_path / f"rows-{rows}.parquet"
        pq.write_table(sample_table().slice(0, rows), path)
        assert_reads_like_pyarrow(path, mimicit_rows)


def test_pyarrow_struct_columns(tmp_path: Path, mimicit_rows) -> None:
    table = pa.table({
        "id": pa.array([1, 2, 3, 4], pa.int64()),
        "meta": pa.array([
            {"width": 640, "caption": "a cat", "tags": ["x", None]},
            None,
            {"width": None, "caption": None, "tags": None},
            {"width": 1, "caption": "", "tags": []},
        ], pa.struct([("width", pa.int32()), ("caption", pa.string()),
                      ("tags", pa.list_(pa.string()))])),
    })
    path = tmp_path / "structs.parquet"
    pq.write_table(table, path)
    assert_reads_like_pyarrow(path, mimicit_rows)


# ---------------------------------------------------------------------------
# duckdb

DUCKDB_CODECS = ["uncompressed", "snappy", "gzip", "zstd", "brotli", "lz4", "lz4_raw"]


def duckdb_copy(table: pa.Table, path: Path, options: str) -> None:
    import duckdb
    with duckdb.connect() as connection:
        connection.register("sample", table)
        connection.execute(f"COPY sample TO '{path}' (FORMAT parquet, {options})")


@pytest.mark.parametrize("codec", DUCKDB_CODECS)
def test_duckdb_codecs(tmp_path: Path, mimicit_rows, codec: str) -> None:
    path = tmp_path / f"duckdb-{codec}.parquet"
    duckdb_copy(sample_table(), path, f"CODEC '{codec}', ROW_GROUP_SIZE 512")
    assert_reads_like_pyarrow(path, mimicit_rows)


def test_duckdb_parquet_v2(tmp_path: Path, mimicit_rows) -> None:
    """duckdb's V2 files use DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and
    BYTE_STREAM_SPLIT. pyarrow 26 cannot decode the INT32 column ('small',
    full int32 range) of such a file ("InitBlock EOF") while duckdb and
    polars can, so here duckdb's own reading is the reference."""
    import duckdb
    path = tmp_path / "duckdb-v2.parquet"
    duckdb_copy(sample_table(), path, "CODEC 'zstd', PARQUET_VERSION V2")
    with duckdb.connect() as connection:
        table = connection.sql(f"SELECT * FROM read_parquet('{path}')").to_arrow_table()
    expected = reference.render_table(table, reference.parquet_columns(path))
    reference.assert_rows_equal(mimicit_rows(path), expected, path.name)


# ---------------------------------------------------------------------------
# polars

POLARS_CODECS = ["uncompressed", "snappy", "gzip", "lz4", "zstd", "brotli"]


@pytest.mark.parametrize("codec", POLARS_CODECS)
def test_polars_codecs(tmp_path: Path, mimicit_rows, codec: str) -> None:
    import polars as pl
    path = tmp_path / f"polars-{codec}.parquet"
    pl.from_arrow(sample_table()).write_parquet(path, compression=codec, row_group_size=500)
    assert_reads_like_pyarrow(path, mimicit_rows)


def test_polars_small_pages_without_statistics(tmp_path: Path, mimicit_rows) -> None:
    import polars as pl
    path = tmp_path / "polars-pages.parquet"
    pl.from_arrow(sample_table()).write_parquet(path, statistics=False, data_page_size=1024,
                                                row_group_size=300)
    assert_reads_like_pyarrow(path, mimicit_rows)


# ---------------------------------------------------------------------------
# pandas and dask

def sample_frame():
    frame = flat_sample_table(600).to_pandas()
    frame["kind"] = frame["id"].map(lambda i: ["photo", "video", "scan"][i % 3]).astype("category")
    return frame


@pytest.mark.parametrize("codec", ["snappy", "gzip", "zstd", None], ids=str)
def test_pandas_with_index(tmp_path: Path, mimicit_rows, codec) -> None:
    path = tmp_path / "pandas.parquet"
    sample_frame().set_index("image_id").to_parquet(path, engine="pyarrow", compression=codec)
    assert_reads_like_pyarrow(path, mimicit_rows)


def test_pandas_with_range_index(tmp_path: Path, mimicit_rows) -> None:
    path = tmp_path / "pandas-range.parquet"
    sample_frame().to_parquet(path, engine="pyarrow")
    assert_reads_like_pyarrow(path, mimicit_rows)


def test_dask_part_files(tmp_path: Path, mimicit_rows) -> None:
    import dask
    import dask.dataframe as dd
    folder = tmp_path / "dask"
    # Without the binary column: dask converts object columns to strings
    # and cannot infer a schema for raw bytes.
    frame = sample_frame().drop(columns="payload")
    with dask.config.set(scheduler="synchronous"):
        dd.from_pandas(frame, npartitions=3).to_parquet(folder)
    parts = sorted(folder.glob("*.parquet"))
    assert len(parts) == 3
    for part in parts:
        assert_reads_like_pyarrow(part, mimicit_rows)


# ---------------------------------------------------------------------------
# MIMIC-IT image stores, written the way the reference pipeline writes them

def image_store(num_images: int) -> dict[str, str]:
    """{image id: base64 text} like a MIMIC-IT image store."""
    table = flat_sample_table(num_images)
    return {f"LA_IMG_{i:012d}": (text or "") for i, text in enumerate(table.column("base64").to_pylist())}


def test_pandas_image_store(tmp_path: Path, mimicit_rows) -> None:
    import pandas as pd
    path = tmp_path / "LA.parquet"
    pd.DataFrame.from_dict(image_store(400), orient="index", columns=["base64"]).to_parquet(path)
    rows = mimicit_rows(path)
    assert set(rows[0]) == {"base64", "__index_level_0__"}
    reference.assert_rows_equal(rows, reference.expected_rows(path), path.name)


def test_dask_image_store(tmp_path: Path, mimicit_rows) -> None:
    import dask
    import dask.dataframe as dd
    import pandas as pd
    frame = pd.DataFrame.from_dict(image_store(600), orient="index", columns=["base64"])
    folder = tmp_path / "LA"
    with dask.config.set(scheduler="synchronous"):
        dd.from_pandas(frame, npartitions=3).to_parquet(folder, engine="pyarrow")
    parts = sorted(folder.glob("part.*.parquet"))
    assert len(parts) == 3
    for part in parts:
        assert_reads_like_pyarrow(part, mimicit_rows)


# ---------------------------------------------------------------------------
# Selections and lookups on peer files

def test_cat_column_selection_and_row_window(tmp_path: Path, cat_jsonl) -> None:
    path = tmp_path / "window.parquet"
    pq.write_table(sample_table(), path, row_group_size=200, data_page_size=1024,
                   write_page_index=True)
    expected = reference.expected_rows(path)
    rows = cat_jsonl(path, "--offset", 390, "--limit", 25)
    reference.assert_rows_equal(rows, expected[390:415], "offset/limit")
    selected = cat_jsonl(path, "--columns", "tags,id", "--offset", 1490)
    reference.assert_rows_equal(
        selected, [{"tags": row["tags"], "id": row["id"]} for row in expected[1490:]], "columns")


def test_python_column_selection(tmp_path: Path) -> None:
    mimicit = pytest.importorskip("mimicit")
    path = tmp_path / "select.parquet"
    table = pa.table({
        "id": pa.array([1, 2], pa.int64()),
        "meta": pa.array([{"width": 3, "caption": "x"}, None],
                         pa.struct([("width", pa.int32()), ("caption", pa.string())])),
    })
    pq.write_table(table, path)
    assert mimicit.parquet.read(path, columns=["meta.caption", "id"]) == \
        {"meta.caption": ["x", None], "id": [1, 2]}


@pytest.mark.parametrize("page_index", [True, False], ids=["page-index", "no-page-index"])
def test_find_sorted_in_pyarrow_files(tmp_path: Path, page_index: bool) -> None:
    mimicit = pytest.importorskip("mimicit")
    table = sample_table(3000)
    path = tmp_path / "sorted.parquet"
    pq.write_table(table, path, row_group_size=700, data_page_size=512, write_batch_size=64,
                   write_page_index=page_index)
    image_ids = table.column("image_id").to_pylist()
    ids = table.column("id").to_pylist()
    for row in (0, 1, 699, 700, 1501, 2999):
        assert mimicit.parquet.find_sorted(path, "image_id", image_ids[row]) == row
        assert mimicit.parquet.find_sorted(path, "id", ids[row]) == row
    assert mimicit.parquet.find_sorted(path, "image_id", "IMG_99999999") is None
    assert mimicit.parquet.find_sorted(path, "id", 2) is None
