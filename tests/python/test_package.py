"""The Python package itself: version, exceptions, argument checking."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

mimicit = pytest.importorskip("mimicit")


def test_version() -> None:
    assert mimicit.__version__ == "0.1.0"


def test_submodule_is_importable() -> None:
    import mimicit.parquet as parquet
    assert parquet is mimicit.parquet
    assert callable(parquet.read) and callable(parquet.write)


def test_exception_hierarchy() -> None:
    assert issubclass(mimicit.MimicitError, Exception)
    assert issubclass(mimicit.IoError, mimicit.MimicitError)
    assert issubclass(mimicit.IoError, OSError)
    assert issubclass(mimicit.InvalidArgumentError, ValueError)
    assert issubclass(mimicit.NotFoundError, KeyError)
    for error in (mimicit.CorruptError, mimicit.UnsupportedError, mimicit.LimitError):
        assert issubclass(error, mimicit.MimicitError)


def test_missing_file_is_an_os_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file.parquet"
    with pytest.raises(OSError) as raised:
        mimicit.parquet.read(missing)
    assert isinstance(raised.value, mimicit.IoError)
    assert raised.value.code == "io"
    assert str(missing) in str(raised.value)


def test_corrupt_file_is_a_corrupt_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    with pytest.raises(mimicit.CorruptError) as raised:
        mimicit.parquet.read(path)
    assert raised.value.code == "corrupt"
    assert path.name in str(raised.value)


def test_unknown_column_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), path)
    with pytest.raises(ValueError, match="nope"):
        mimicit.parquet.read(path, columns=["nope"])


def test_write_argument_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    with pytest.raises(ValueError, match="values"):
        mimicit.parquet.write(path, {"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError, match="type"):
        mimicit.parquet.write(path, {"a": [1]}, types={"a": "uint128"})
    with pytest.raises(ValueError, match="codec"):
        mimicit.parquet.write(path, {"a": [1]}, codec="zip")
    with pytest.raises(ValueError, match="'a'"):
        mimicit.parquet.write(path, {"a": [None]})  # nothing to infer a type from
    with pytest.raises(ValueError, match="nope"):
        mimicit.parquet.write(path, {"a": [1]}, bloom_filter=["nope"])
    with pytest.raises(TypeError, match="row 1"):
        mimicit.parquet.write(path, {"a": [1, "two"]})
    with pytest.raises(ValueError, match="range"):
        mimicit.parquet.write(path, {"a": [2**31]}, types={"a": "int32"})
    assert not path.exists()


def test_null_in_required_column_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "required.parquet"
    with pytest.raises(mimicit.InvalidArgumentError):
        mimicit.parquet.write(path, {"a": [1, None, 3]}, nullable=False)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "kept.parquet"
    mimicit.parquet.write(path, {"a": [1, 2, 3]})
    with pytest.raises(TypeError):
        mimicit.parquet.write(path, {"a": list(range(10000)) + ["oops"]})
    assert mimicit.parquet.read(path) == {"a": [1, 2, 3]}
    assert [p.name for p in tmp_path.iterdir()] == ["kept.parquet"]


def test_paths_may_be_path_objects_or_strings(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    mimicit.parquet.write(str(path), {"a": ["x"]})
    assert mimicit.parquet.read(path) == {"a": ["x"]}
    assert mimicit.parquet.metadata(str(path))["num_rows"] == 1


def test_reads_from_threads_agree(tmp_path: Path) -> None:
    """The GIL is released while decoding: concurrent reads must still
    each return the whole file."""
    path = tmp_path / "shared.parquet"
    columns = {"id": list(range(20000)), "text": [f"row {i}" * (i % 5) for i in range(20000)]}
    mimicit.parquet.write(path, columns, row_group_rows=3000, page_rows=500)
    results = [None] * 4

    def read(slot: int) -> None:
        results[slot] = mimicit.parquet.read(path)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == columns for result in results)


def test_writes_from_threads_agree(tmp_path: Path) -> None:
    columns = {"id": list(range(5000)), "text": [f"v{i}" for i in range(5000)]}

    def write(slot: int) -> None:
        mimicit.parquet.write(tmp_path / f"t{slot}.parquet", columns)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for slot in range(4):
        assert pq.read_table(tmp_path / f"t{slot}.parquet").to_pydict() == columns


def test_selecting_no_columns_reads_none(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    mimicit.parquet.write(path, {"a": [1], "b": ["x"]})
    assert mimicit.parquet.read(path, columns=[]) == {}
    assert mimicit.parquet.read(path, columns=["b"]) == {"b": ["x"]}


def test_import_does_not_import_torch() -> None:
    """torch takes seconds to import: only mimicit.Dataset (a torch Dataset
    when torch is installed) imports it, when first used."""
    import subprocess
    import sys
    code = ("import sys, mimicit; assert 'torch' not in sys.modules; "
            "mimicit.Loader, mimicit.ImageStore; assert 'torch' not in sys.modules; "
            "from mimicit import Dataset; import importlib.util; "
            "assert ('torch' in sys.modules) == (importlib.util.find_spec('torch') is not None)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_pip_install_puts_the_cli_on_path() -> None:
    """`pip install .` installs the `mimicit` command (the CLI binary inside
    the package, run by a console script) and `python -m mimicit`."""
    import shutil
    import subprocess
    import sys
    from mimicit import _cli
    if not _cli.binary().is_file():
        pytest.skip(f"the module was not installed by pip ({_cli.binary()} is missing)")
    command = shutil.which("mimicit")
    assert command is not None, "pip install did not put `mimicit` on PATH"
    for argv in ([command], [sys.executable, "-m", "mimicit"]):
        helped = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60)
        assert helped.returncode == 0, helped.stderr
        assert "Usage: mimicit" in helped.stdout and "images" in helped.stdout
        version = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60)
        assert version.stdout.strip() == f"mimicit {mimicit.__version__}"
        # The binary's exit status comes through: a missing subcommand is a usage error.
        assert subprocess.run([*argv, "no-such-command"], capture_output=True, timeout=60).returncode == 2
