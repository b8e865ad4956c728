"""Parquet files as old or unusual writers made them, read as pyarrow reads
them: column chunks whose size parquet-mr before 1.2.9 under-reported
(PARQUET-816), and FLOAT16 values printed as numbers by `parquet cat`."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest


def zigzag_varint(value: int) -> bytes:
    """A Thrift compact protocol i64."""
    n = (value << 1) ^ (value >> 63)
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def patch_footer(path: Path, out: Path, created_by: str, shrink_by: int) -> None:
    """Rewrites the footer of a pyarrow-written single-column file as
    parquet-mr 1.2.8 wrote it: its created_by, and the column chunk's (and
    row group's) total_compressed_size `shrink_by` bytes short, as that
    writer left the dictionary page header out of it."""
    data = path.read_bytes()
    footer_len = struct.unpack("<I", data[-8:-4])[0]
    body, footer = data[:-8 - footer_len], data[-8 - footer_len:-8]
    meta = pq.ParquetFile(path).metadata
    old_created = meta.created_by.encode()
    assert len(old_created) < 128 and footer.count(old_created) == 1
    new_created = created_by.encode()
    old_string = bytes([len(old_created)]) + old_created  # a compact protocol string: varint length, bytes
    assert len(new_created) < 128 and footer.count(old_string) == 1
    footer = footer.replace(old_string, bytes([len(new_created)]) + new_created)
    size = meta.row_group(0).column(0).total_compressed_size
    # Field 7 of ColumnMetaData and field 6 of RowGroup, each following the
    # field numbered one less: header byte 0x16 (delta 1, i64).
    old_field, new_field = b"\x16" + zigzag_varint(size), b"\x16" + zigzag_varint(size - shrink_by)
    assert footer.count(old_field) == 2
    footer = footer.replace(old_field, new_field)
    out.write_bytes(body + footer + struct.pack("<I", len(footer)) + b"PAR1")


@pytest.fixture()
def old_parquet_mr_file(tmp_path: Path) -> tuple[Path, Path, list]:
    values = [f"value {i % 7}" for i in range(50)]
    original = tmp_path / "pyarrow.parquet"
    # Snappy: the sizes differ from the uncompressed ones, so the patch finds them alone.
    pq.write_table(pa.table({"s": values}), original, compression="snappy", write_statistics=False)
    assert pq.ParquetFile(original).metadata.row_group(0).column(0).has_dictionary_page
    old = tmp_path / "parquet-mr-1.2.8.parquet"
    patch_footer(original, old, "parquet-mr version 1.2.8 (build 1234)", 20)
    new = tmp_path / "parquet-mr-1.2.9.parquet"
    patch_footer(original, new, "parquet-mr version 1.2.9 (build 1234)", 20)
    return old, new, values


def test_parquet_816_sizes_read_as_pyarrow_reads_them(old_parquet_mr_file, mimicit_rows, run_cli) -> None:
    old, new, values = old_parquet_mr_file
    assert pq.ParquetFile(old).metadata.created_by == "parquet-mr version 1.2.8 (build 1234)"
    # pyarrow pads the chunk of the old writer's file and reads it whole...
    assert pq.read_table(old).column("s").to_pylist() == values
    assert mimicit_rows(old) == [{"s": v} for v in values]
    # ... but takes a fixed writer's size as it is: the same bytes fail.
    with pytest.raises(OSError):
        pq.read_table(new)
    result = run_cli("parquet", "cat", "--format", "jsonl", new)
    assert result.returncode != 0
    assert b"column chunk" in result.stderr


def printed_values(run_cli, path: Path, column: str) -> list[str]:
    """The JSON texts `parquet cat` prints for `column`, unparsed (json.loads
    would read "-0" as the integer 0)."""
    result = run_cli("parquet", "cat", "--format", "jsonl", path)
    assert result.returncode == 0, result.stderr
    prefix = f'{{"{column}":'
    lines = result.stdout.decode().splitlines()
    assert all(line.startswith(prefix) and line.endswith("}") for line in lines)
    return [line[len(prefix):-1] for line in lines]


def assert_prints_like_pyarrow(printed: list[str], expected: list) -> None:
    """The DOUBLE rule of `parquet cat` applied to pyarrow's to_pylist floats:
    the same number (integral values may print as integers), its sign (-0),
    NaN and the infinities as strings."""
    assert len(printed) == len(expected)
    for text, want in zip(printed, expected):
        got = json.loads(text)
        if want is None:
            assert got is None
        elif math.isnan(want):
            assert got == "NaN"
        elif math.isinf(want):
            assert got == ("Infinity" if want > 0 else "-Infinity")
        else:
            assert isinstance(got, (int, float)) and not isinstance(got, bool) and float(got) == want, (text, want)
            assert text.startswith("-") == (math.copysign(1, want) < 0), (text, want)


def test_float16_prints_as_pyarrow_values(testdata: Path, run_cli) -> None:
    for name in ("float16_nonzeros_and_nans.parquet", "float16_zeros_and_nans.parquet"):
        path = testdata / "parquet-testing" / "data" / name
        assert_prints_like_pyarrow(printed_values(run_cli, path, "x"), pq.read_table(path).column("x").to_pylist())


def test_float16_values_of_every_kind(tmp_path: Path, run_cli) -> None:
    import numpy as np
    halves = np.array([0.1, -2.5, 65504, -65504, 6.1e-05, 6e-08, 1 / 3, 1000.5, 0.0, -0.0, np.inf, -np.inf, np.nan],
                      dtype=np.float16)
    path = tmp_path / "halves.parquet"
    pq.write_table(pa.table({"h": pa.array(halves, pa.float16())}), path)
    expected = pq.read_table(path).column("h").to_pylist()
    printed = printed_values(run_cli, path, "h")
    assert_prints_like_pyarrow(printed, expected)
    assert printed[0] == repr(expected[0])  # 0.0999755859375: the half's exact value, as Python prints it
    # CSV: the same numbers.
    csv = run_cli("parquet", "cat", "--format", "csv", path).stdout.decode().split()
    assert csv[0] == "h"
    assert [float(v) for v in csv[1:-1]] == expected[:-1] and csv[-1] == "NaN"
