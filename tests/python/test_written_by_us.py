"""Files written by mimicit.parquet.write, read by the peers.

Across the writer's options (codecs, dictionary on/off and forced fallback,
data page v1/v2, statistics, page index, CRCs, bloom filters, small row
groups and pages, nulls, empty strings, values over 1 MiB, 0 and 1 rows),
pyarrow, pandas, dask, duckdb and polars must read back exactly what was
written, and pyarrow/duckdb must see the statistics, page index and bloom
filters the options ask for.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reference import assert_columns_equal

mimicit = pytest.importorskip("mimicit")

SEED = 20240602
TYPES = {"id": "int64", "image_id": "string", "base64": "string", "caption": "string",
         "payload": "binary", "score": "double", "small": "int32", "flag": "bool"}
ARROW_TYPES = {"int64": pa.int64(), "string": pa.string(), "binary": pa.binary(),
               "double": pa.float64(), "int32": pa.int32(), "bool": pa.bool_()}
CAPTIONS = ["", "a photo of a cat", "héllo wörld", "日本語のキャプション", "🦜", "line\nbreak", "\x00"]


def image_columns(num_rows: int, seed: int = SEED, first_id: int = 0) -> dict[str, list]:
    """A MIMIC-IT-like image table: sorted ids, base64 images, captions,
    raw bytes, numbers; with nulls, empty strings, NaN and infinities."""
    rng = np.random.default_rng(seed)
    payloads = [rng.bytes(int(n)) for n in rng.integers(0, 200, num_rows)]
    scores = rng.normal(size=num_rows).tolist()
    specials = [math.nan, math.inf, -math.inf, -0.0]
    return {
        "id": [3 * (first_id + i) for i in range(num_rows)],
        "image_id": [f"IMG_{first_id + i:08d}" for i in range(num_rows)],
        "base64": [None if i % 13 == 4 else base64.b64encode(p).decode() for i, p in enumerate(payloads)],
        "caption": [None if i % 9 == 2 else CAPTIONS[i % len(CAPTIONS)] + ("" if i % 4 else str(i))
                    for i in range(num_rows)],
        "payload": [None if i % 11 == 5 else p for i, p in enumerate(payloads)],
        "score": [None if i % 10 == 7 else specials[i // 31 % 4] if i % 31 == 0 else s
                  for i, s in enumerate(scores)],
        "small": [None if i % 6 == 1 else int(v) for i, v in
                  enumerate(rng.integers(-2**31, 2**31, num_rows))],
        "flag": [None if i % 5 == 3 else bool(v) for i, v in enumerate(rng.random(num_rows) < 0.5)],
    }


def write(path: Path, columns: dict[str, list], **options) -> Path:
    if "types" not in options:
        options["types"] = {name: TYPES[name] for name in columns}
    mimicit.parquet.write(path, columns, **options)
    return path


def read_with_pyarrow(path: Path) -> pa.Table:
    # Verifying page checksums checks the CRCs mimicit writes.
    return pq.read_table(path, page_checksum_verification=True)


def assert_pyarrow_reads(path: Path, columns: dict[str, list], nullable=True) -> pa.Table:
    table = read_with_pyarrow(path)
    expected_schema = pa.schema([
        pa.field(name, ARROW_TYPES[TYPES[name]],
                 nullable=nullable if isinstance(nullable, bool) else nullable.get(name, True))
        for name in columns])
    assert table.schema.remove_metadata() == expected_schema, table.schema
    assert_columns_equal(table.to_pydict(), columns, f"pyarrow {path.name}")
    return table


# ---------------------------------------------------------------------------
# pyarrow, across the writer's options

@pytest.mark.parametrize("data_page_version", [1, 2])
@pytest.mark.parametrize("codec", ["none", "snappy", "gzip", "zstd"])
def test_codecs_and_page_versions(tmp_path: Path, codec: str, data_page_version: int) -> None:
    columns = image_columns(3000)
    path = write(tmp_path / "images.parquet", columns, codec=codec,
                 data_page_version=data_page_version, row_group_rows=1000, page_rows=300)
    assert_pyarrow_reads(path, columns)
    metadata = pq.read_metadata(path)
    expected_codec = "UNCOMPRESSED" if codec == "none" else codec.upper()
    assert {metadata.row_group(g).column(c).compression
            for g in range(metadata.num_row_groups)
            for c in range(metadata.num_columns)} == {expected_codec}
    assert metadata.num_row_groups == 3


@pytest.mark.parametrize("level", [1, 9])
def test_compression_levels(tmp_path: Path, level: int) -> None:
    columns = image_columns(500)
    for codec in ("gzip", "zstd"):
        path = write(tmp_path / f"{codec}-{level}.parquet", columns, codec=codec,
                     compression_level=level)
        assert_pyarrow_reads(path, columns)


def chunk(path: Path, name: str, row_group: int = 0):
    metadata = pq.read_metadata(path)
    names = [metadata.schema.column(i).path for i in range(metadata.num_columns)]
    return metadata.row_group(row_group).column(names.index(name))


@pytest.mark.parametrize("dictionary", [True, False])
def test_dictionary_on_and_off(tmp_path: Path, dictionary: bool) -> None:
    columns = image_columns(2000)
    path = write(tmp_path / "dictionary.parquet", columns, dictionary=dictionary)
    assert_pyarrow_reads(path, columns)
    assert chunk(path, "caption").has_dictionary_page == dictionary


def test_dictionary_for_chosen_columns(tmp_path: Path) -> None:
    columns = image_columns(1000)
    path = write(tmp_path / "some.parquet", columns, dictionary=["caption", "flag"])
    assert_pyarrow_reads(path, columns)
    assert chunk(path, "caption").has_dictionary_page
    assert not chunk(path, "image_id").has_dictionary_page


def test_dictionary_falls_back_to_plain(tmp_path: Path) -> None:
    """Many distinct long strings overflow a small dictionary limit: the
    chunk starts dictionary-encoded and continues PLAIN."""
    rng = np.random.default_rng(SEED)
    columns = {"text": [rng.bytes(60).hex() for _ in range(5000)]}
    path = write(tmp_path / "fallback.parquet", columns, types={"text": "string"},
                 dictionary_bytes=4096, page_rows=500)
    table = read_with_pyarrow(path)
    assert table.column("text").to_pylist() == columns["text"]
    encodings = set(chunk(path, "text").encodings)
    assert "PLAIN" in encodings, encodings
    assert encodings & {"RLE_DICTIONARY", "PLAIN_DICTIONARY"}, encodings


@pytest.mark.parametrize("statistics", [True, False])
def test_statistics(tmp_path: Path, statistics: bool) -> None:
    columns = image_columns(1200)
    path = write(tmp_path / "stats.parquet", columns, statistics=statistics, row_group_rows=500)
    assert_pyarrow_reads(path, columns)
    metadata = pq.read_metadata(path)
    for group in range(metadata.num_row_groups):
        first, last = group * 500, min(1200, group * 500 + 500)
        for name in ("id", "image_id", "small"):
            column = metadata.row_group(group).column(list(TYPES).index(name))
            assert column.is_stats_set == statistics
            if statistics:
                present = [v for v in columns[name][first:last] if v is not None]
                assert column.statistics.min == min(present), (group, name)
                assert column.statistics.max == max(present), (group, name)
                assert column.statistics.null_count == (last - first) - len(present)


@pytest.mark.parametrize("page_index", [True, False])
def test_page_index(tmp_path: Path, page_index: bool) -> None:
    columns = image_columns(1000)
    path = write(tmp_path / "index.parquet", columns, page_index=page_index, page_rows=100)
    assert_pyarrow_reads(path, columns)
    metadata = pq.read_metadata(path)
    for c in range(metadata.num_columns):
        assert metadata.row_group(0).column(c).has_offset_index == page_index
        assert metadata.row_group(0).column(c).has_column_index == page_index


def flip_last_byte_of_chunk(path: Path, name: str) -> None:
    """The last byte of a column chunk is page data: flipping it breaks the
    page's CRC, not the structure."""
    column = chunk(path, name)
    start = column.dictionary_page_offset or column.data_page_offset
    with open(path, "r+b") as f:
        f.seek(start + column.total_compressed_size - 1)
        byte = f.read(1)[0]
        f.seek(-1, 1)
        f.write(bytes([byte ^ 0x01]))


def test_page_crcs_are_written_and_checked(tmp_path: Path) -> None:
    columns = {"payload": [bytes([i % 256]) * 100 for i in range(200)]}
    path = write(tmp_path / "crc.parquet", columns, types={"payload": "binary"},
                 codec="none", dictionary=False, write_crc=True)
    read_with_pyarrow(path)
    flip_last_byte_of_chunk(path, "payload")
    with pytest.raises(OSError, match="(?i)crc|checksum"):
        read_with_pyarrow(path)
    with pytest.raises(mimicit.CorruptError, match="(?i)crc|checksum"):
        mimicit.parquet.read(path)


def test_without_crcs(tmp_path: Path) -> None:
    columns = {"payload": [bytes([i % 256]) * 100 for i in range(200)]}
    path = write(tmp_path / "no-crc.parquet", columns, types={"payload": "binary"},
                 codec="none", dictionary=False, write_crc=False)
    flip_last_byte_of_chunk(path, "payload")
    # No CRC to check: both readers return the (flipped) data.
    assert read_with_pyarrow(path).num_rows == 200
    assert len(mimicit.parquet.read(path)["payload"]) == 200


def test_small_row_groups_and_pages(tmp_path: Path) -> None:
    columns = image_columns(1000)
    path = write(tmp_path / "small.parquet", columns, row_group_rows=64, page_rows=7,
                 page_bytes=512)
    assert_pyarrow_reads(path, columns)
    metadata = pq.read_metadata(path)
    assert metadata.num_row_groups == math.ceil(1000 / 64)
    assert [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)] == \
        [64] * 15 + [1000 - 64 * 15]


def test_row_group_bytes_limit(tmp_path: Path) -> None:
    columns = image_columns(2000)
    path = write(tmp_path / "bytes.parquet", columns, row_group_bytes=64 << 10, codec="none")
    assert_pyarrow_reads(path, columns)
    assert pq.read_metadata(path).num_row_groups > 1


def test_required_columns(tmp_path: Path) -> None:
    columns = {"id": list(range(100)), "image_id": [f"IMG_{i}" for i in range(100)]}
    nullable = {"id": False, "image_id": True}
    path = write(tmp_path / "required.parquet", columns, nullable=nullable)
    assert_pyarrow_reads(path, columns, nullable=nullable)


def test_all_nulls_and_empty_strings(tmp_path: Path) -> None:
    columns = {name: [None] * 50 for name in TYPES}
    columns["caption"] = [""] * 50
    columns["payload"] = [b""] * 50
    path = write(tmp_path / "nulls.parquet", columns)
    assert_pyarrow_reads(path, columns)


@pytest.mark.parametrize("num_rows", [0, 1])
def test_zero_and_one_row(tmp_path: Path, num_rows: int) -> None:
    columns = image_columns(num_rows)
    path = write(tmp_path / f"rows-{num_rows}.parquet", columns)
    assert_pyarrow_reads(path, columns)
    assert pq.read_metadata(path).num_rows == num_rows


@pytest.mark.parametrize("data_page_version", [1, 2])
def test_values_over_one_mebibyte(tmp_path: Path, data_page_version: int) -> None:
    rng = np.random.default_rng(SEED)
    blobs = [rng.bytes(n) for n in ((3 << 20) + 1, 0, 1 << 20, 7)]
    columns = {"id": list(range(4)), "image_id": [f"IMG_{i}" for i in range(4)],
               "base64": [base64.b64encode(b).decode() for b in blobs], "payload": blobs}
    path = write(tmp_path / "large.parquet", columns, data_page_version=data_page_version)
    assert_pyarrow_reads(path, columns)


def test_key_value_metadata(tmp_path: Path) -> None:
    columns = image_columns(10)
    path = write(tmp_path / "kv.parquet", columns, metadata={"dataset": "MIMIC-IT", "split": "train"})
    kv = pq.read_metadata(path).metadata
    assert kv[b"dataset"] == b"MIMIC-IT" and kv[b"split"] == b"train"
    assert {"key": "dataset", "value": "MIMIC-IT"} in mimicit.parquet.metadata(path)["key_value_metadata"]


def test_bloom_filters_seen_by_peers(tmp_path: Path) -> None:
    import duckdb
    columns = image_columns(3000)
    path = write(tmp_path / "bloom.parquet", columns, bloom_filter=["image_id", "id"])
    assert_pyarrow_reads(path, columns)
    assert chunk(path, "image_id").bloom_filter_offset is not None
    assert chunk(path, "id").bloom_filter_offset is not None
    assert chunk(path, "caption").bloom_filter_offset is None

    def excluded(column: str, value) -> bool:
        with duckdb.connect() as connection:
            rows = connection.execute(
                "SELECT bloom_filter_excludes FROM parquet_bloom_probe(?, ?, ?)",
                [str(path), column, value]).fetchall()
        return all(row[0] for row in rows)

    # No false negatives; false positives near the 1% target (a generous bound).
    for i in range(0, 3000, 97):
        assert not excluded("image_id", f"IMG_{i:08d}"), i
        assert not excluded("id", 3 * i), i
    absent = [f"NOPE_{i}" for i in range(200)]
    assert sum(excluded("image_id", key) for key in absent) >= 180


# ---------------------------------------------------------------------------
# pandas, dask, duckdb, polars

def test_pandas_reads_and_restores_the_index(tmp_path: Path) -> None:
    import pandas as pd
    columns = image_columns(500)
    path = write(tmp_path / "indexed.parquet", columns, pandas_index="image_id")
    frame = pd.read_parquet(path)
    assert frame.index.name == "image_id"
    assert list(frame.index) == columns["image_id"]
    assert list(frame.columns) == [name for name in columns if name != "image_id"]
    assert frame.loc["IMG_00000042", "id"] == 126
    expected = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(frame, expected)
    assert_columns_equal({name: [None if pd.isna(v) else v for v in frame[name]]
                          for name in ("id", "caption")},
                         {"id": columns["id"], "caption": columns["caption"]}, "pandas")


def test_pandas_without_index(tmp_path: Path) -> None:
    import pandas as pd
    columns = image_columns(300)
    path = write(tmp_path / "plain.parquet", columns)
    frame = pd.read_parquet(path)
    assert isinstance(frame.index, pd.RangeIndex) and len(frame) == 300
    assert list(frame["image_id"]) == columns["image_id"]
    assert [None if pd.isna(v) else v for v in frame["payload"]] == columns["payload"]


def write_folder(folder: Path, parts: int, rows_per_part: int) -> dict[str, list]:
    folder.mkdir()
    everything: dict[str, list] = {name: [] for name in TYPES}
    for part in range(parts):
        columns = image_columns(rows_per_part, seed=SEED + part, first_id=part * rows_per_part)
        write(folder / f"part.{part}.parquet", columns, row_group_rows=100)
        for name in TYPES:
            everything[name].extend(columns[name])
    return everything


def test_dask_reads_a_folder_of_our_files(tmp_path: Path) -> None:
    import dask
    import dask.dataframe as dd
    everything = write_folder(tmp_path / "store", parts=3, rows_per_part=400)
    with dask.config.set(scheduler="synchronous"):
        frame = dd.read_parquet(tmp_path / "store").compute()
    assert list(frame["image_id"]) == everything["image_id"]
    assert list(frame["id"]) == everything["id"]


def test_dask_loc_on_sorted_ids(tmp_path: Path) -> None:
    """Our statistics give dask its divisions, so .loc goes to one partition."""
    import dask
    import dask.dataframe as dd
    everything = write_folder(tmp_path / "store", parts=3, rows_per_part=400)
    with dask.config.set(scheduler="synchronous"):
        frame = dd.read_parquet(tmp_path / "store", index="id", calculate_divisions=True)
        assert frame.known_divisions
        for row in (0, 399, 400, 777, 1199):
            found = frame.loc[everything["id"][row]].compute()
            assert list(found["image_id"]) == [everything["image_id"][row]]


def test_duckdb_reads(tmp_path: Path) -> None:
    import duckdb
    columns = image_columns(2000)
    path = write(tmp_path / "duck.parquet", columns, row_group_rows=300, page_rows=50)
    with duckdb.connect() as connection:
        rows = connection.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
        found = connection.execute(
            f"SELECT id FROM read_parquet('{path}') WHERE image_id = 'IMG_00001234'").fetchall()
    assert_columns_equal({name: [row[i] for row in rows] for i, name in enumerate(columns)},
                         columns, "duckdb")
    assert found == [(3 * 1234,)]


def test_polars_reads(tmp_path: Path) -> None:
    import polars as pl
    columns = image_columns(2000)
    for version in (1, 2):
        path = write(tmp_path / f"polars-{version}.parquet", columns, data_page_version=version,
                     row_group_rows=700)
        assert_columns_equal(pl.read_parquet(path).to_dict(as_series=False), columns,
                             f"polars {path.name}")


# ---------------------------------------------------------------------------
# Our own reader, lookups and metadata on our files

def test_read_back_with_mimicit(tmp_path: Path) -> None:
    columns = image_columns(1500)
    path = write(tmp_path / "ours.parquet", columns, row_group_rows=400, page_rows=64)
    assert_columns_equal(mimicit.parquet.read(path), columns, "mimicit")
    assert_columns_equal(mimicit.parquet.read(path, columns=["caption", "id"]),
                         {"caption": columns["caption"], "id": columns["id"]}, "mimicit columns")


def test_inferred_types(tmp_path: Path) -> None:
    columns = {"b": [None, True], "i": [None, 2**40], "f": [0.5, None], "s": ["x", None],
               "y": [b"\x00", None]}
    path = tmp_path / "inferred.parquet"
    mimicit.parquet.write(path, columns)
    schema = pq.read_schema(path)
    assert [schema.field(n).type for n in columns] == \
        [pa.bool_(), pa.int64(), pa.float64(), pa.string(), pa.binary()]
    assert read_with_pyarrow(path).to_pydict() == columns


def test_find_sorted(tmp_path: Path) -> None:
    columns = image_columns(5000)
    path = write(tmp_path / "sorted.parquet", columns, row_group_rows=1000, page_rows=50)
    for row in (0, 1, 49, 50, 999, 1000, 2500, 4999):
        assert mimicit.parquet.find_sorted(path, "image_id", columns["image_id"][row]) == row
        assert mimicit.parquet.find_sorted(path, "id", columns["id"][row]) == row
    for absent in ("", "IMG_", "IMG_00000000x", "ZZZ"):
        assert mimicit.parquet.find_sorted(path, "image_id", absent) is None
    assert mimicit.parquet.find_sorted(path, "id", 1) is None
    assert mimicit.parquet.find_sorted(path, "id", -3) is None


def test_metadata_agrees_with_pyarrow(tmp_path: Path) -> None:
    columns = image_columns(1000)
    path = write(tmp_path / "meta.parquet", columns, row_group_rows=300, codec="zstd",
                 bloom_filter=["image_id"])
    ours = mimicit.parquet.metadata(path)
    theirs = pq.read_metadata(path)
    assert ours["num_rows"] == theirs.num_rows == 1000
    assert len(ours["row_groups"]) == theirs.num_row_groups == 4
    for g, group in enumerate(ours["row_groups"]):
        assert group["num_rows"] == theirs.row_group(g).num_rows
        for c, column in enumerate(group["columns"]):
            peer = theirs.row_group(g).column(c)
            assert column["path"] == peer.path_in_schema
            assert column["codec"] == peer.compression
            assert set(column["encodings"]) == set(peer.encodings)
            assert column["num_values"] == peer.num_values
            assert column["total_compressed_size"] == peer.total_compressed_size
            assert (column["offset_index"] is not None) == peer.has_offset_index
            assert (column["bloom_filter"] is None) == (peer.bloom_filter_offset is None)
            assert column["statistics"]["null_count"] == peer.statistics.null_count
    assert [c["path"] for c in ours["row_groups"][0]["columns"]] == list(columns)
