"""The contract of `mimicit parquet cat --format jsonl`, computed with pyarrow.

`expected_rows(path)` reads a Parquet file with pyarrow and renders every row
as the dict that `cat --format jsonl` must print for it (after json.loads):

* keys are field names: struct children flattened with '.', a list column is
  one key whose value is a JSON array; keys come in schema order;
* null -> None; BOOLEAN -> bool; integers -> int (unsigned types unsigned);
* FLOAT/DOUBLE: NaN -> "NaN", +-inf -> "Infinity"/"-Infinity", else the
  number (FLOAT compared as float32: the CLI prints the shortest repr of the
  float32 value, so `Float32` compares after rounding both sides to float32);
* STRING/ENUM/JSON byte arrays -> str; other byte arrays and fixed-length
  byte arrays -> standard padded base64;
* INT96 -> base64 of the 12 physical bytes (8-byte LE nanoseconds of the
  day, then the 4-byte LE Julian day);
* DATE -> days; TIME/TIMESTAMP -> the physical integer in the file's unit;
* DECIMAL -> INT32/INT64-backed: the unscaled int; FIXED_LEN_BYTE_ARRAY:
  base64 of the big-endian two's-complement unscaled value of the column's
  width; BYTE_ARRAY: the writer chose the length, so `DecimalBytes`
  compares after decoding the base64 to an int;
* FLOAT16 -> base64 of the 2 little-endian bytes;
* dictionary-encoded arrays -> their values.

`api_rows(columns)` turns what `mimicit.parquet.read` returns into the same
form, so both the CLI and the Python module are checked against one
reference. `assert_rows_equal` reports the first difference precisely.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NANOS_PER_DAY = 86_400 * 10**9
JULIAN_DAY_OF_UNIX_EPOCH = 2_440_588
UNITS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
PARQUET_TIME_UNITS = {"milliseconds": "ms", "microseconds": "us", "nanoseconds": "ns"}
STRING_LOGICAL_TYPES = {"String", "Enum", "JSON"}
STRING_CONVERTED_TYPES = {"UTF8", "ENUM", "JSON"}


# ---------------------------------------------------------------------------
# Values that compare the way the contract says, not the way Python would.

class Float32(float):
    """A FLOAT value: equal to any number that rounds to the same float32."""

    def __new__(cls, value: float) -> "Float32":
        # The double nearest the shortest repr of the float32, which is what
        # json.loads returns for the CLI's output.
        return super().__new__(cls, float(str(np.float32(value))))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            return False
        return bool(np.float32(float(self)) == np.float32(other))

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = float.__hash__

    def __repr__(self) -> str:
        return f"Float32({float(self)!r})"


@dataclass(frozen=True)
class Float16:
    """A FLOAT16 value. `parquet cat` prints its number as pyarrow's
    to_pylist gives it, by the DOUBLE rule (NaN as "NaN"; -0 keeps its sign
    in the text, which json.loads drops: test_parquet_writers_quirks.py
    checks it); mimicit.parquet.read returns its two raw little-endian
    bytes (base64 after api_rows), which the reader hands over as they are."""
    value: Any  # render_float of the to_pylist value
    bits: str   # base64 of the two bytes

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other == self.bits or (isinstance(self.value, str) and other == self.value)
        if isinstance(other, bool) or not isinstance(other, (int, float)) or isinstance(self.value, str):
            return False
        return float(other) == self.value


@dataclass(frozen=True)
class DecimalBytes:
    """A BYTE_ARRAY DECIMAL: equal to base64 of any big-endian two's-complement
    encoding of the same unscaled value (writers choose the length)."""

    unscaled: int

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DecimalBytes):
            return other.unscaled == self.unscaled
        if not isinstance(other, str):
            return False
        try:
            raw = base64.b64decode(other, validate=True)
        except ValueError:
            return False
        return len(raw) > 0 and int.from_bytes(raw, "big", signed=True) == self.unscaled

    __hash__ = object.__hash__


class Int96OutOfRange:
    """An INT96 value no peer can represent (pyarrow overflows in every unit):
    equal to any base64 string of 12 bytes. test_corpus checks the one such
    file against the values its documentation lists."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        try:
            return len(base64.b64decode(other, validate=True)) == 12
        except ValueError:
            return False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "Int96OutOfRange()"


# ---------------------------------------------------------------------------
# Parquet column facts that pyarrow's Arrow types do not keep.

@dataclass(frozen=True)
class ParquetColumn:
    path: str
    physical_type: str
    logical: dict
    converted_type: str
    length: int  # FIXED_LEN_BYTE_ARRAY width

    @property
    def logical_name(self) -> str:
        return self.logical.get("Type", "None")

    @property
    def is_string(self) -> bool:
        return (self.physical_type == "BYTE_ARRAY"
                and (self.logical_name in STRING_LOGICAL_TYPES
                     or self.converted_type in STRING_CONVERTED_TYPES))

    @property
    def time_unit(self) -> Optional[str]:
        """Unit of a TIME/TIMESTAMP column ("ms", "us", "ns"), else None."""
        if self.logical_name in ("Time", "Timestamp"):
            return PARQUET_TIME_UNITS[self.logical["timeUnit"]]
        for suffix, unit in (("_MILLIS", "ms"), ("_MICROS", "us")):
            if self.converted_type.startswith(("TIME", "TIMESTAMP")) and \
                    self.converted_type.endswith(suffix):
                return unit
        return None


def parquet_columns(path: Path) -> list[ParquetColumn]:
    with pq.ParquetFile(path) as parquet_file:
        schema = parquet_file.schema
        return [
            ParquetColumn(
                path=column.path,
                physical_type=column.physical_type,
                logical=json.loads(column.logical_type.to_json()),
                converted_type=column.converted_type,
                length=column.length,
            )
            for column in (schema.column(i) for i in range(len(schema)))
        ]


# ---------------------------------------------------------------------------
# Scope: which shapes mimicit reads.

def is_nested(arrow_type: pa.DataType) -> bool:
    return (pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)
            or pa.types.is_fixed_size_list(arrow_type) or pa.types.is_list_view(arrow_type)
            or pa.types.is_struct(arrow_type) or pa.types.is_map(arrow_type))


def is_list_type(arrow_type: pa.DataType) -> bool:
    return (pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)
            or pa.types.is_list_view(arrow_type))


def beyond_scope(arrow_type: pa.DataType) -> bool:
    """True for shapes mimicit does not read: maps, lists whose element is
    itself nested, and structs holding either."""
    if pa.types.is_map(arrow_type):
        return True
    if is_list_type(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        element = arrow_type.value_type
        if pa.types.is_struct(element):  # a list of structs: read leaf by leaf
            return any(is_nested(field.type) and not pa.types.is_struct(field.type) or beyond_scope(field.type)
                       for field in element)
        return is_nested(element)
    if pa.types.is_struct(arrow_type):
        return any(beyond_scope(field.type) for field in arrow_type)
    return False


def schema_beyond_scope(schema: pa.Schema) -> bool:
    return any(beyond_scope(field.type) for field in schema)


def file_beyond_scope(path: Path) -> bool:
    """Whether the file holds a shape mimicit does not read. pyarrow decides;
    for files pyarrow refuses to open (e.g. a MAP with optional keys), the
    Parquet schema as duckdb lists it decides."""
    try:
        return schema_beyond_scope(pq.read_schema(path))
    except pa.ArrowInvalid:
        return parquet_schema_beyond_scope(path)


def parquet_schema_beyond_scope(path: Path) -> bool:
    import duckdb  # only needed for the rare files pyarrow cannot open

    with duckdb.connect() as connection:
        elements = connection.execute(
            "SELECT type, repetition_type, num_children, converted_type, logical_type "
            "FROM parquet_schema(?)", [str(path)]).fetchall()
    # Walk the depth-first element list with a stack of open groups.
    stack: list[dict] = []
    for physical, repetition, children, converted, logical in elements:
        parent = stack[-1] if stack else {"left": 1, "repeats": 0, "list": False, "repeated": False}
        parent["left"] -= 1
        repeated = repetition == "REPEATED"
        repeats = parent["repeats"] + repeated
        is_group = physical is None
        if converted in ("MAP", "MAP_KEY_VALUE") or str(logical).startswith("MapType"):
            return True
        if repeats > 1:
            return True  # a list inside a list
        if is_group and parent["repeated"]:
            return True  # a list of structs
        if is_group and repeated and not parent["list"]:
            return True  # a bare repeated group: a list of structs
        if is_group:
            stack.append({"left": children or 0, "repeats": repeats,
                          "list": converted == "LIST", "repeated": repeated})
        while stack and stack[-1]["left"] == 0:
            stack.pop()
    return False


def is_encrypted(path: Path) -> bool:
    """Encrypted footers end in "PARE"; plaintext-footer encrypted files are
    named *.encrypted in parquet-testing."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        if f.tell() >= 4:
            f.seek(-4, 2)
            if f.read(4) == b"PARE":
                return True
    return path.name.endswith(".encrypted")


# ---------------------------------------------------------------------------
# Rendering.

def expected_rows(path: Path) -> list[dict[str, Any]]:
    """The rows `cat --format jsonl` must print for the file at `path`."""
    path = Path(path)
    columns = parquet_columns(path)
    table = pq.read_table(path)
    overrides = {}
    if any(column.physical_type == "INT96" for column in columns):
        overrides = int96_nanos(path, columns)
    return render_table(table, columns, overrides)


def int96_nanos(path: Path, columns: list[ParquetColumn]) -> dict[str, list]:
    """Nanoseconds since the epoch of each INT96 value, as Python ints, or
    an `Int96OutOfRange` where pyarrow cannot represent the value.

    pyarrow's timestamp[ns] overflows past 2262 (Spark writes such dates),
    and beyond some point every unit overflows. So the file is read in ns,
    us, ms and s; a value is trusted in the finest unit that agrees with all
    coarser ones.
    """
    reads = {unit: pq.read_table(path, coerce_int96_timestamp_unit=unit)
             for unit in ("ns", "us", "ms", "s")}
    result = {}
    for name, column in zip(leaf_names(reads["ns"].schema), columns):
        if column.physical_type != "INT96":
            continue
        per_unit = [[v for chunk in leaf_array(reads[unit], name).chunks for v in integers(chunk)]
                    for unit in ("ns", "us", "ms", "s")]
        result[column.path] = [trusted_nanos(values) for values in zip(*per_unit)]
    return result


def trusted_nanos(values: tuple) -> Any:
    """`values`: one timestamp in ns, us, ms and s (pyarrow's reads)."""
    if values[0] is None:
        return None
    for finest in range(len(values) - 1):  # at least two units must agree
        coarser = values[finest:]
        if all(fine // 1000 == coarse for fine, coarse in zip(coarser, coarser[1:])):
            nanos = values[finest] * 1000 ** finest
            # Overflowed reads can agree with each other; a real INT96 still
            # holds its Julian day in 32 bits.
            return nanos if julian_day_fits(nanos) else Int96OutOfRange()
    return Int96OutOfRange()


def julian_day_fits(nanos_since_epoch: int) -> bool:
    day = nanos_since_epoch // NANOS_PER_DAY + JULIAN_DAY_OF_UNIX_EPOCH
    return -2**31 <= day < 2**31


def render_table(table: pa.Table, columns: list[ParquetColumn],
                 overrides: Optional[dict[str, list]] = None) -> list[dict[str, Any]]:
    """Renders `table` (read from a file with these Parquet `columns`)."""
    overrides = overrides or {}
    names = leaf_names(table.schema)
    if len(names) != len(columns):
        raise ValueError(f"{len(names)} fields but {len(columns)} Parquet columns")
    rendered = {}
    for name, column in zip(names, columns):
        if column.path != name and not column.path.startswith(name + "."):
            raise ValueError(f"field {name!r} does not match Parquet column {column.path!r}")
        if column.path in overrides:
            rendered[name] = [n if n is None or isinstance(n, Int96OutOfRange) else int96_base64(n)
                              for n in overrides[column.path]]
        else:
            rendered[name] = render_chunked(leaf_array(table, name), column)
    return [{name: values[row] for name, values in rendered.items()}
            for row in range(table.num_rows)]


def leaf_names(schema: pa.Schema) -> list[str]:
    """Field names with structs flattened ('a.b'); lists are leaves."""
    names = []

    def visit(prefix: str, field: pa.Field) -> None:
        name = prefix + field.name
        if pa.types.is_struct(field.type):
            for child in field.type:
                visit(name + ".", child)
        elif is_list_type(field.type) and pa.types.is_struct(field.type.value_type):
            for child in field.type.value_type:  # a list of structs: a list per leaf
                visit(name + ".", child)
        else:
            names.append(name)

    for field in schema:
        visit("", field)
    return names


def leaf_array(table: pa.Table, name: str) -> pa.ChunkedArray:
    """The column of a flattened field name; a null struct makes its
    children null (ChunkedArray.flatten merges the parent validity)."""
    flat = table
    while any(pa.types.is_struct(field.type) or is_list_of_structs(field.type) for field in flat.schema):
        columns, names = [], []
        for field, column in zip(flat.schema, flat.columns):
            if pa.types.is_struct(field.type):
                children = pa.Table.from_arrays([column], names=[field.name]).flatten()
                columns += children.columns
                names += children.column_names
            elif is_list_of_structs(field.type):
                for i, child in enumerate(field.type.value_type):
                    columns.append(pa.chunked_array([list_of_struct_field(chunk, i) for chunk in column.chunks],
                                                    pa.list_(child.type)))
                    names.append(f"{field.name}.{child.name}")
            else:
                columns.append(column)
                names.append(field.name)
        flat = pa.Table.from_arrays(columns, names=names)
    return flat.column(flat.schema.get_field_index(name))


def is_list_of_structs(arrow_type: pa.DataType) -> bool:
    return is_list_type(arrow_type) and pa.types.is_struct(arrow_type.value_type)


def list_of_struct_field(array: pa.Array, i: int) -> pa.Array:
    """Field i of each element of a list<struct> array, as a list array: an
    element whose struct is null holds null (StructArray.flatten merges the
    struct's validity into its children)."""
    if len(array) == 0:
        return pa.array([], pa.list_(array.type.value_type[i].type))
    child = array.values.flatten()[i]
    offsets = array.offsets
    return pa.ListArray.from_arrays(offsets, child, mask=array.is_null())


def render_chunked(array: pa.ChunkedArray, column: ParquetColumn) -> list:
    values = []
    for chunk in array.chunks:
        values.extend(render_array(chunk, column))
    return values


def render_array(array: pa.Array, column: ParquetColumn) -> list:
    if isinstance(array.type, pa.ExtensionType):
        array = array.storage
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if is_list_type(array.type):
        return render_list_array(array, column)
    return render_scalars(array, column)


def render_list_array(array: pa.Array, column: ParquetColumn) -> list:
    elements = iter(render_array(array.flatten(), column))
    lengths = array.value_lengths().to_pylist()
    return [None if length is None else [next(elements) for _ in range(length)]
            for length in lengths]


def render_scalars(array: pa.Array, column: ParquetColumn) -> list:
    kind = array.type
    if pa.types.is_null(kind):
        return [None] * len(array)
    if pa.types.is_float16(kind):
        return render_float16(array)
    if pa.types.is_floating(kind):
        wrap = Float32 if pa.types.is_float32(kind) else float
        return [render_float(value, wrap) for value in array.to_pylist()]
    if pa.types.is_decimal(kind):
        return [None if value is None else render_decimal(value, kind.scale, column)
                for value in array.to_pylist()]
    if pa.types.is_timestamp(kind) or pa.types.is_time(kind):
        return render_time(array, column)
    if pa.types.is_date32(kind) or pa.types.is_duration(kind):
        return integers(array)
    if pa.types.is_date64(kind):
        return [None if v is None else v // 86_400_000 for v in integers(array)]
    if (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
            or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
            or pa.types.is_binary_view(kind) or pa.types.is_fixed_size_binary(kind)):
        return [None if value is None else render_bytes(value, column) for value in array.to_pylist()]
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        return array.to_pylist()
    raise NotImplementedError(f"column {column.path}: no rendering for Arrow type {kind}")


def render_float(value: Optional[float], wrap) -> Any:
    if value is None:
        return None
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return wrap(value)


def render_float16(array: pa.Array) -> list:
    bits = np.frombuffer(array.buffers()[1], dtype="<u2")[array.offset:array.offset + len(array)]
    return [None if value is None else Float16(render_float(value, float), b64(int(b).to_bytes(2, "little")))
            for b, value in zip(bits, array.to_pylist())]


def render_bytes(value, column: ParquetColumn) -> Any:
    # Whether a value is text is the Parquet annotation's call, not Arrow's
    # (pyarrow may restore an Arrow binary type over a STRING column).
    if column.is_string:
        return value if isinstance(value, str) else value.decode("utf-8")
    return b64(value.encode("utf-8") if isinstance(value, str) else value)


def unscaled(value: Decimal, scale: int) -> int:
    sign, digits, exponent = value.as_tuple()
    magnitude = int("".join(map(str, digits)) or "0") * 10 ** (exponent + scale)
    return -magnitude if sign else magnitude


def render_decimal(value: Decimal, scale: int, column: ParquetColumn) -> Any:
    number = unscaled(value, scale)
    if column.physical_type in ("INT32", "INT64"):
        return number
    if column.physical_type == "FIXED_LEN_BYTE_ARRAY":
        return b64(number.to_bytes(column.length, "big", signed=True))
    return DecimalBytes(number)


def integers(array: pa.Array) -> list:
    """The integers under a date/time array, in its own unit."""
    return array.view(pa.int32() if array.type.bit_width == 32 else pa.int64()).to_pylist()


def render_time(array: pa.Array, column: ParquetColumn) -> list:
    values = integers(array)
    arrow_unit = array.type.unit
    if column.physical_type == "INT96":
        factor = UNITS_PER_SECOND["ns"] // UNITS_PER_SECOND[arrow_unit]
        return [None if v is None else int96_base64(v * factor) for v in values]
    file_unit = column.time_unit or arrow_unit
    return [None if v is None else convert_unit(v, arrow_unit, file_unit) for v in values]


def convert_unit(value: int, from_unit: str, to_unit: str) -> int:
    source, target = UNITS_PER_SECOND[from_unit], UNITS_PER_SECOND[to_unit]
    if target >= source:
        return value * (target // source)
    quotient, remainder = divmod(value, source // target)
    if remainder:
        raise ValueError(f"{value} {from_unit} is not a whole number of {to_unit}")
    return quotient


def int96_base64(nanos_since_epoch: int) -> str:
    days, nanos_of_day = divmod(nanos_since_epoch, NANOS_PER_DAY)
    raw = nanos_of_day.to_bytes(8, "little") + \
        (days + JULIAN_DAY_OF_UNIX_EPOCH).to_bytes(4, "little", signed=True)
    return b64(raw)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# ---------------------------------------------------------------------------
# What the CLI printed, and what mimicit.parquet.read returned, in one form.

def parse_jsonl(stdout: bytes) -> list[dict]:
    """One JSON object per line. Bare NaN/Infinity are not JSON: rejected."""
    def reject(constant: str) -> None:
        raise ValueError(f"not JSON: bare {constant}")

    return [json.loads(line, parse_constant=reject)
            for line in stdout.decode("utf-8").splitlines() if line.strip()]




def api_rows(columns: dict[str, list]) -> list[dict[str, Any]]:
    """Turns {name: values} from mimicit.parquet.read into jsonl-form rows."""
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise AssertionError(f"columns of different lengths: {lengths}")
    num_rows = lengths.pop() if lengths else 0
    return [{name: api_value(values[row]) for name, values in columns.items()}
            for row in range(num_rows)]


def api_value(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return b64(bytes(value))
    if isinstance(value, float):
        return render_float(value, float)
    if isinstance(value, list):
        return [api_value(element) for element in value]
    return value


# ---------------------------------------------------------------------------
# Comparison.

def values_match(actual: Any, expected: Any) -> bool:
    """Equality with the contract's types: a bool is not an int, an int
    column does not print floats, a DOUBLE may print as an integer."""
    if isinstance(expected, (Float32, Float16, DecimalBytes, Int96OutOfRange)):
        return expected == actual
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is bool and type(expected) is bool and actual == expected
    if isinstance(expected, float):
        return isinstance(actual, (int, float)) and float(actual) == expected
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(actual) == len(expected)
                and all(values_match(a, e) for a, e in zip(actual, expected)))
    return type(actual) is type(expected) and actual == expected


def first_difference(actual: list[dict], expected: list[dict]) -> Optional[str]:
    """None when the rows match, else a description of the first difference."""
    for row, (ours, theirs) in enumerate(zip(actual, expected)):
        if list(ours) != list(theirs):
            return f"row {row}: keys {list(ours)} != expected {list(theirs)}"
        for key, value in theirs.items():
            if not values_match(ours[key], value):
                return f"row {row}, column {key!r}: ours {ours[key]!r} != reference {value!r}"
    if len(actual) != len(expected):
        return f"{len(actual)} rows != expected {len(expected)}"
    return None


def assert_rows_equal(actual: list[dict], expected: list[dict], context: str = "") -> None:
    difference = first_difference(actual, expected)
    if difference is not None:
        raise AssertionError(f"{context}: {difference}" if context else difference)


def same_value(actual, expected) -> bool:
    """Python values as written and as read back: NaN equals NaN, -0.0 is
    not 0.0, a bool is not an int."""
    if isinstance(expected, float) and isinstance(actual, float):
        if math.isnan(expected):
            return math.isnan(actual)
        return actual == expected and math.copysign(1, actual) == math.copysign(1, expected)
    return type(actual) is type(expected) and actual == expected


def assert_columns_equal(actual: dict[str, list], expected: dict[str, list], context: str) -> None:
    """{name: values} read back equal {name: values} written."""
    assert list(actual) == list(expected), f"{context}: columns {list(actual)} != {list(expected)}"
    for name, values in expected.items():
        got = actual[name]
        assert len(got) == len(values), f"{context}: column {name!r}: {len(got)} rows != {len(values)}"
        for row, (a, e) in enumerate(zip(got, values)):
            assert same_value(a, e), f"{context}: column {name!r}, row {row}: read {a!r}, wrote {e!r}"
