"""Parquet files, read and written by mimicit's own engine.

* :func:`read` returns ``{field name: list of values}``.
* :func:`write` writes ``{name: list of values}`` as a Parquet file (values,
  lists and structs).
* :func:`metadata` describes a file's footer (as ``mimicit parquet meta --json``).
* :func:`find_sorted` finds a key in a column sorted across the file.
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional, Union

from ._core import parquet as _native
from ._options import defaults_doc

__all__ = ["read", "write", "metadata", "find_sorted", "TYPES"]

#: The value types :func:`write` accepts; nested as ``list<T>`` and
#: ``struct<name: T, ...>`` (e.g. the Hugging Face Image feature
#: ``struct<bytes: binary, path: string>``).
TYPES = ("bool", "int32", "int64", "double", "string", "binary")

PathLike = Union[str, "os.PathLike[str]"]


def read(path: PathLike, columns: Optional[Sequence[str]] = None) -> dict[str, list]:
    """Reads a Parquet file into ``{field name: list of values}``.

    ``columns`` selects columns by dotted path or field name (default: all).
    Values are None (null), bool, int (unsigned for unsigned columns), float,
    str (STRING/UTF8/ENUM/JSON columns), bytes (other byte arrays, fixed-length
    byte arrays and the 12 raw bytes of INT96) or a list (list columns).
    Struct children are keyed by their dotted path (``"a.b"``).
    """
    if columns is not None:
        columns = list(columns)
        if not columns:
            return {}  # the core reads every column when given none
    return _native.read(os.fspath(path), columns)


def metadata(path: PathLike) -> dict[str, Any]:
    """The footer of a Parquet file: exactly the object ``mimicit parquet meta
    --json`` prints (``path``, ``size``, ``footer_size``, ``num_rows``,
    ``key_value_metadata`` as a list of ``{"key", "value"}``, ``row_groups``
    with their ``columns``: ``physical_type``, ``codec``, ``encodings``,
    ``statistics``, ``column_index``/``offset_index``/``bloom_filter``
    locations, ...; the keys are listed in ``src/inspect/parquet_meta.h``).
    Footer text that is not UTF-8 has U+FFFD in its place."""
    return json.loads(_native._metadata_json(os.fspath(path)))


def find_sorted(path: PathLike, column: Union[str, int], key: Union[str, bytes, int]) -> Optional[int]:
    """The global row of ``key`` in ``column`` (sorted ascending across the
    file), or None when absent. Only the pages that can hold the key are read."""
    return _native.find_sorted(os.fspath(path), column, key)


def write(
    path: PathLike,
    columns: Mapping[str, Sequence[Any]],
    *,
    types: Optional[Mapping[str, str]] = None,
    nullable: Union[bool, Mapping[str, bool]] = True,
    codec: Optional[str] = None,
    compression_level: Optional[int] = None,
    dictionary: Union[bool, Iterable[str]] = True,
    dictionary_bytes: Optional[int] = None,
    row_group_rows: Optional[int] = None,
    row_group_bytes: Optional[int] = None,
    page_bytes: Optional[int] = None,
    page_rows: Optional[int] = None,
    data_page_version: Optional[int] = None,
    statistics: Optional[bool] = None,
    page_index: Optional[bool] = None,
    write_crc: Optional[bool] = None,
    bloom_filter: Iterable[str] = (),
    bloom_filter_fpp: Optional[float] = None,
    metadata: Optional[Mapping[str, str]] = None,
    pandas_index: Optional[str] = None,
) -> None:
    """Writes ``columns`` (``{name: values}``, all of one length) to ``path``.

    The file appears atomically: ``path`` is replaced only once the whole
    file is written. Column types are "bool", "int32", "int64", "double",
    "string" or "binary", or nested: "list<T>" (values: a list, or None)
    and "struct<name: T, ...>" (values: a dict, missing keys are None, or
    None), written as pyarrow writes them (the 3-level LIST), e.g.
    ``types={"images": "list<struct<bytes: binary, path: string>>"}``. A
    type not given in ``types`` is inferred from the column's first
    non-None value (bool, int -> int64, float -> double, str -> string,
    bytes -> binary); nested types must be given. ``nullable``, ``dictionary`` (a bool or
    the names of the columns to dictionary-encode) and ``bloom_filter`` (the
    names of the columns to give a bloom filter) apply per column. Options
    left at None keep the engine's defaults. ``pandas_index`` names a column
    that pandas restores as the DataFrame index.
    """
    names = list(columns)
    types = dict(types or {})
    _check_known_names("types", types, names)
    nullable_of = _per_column("nullable", nullable, names)
    dictionary_of = _per_column("dictionary", dictionary, names)
    bloom = set(bloom_filter)
    _check_known_names("bloom_filter", bloom, names)
    if pandas_index is not None and pandas_index not in columns:
        raise ValueError(f"pandas_index: no column '{pandas_index}'")
    schema = [
        (name, types.get(name) or _infer_type(name, columns[name]),
         nullable_of[name], dictionary_of[name], name in bloom)
        for name in names
    ]
    options = _writer_options(
        codec=codec, compression_level=compression_level, dictionary_bytes=dictionary_bytes,
        row_group_rows=row_group_rows, row_group_bytes=row_group_bytes, page_bytes=page_bytes,
        page_rows=page_rows, data_page_version=data_page_version, statistics=statistics,
        page_index=page_index, write_crc=write_crc, bloom_filter_fpp=bloom_filter_fpp,
        metadata=None if metadata is None else dict(metadata), pandas_index=pandas_index)
    _native._write(os.fspath(path), schema, [columns[name] for name in names], options)


write.__doc__ = (write.__doc__ or "") + defaults_doc("writer")


def _writer_options(**given: Any) -> dict[str, Any]:
    # None means "the engine's default"; the defaults live in the C++ core.
    return {key: value for key, value in given.items() if value is not None}


def _check_known_names(option: str, given: Iterable[str], names: list[str]) -> None:
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValueError(f"{option}: no column named {', '.join(map(repr, unknown))}")


def _per_column(option: str, value: Any, names: list[str]) -> dict[str, bool]:
    """Expands a bool, a {name: bool} mapping or a collection of names into
    one bool per column."""
    if isinstance(value, bool):
        return {name: value for name in names}
    if isinstance(value, Mapping):
        _check_known_names(option, value, names)
        return {name: bool(value.get(name, True)) for name in names}
    chosen = set(value)
    _check_known_names(option, chosen, names)
    return {name: name in chosen for name in names}


def _infer_type(name: str, values: Sequence[Any]) -> str:
    for value in values:
        if value is None:
            continue
        # bool before int: bool is an int subclass.
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, numbers.Integral):
            return "int64"
        if isinstance(value, numbers.Real):
            return "double"
        if isinstance(value, str):
            return "string"
        if isinstance(value, (bytes, bytearray)):
            return "binary"
        raise TypeError(f"column '{name}': cannot store values of type {type(value).__name__}")
    raise ValueError(
        f"column '{name}' has no non-None value to infer its type from: "
        f"pass types={{'{name}': ...}} (one of {', '.join(TYPES)})")
