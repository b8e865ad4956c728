"""Property tests: random flat tables round-trip between mimicit and pyarrow.

Hypothesis draws tables (0 rows, 1 row, many row groups, all-null columns,
every writer type, with and without nulls) and writer options; each example
is written by one side and read by the other. Deterministic: derandomize=True
and a bounded number of examples.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference import assert_columns_equal

mimicit = pytest.importorskip("mimicit")

ARROW_TYPES = {"bool": pa.bool_(), "int32": pa.int32(), "int64": pa.int64(),
               "double": pa.float64(), "string": pa.string(), "binary": pa.binary()}
VALUES = {
    "bool": st.booleans(),
    "int32": st.integers(-2**31, 2**31 - 1),
    "int64": st.integers(-2**63, 2**63 - 1),
    "double": st.floats(allow_nan=True, allow_infinity=True),
    "string": st.text(max_size=30),
    "binary": st.binary(max_size=30),
}
PROPERTY_SETTINGS = settings(derandomize=True, max_examples=300, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def tables(draw) -> tuple[dict[str, list], dict[str, str], dict[str, bool]]:
    """(columns, types, nullable) of a random flat table."""
    num_rows = draw(st.one_of(st.just(0), st.just(1), st.integers(0, 400)))
    columns, types, nullable = {}, {}, {}
    for index in range(draw(st.integers(1, 5))):
        name = f"c{index}"
        types[name] = draw(st.sampled_from(sorted(VALUES)))
        nullable[name] = draw(st.booleans())
        if nullable[name] and draw(st.integers(0, 5)) == 0:
            columns[name] = [None] * num_rows  # an all-null column
            continue
        element = st.none() | VALUES[types[name]] if nullable[name] else VALUES[types[name]]
        columns[name] = draw(st.lists(element, min_size=num_rows, max_size=num_rows))
    return columns, types, nullable


our_options = st.fixed_dictionaries({
    "codec": st.sampled_from(["none", "snappy", "gzip", "zstd"]),
    "dictionary": st.booleans(),
    "data_page_version": st.sampled_from([1, 2]),
    "row_group_rows": st.sampled_from([1, 3, 64, 1 << 20]),
    "page_rows": st.sampled_from([1, 2, 17, 20000]),
    "statistics": st.booleans(),
    "page_index": st.booleans(),
    "write_crc": st.booleans(),
})

pyarrow_options = st.fixed_dictionaries({
    "compression": st.sampled_from(["none", "snappy", "gzip", "zstd", "brotli", "lz4"]),
    "use_dictionary": st.booleans(),
    "data_page_version": st.sampled_from(["1.0", "2.0"]),
    "row_group_size": st.sampled_from([1, 5, 100, 1 << 20]),
    "data_page_size": st.sampled_from([64, 4096, 1 << 20]),
    "write_statistics": st.booleans(),
    "write_page_index": st.booleans(),
    "write_page_checksum": st.booleans(),
})


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> "itertools.count[Path]":
    """Fresh file paths (hypothesis runs many examples in one test call)."""
    folder = tmp_path_factory.mktemp("property")
    return (folder / f"example-{i}.parquet" for i in itertools.count())


@PROPERTY_SETTINGS
@given(table=tables(), options=our_options)
def test_written_by_us_read_by_pyarrow(scratch, table, options) -> None:
    columns, types, nullable = table
    path = next(scratch)
    mimicit.parquet.write(path, columns, types=types, nullable=nullable, **options)
    read = pq.read_table(path, page_checksum_verification=True)
    assert read.schema.remove_metadata() == pa.schema(
        [pa.field(name, ARROW_TYPES[types[name]], nullable=nullable[name]) for name in columns])
    assert_columns_equal(read.to_pydict(), columns, f"pyarrow reading {options}")


@PROPERTY_SETTINGS
@given(table=tables(), options=pyarrow_options)
def test_written_by_pyarrow_read_by_us(scratch, table, options) -> None:
    columns, types, nullable = table
    path = next(scratch)
    schema = pa.schema([pa.field(name, ARROW_TYPES[types[name]], nullable=nullable[name])
                        for name in columns])
    pq.write_table(pa.table(columns, schema=schema), path, **options)
    assert_columns_equal(mimicit.parquet.read(path), columns, f"mimicit reading {options}")


@PROPERTY_SETTINGS
@given(table=tables(), options=our_options)
def test_written_by_us_read_by_us(scratch, table, options) -> None:
    columns, types, nullable = table
    path = next(scratch)
    mimicit.parquet.write(path, columns, types=types, nullable=nullable, **options)
    assert_columns_equal(mimicit.parquet.read(path), columns, f"mimicit reading {options}")
