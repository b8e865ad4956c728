"""The Apache parquet-testing corpus, read by mimicit and by pyarrow.

Every file of data/ either reads exactly as pyarrow reads it (rendered by
reference.py), or is refused for a documented reason:

* nesting beyond mimicit's scope, or encryption: exit code 1 and a one-line
  error saying "unsupported" (UnsupportedError in Python);
* a page CRC that does not match (the *corrupt-checksum* files): a one-line
  error mentioning the CRC.

Every file of bad_data/ makes `cat` and `check` fail cleanly: a positive exit
code (never a signal), a one-line "mimicit: ..." error naming the file, and
no hang.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reference
from reference import parse_jsonl


def error_line(result: subprocess.CompletedProcess) -> str:
    message = result.stderr.decode("utf-8", errors="replace").strip()
    assert message, f"exit code {result.returncode} without an error message"
    assert "\n" not in message, f"the error is not one line:\n{message}"
    return message


def has_corrupt_checksum(path: Path) -> bool:
    return "corrupt-checksum" in path.name


def may_be_unsupported(path: Path) -> bool:
    return reference.is_encrypted(path) or reference.file_beyond_scope(path)


def mentions_checksum(message: str) -> bool:
    lowered = message.lower()
    return "crc" in lowered or "checksum" in lowered


def test_cat_reads_like_pyarrow(corpus_file: Path, run_cli) -> None:
    result = run_cli("parquet", "cat", "--format", "jsonl", corpus_file)
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    if result.returncode == 0:
        assert not may_be_unsupported(corpus_file), \
            "read a file whose shape is out of scope: expected an 'unsupported' error"
        reference.assert_rows_equal(parse_jsonl(result.stdout),
                                    reference.expected_rows(corpus_file), corpus_file.name)
        return
    message = error_line(result)
    if has_corrupt_checksum(corpus_file):
        assert mentions_checksum(message), message
    elif may_be_unsupported(corpus_file):
        assert result.returncode == 1, message
        assert "unsupported" in message, message
    else:
        pytest.fail(f"cat refused an in-scope file (exit {result.returncode}): {message}")


def test_check_accepts_valid_files(corpus_file: Path, run_cli) -> None:
    result = run_cli("parquet", "check", corpus_file)
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    if has_corrupt_checksum(corpus_file):
        assert result.returncode != 0, "check passed a file with a mismatching page CRC"
        assert mentions_checksum(error_line(result))
    elif may_be_unsupported(corpus_file):
        if result.returncode != 0:
            assert "unsupported" in error_line(result)
    else:
        assert result.returncode == 0, error_line(result)


def test_python_reads_like_pyarrow(corpus_file: Path) -> None:
    mimicit = pytest.importorskip("mimicit")
    if has_corrupt_checksum(corpus_file):
        with pytest.raises(mimicit.CorruptError) as raised:
            mimicit.parquet.read(corpus_file)
        assert mentions_checksum(str(raised.value))
    elif may_be_unsupported(corpus_file):
        with pytest.raises(mimicit.UnsupportedError):
            mimicit.parquet.read(corpus_file)
    else:
        reference.assert_rows_equal(reference.api_rows(mimicit.parquet.read(corpus_file)),
                                    reference.expected_rows(corpus_file), corpus_file.name)


@pytest.mark.parametrize("command", [("cat", "--format", "jsonl"), ("check",)],
                         ids=["cat", "check"])
def test_bad_data_fails_cleanly(bad_file: Path, run_cli, command: tuple) -> None:
    try:
        result = run_cli("parquet", *command, bad_file)
    except subprocess.TimeoutExpired:
        pytest.fail(f"mimicit parquet {command[0]} hung on {bad_file.name}")
    assert result.returncode > 0, (
        f"exit code {result.returncode}" +
        (f" (killed by signal {-result.returncode})" if result.returncode < 0 else ""))
    message = error_line(result)
    assert message.startswith("mimicit: "), message
    assert bad_file.name in message, message


@pytest.mark.parametrize("command", [("cat", "--format", "jsonl"), ("check",)],
                         ids=["cat", "check"])
def test_bad_data_is_clean_under_sanitizers(bad_file: Path, asan_run_cli, command: tuple) -> None:
    """The sanitizer build fails as cleanly: no out-of-bounds read, no
    undefined behaviour on the way to the error (the timeout is longer:
    sanitized code is slower)."""
    try:
        result = asan_run_cli("parquet", *command, bad_file, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"mimicit parquet {command[0]} hung on {bad_file.name}")
    stderr = result.stderr.decode("utf-8", errors="replace")
    assert "Sanitizer" not in stderr and "runtime error:" not in stderr, stderr
    assert result.returncode > 0
    assert error_line(result).startswith("mimicit: ")


def test_bad_data_raises_in_python(bad_file: Path) -> None:
    mimicit = pytest.importorskip("mimicit")
    with pytest.raises(mimicit.MimicitError) as raised:
        mimicit.parquet.read(bad_file)
    assert bad_file.name in str(raised.value)


def documented_int96_micros(testdata: Path) -> list:
    """The values int96_from_spark.md lists (microseconds since the epoch):
    the one value past pyarrow's range is checked against these."""
    text = (testdata / "parquet-testing" / "data" / "int96_from_spark.md").read_text()
    block = text.split("As microseconds since the epoch, they correspond to:")[1].split("```")[1]
    return [None if item.strip() == "null" else int(item) for item in block.split(",")]


def int96_micros(text: str) -> int:
    """Microseconds since the epoch of an INT96 printed as base64."""
    raw = base64.b64decode(text)
    nanos_of_day = int.from_bytes(raw[:8], "little", signed=True)
    julian_day = int.from_bytes(raw[8:], "little", signed=True)
    days = julian_day - reference.JULIAN_DAY_OF_UNIX_EPOCH
    return days * 86_400_000_000 + nanos_of_day // 1000


def test_int96_beyond_pyarrow_range_matches_documentation(testdata: Path, cat_jsonl) -> None:
    """Every value equals the documented one modulo 2**64 microseconds: Spark
    wrapped int64 arithmetic when it wrote the year-290000 value (the file
    holds that, and mimicit prints the bytes as they are); for the values
    in range this means equal."""
    path = testdata / "parquet-testing" / "data" / "int96_from_spark.parquet"
    rows = cat_jsonl(path)
    documented = documented_int96_micros(testdata)
    assert len(rows) == len(documented)
    for row, micros in zip(rows, documented):
        if micros is None:
            assert row["a"] is None
        else:
            assert (int96_micros(row["a"]) - micros) % 2**64 == 0, (row, micros)


# pyarrow names Parquet's LZ4_RAW "LZ4" and the Hadoop-framed LZ4 "UNKNOWN".
PYARROW_CODEC_NAMES = {"LZ4": "LZ4_RAW", "UNKNOWN": "LZ4"}


def test_python_metadata_agrees_with_pyarrow(corpus_file: Path) -> None:
    mimicit = pytest.importorskip("mimicit")
    try:
        theirs = pq.read_metadata(corpus_file)
    except (OSError, pa.ArrowException):
        pytest.skip("pyarrow cannot read this footer")
    ours = mimicit.parquet.metadata(corpus_file)
    assert ours["num_rows"] == theirs.num_rows
    assert len(ours["row_groups"]) == theirs.num_row_groups
    for g, group in enumerate(ours["row_groups"]):
        assert group["num_rows"] == theirs.row_group(g).num_rows
        for c, column in enumerate(group["columns"]):
            peer = theirs.row_group(g).column(c)
            where = f"row group {g}, column {column['path']}"
            assert column["path"] == peer.path_in_schema, where
            assert column["codec"] == PYARROW_CODEC_NAMES.get(peer.compression, peer.compression), where
            assert set(column["encodings"]) == set(peer.encodings), where
            assert column["num_values"] == peer.num_values, where
            assert column["data_page_offset"] == peer.data_page_offset, where
            assert (column["offset_index"] is not None) == peer.has_offset_index, where
            assert (column["column_index"] is not None) == peer.has_column_index, where
            # pyarrow hides legacy byte-array statistics; where it shows
            # statistics, the null counts agree.
            if peer.is_stats_set and peer.statistics.has_null_count:
                assert column["statistics"]["null_count"] == peer.statistics.null_count, where


def test_python_metadata_is_parquet_meta_json(corpus_file: Path, run_cli) -> None:
    """mimicit.parquet.metadata is `parquet meta --json`'s object, key for key."""
    mimicit = pytest.importorskip("mimicit")
    result = run_cli("parquet", "meta", "--json", corpus_file)
    if result.returncode != 0:
        with pytest.raises(mimicit.MimicitError):
            mimicit.parquet.metadata(corpus_file)
        return
    assert mimicit.parquet.metadata(corpus_file) == json.loads(result.stdout)
