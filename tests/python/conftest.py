"""Shared fixtures of the Python suite.

* `testdata`: the folder holding parquet-testing ($MIMICIT_TESTDATA, default
  ../shared/testdata beside the repository); tests using it skip when absent.
* `mimicit_bin`: the CLI ($MIMICIT_BIN, default build/mimicit).
* `asan_run_cli(*args)`: like run_cli, with the sanitizer build of the CLI
  ($MIMICIT_ASAN_BIN); tests using it skip when it is not set.
* `run_cli(*args)`: runs the CLI (30 s timeout) and returns the CompletedProcess.
* `cat_jsonl(path, *args)`: the rows `mimicit parquet cat --format jsonl` prints.
* `mimicit_rows(path)`: rows as mimicit reads them, once via the CLI and
  once via the Python module (the fixture is parametrized).
* `corpus_file` / `bad_file`: parametrized over every parquet-testing file
  in data/ and bad_data/, discovered at collection time.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from reference import api_rows, parse_jsonl

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI_TIMEOUT_SECONDS = 30


def testdata_dir() -> Path:
    return Path(os.environ.get("MIMICIT_TESTDATA", REPO_ROOT.parent / "shared" / "testdata"))


def corpus_files(folder: str) -> list[Path]:
    """Every data file of parquet-testing/<folder>, recursively (*.parquet
    and encrypted files; the .md/.csv/.json companions are not data)."""
    root = testdata_dir() / "parquet-testing" / folder
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*")
                  if path.is_file() and (path.suffix == ".parquet" or path.name.endswith(".encrypted")))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture, folder in (("corpus_file", "data"), ("bad_file", "bad_data")):
        if fixture in metafunc.fixturenames:
            files = corpus_files(folder)
            root = testdata_dir() / "parquet-testing" / folder
            metafunc.parametrize(fixture, files, ids=[str(f.relative_to(root)) for f in files])


@pytest.fixture(scope="session")
def testdata() -> Path:
    folder = testdata_dir()
    if not (folder / "parquet-testing").is_dir():
        pytest.skip(f"parquet-testing not found under {folder} (set MIMICIT_TESTDATA)")
    return folder


@pytest.fixture(scope="session")
def mimicit_bin() -> Path:
    binary = Path(os.environ.get("MIMICIT_BIN", REPO_ROOT / "build" / "mimicit"))
    if not binary.is_file():
        pytest.skip(f"mimicit CLI not built at {binary} (set MIMICIT_BIN)")
    return binary


def cli_runner(binary: Path) -> Callable[..., subprocess.CompletedProcess]:
    def run(*args: object, timeout: float = CLI_TIMEOUT_SECONDS) -> subprocess.CompletedProcess:
        return subprocess.run([str(binary), *map(str, args)], capture_output=True,
                              timeout=timeout, check=False)
    return run


@pytest.fixture(scope="session")
def run_cli(mimicit_bin: Path) -> Callable[..., subprocess.CompletedProcess]:
    return cli_runner(mimicit_bin)


@pytest.fixture(scope="session")
def asan_run_cli() -> Callable[..., subprocess.CompletedProcess]:
    binary = os.environ.get("MIMICIT_ASAN_BIN")
    if not binary or not Path(binary).is_file():
        pytest.skip("no sanitizer build of the CLI (set MIMICIT_ASAN_BIN)")
    return cli_runner(Path(binary))


@pytest.fixture(scope="session")
def cat_jsonl(run_cli) -> Callable[..., list[dict]]:
    def cat(path: os.PathLike, *args: object) -> list[dict]:
        result = run_cli("parquet", "cat", "--format", "jsonl", path, *args)
        assert result.returncode == 0, (
            f"mimicit parquet cat {path} exited {result.returncode}: "
            f"{result.stderr.decode(errors='replace').strip()}")
        return parse_jsonl(result.stdout)
    return cat


@pytest.fixture(params=["cli", "python"])
def mimicit_rows(request) -> Callable[[os.PathLike], list[dict]]:
    """Reads a file with mimicit as jsonl-form rows: through
    `mimicit parquet cat` (after `mimicit parquet check` accepts the file),
    or through mimicit.parquet.read. Tests using it run once per reader."""
    if request.param == "cli":
        cat, run = request.getfixturevalue("cat_jsonl"), request.getfixturevalue("run_cli")

        def read_with_cli(path: os.PathLike) -> list[dict]:
            checked = run("parquet", "check", path)
            assert checked.returncode == 0, (
                f"mimicit parquet check {path} exited {checked.returncode}: "
                f"{checked.stderr.decode(errors='replace').strip()}")
            return cat(path)
        return read_with_cli

    mimicit = pytest.importorskip("mimicit")

    def read_with_python(path: os.PathLike) -> list[dict]:
        return api_rows(mimicit.parquet.read(path))
    return read_with_python


# ---------------------------------------------------------------------------
# `mimicit serve` (the web viewer)

SERVE_START_SECONDS = 60


class ServedViewer:
    """A running `mimicit serve`: its URL, port and process."""

    def __init__(self, url: str, process: subprocess.Popen, stderr_path: Path):
        self.url = url
        self.port = int(url.rstrip("/").rsplit(":", 1)[1])
        self.process = process
        self.stderr_path = stderr_path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def start_viewer(mimicit_bin: Path, tmp_path_factory) -> Callable[..., ServedViewer]:
    """start_viewer(yaml, *args, binary=None) runs `mimicit serve YAML --port 0
    *args`, waits for the "Serving URL" line and returns a ServedViewer.
    Every server started is killed when the module's tests are done."""
    import re
    import select
    started: list[subprocess.Popen] = []

    def start(yaml: os.PathLike, *args: object, binary: Path | None = None) -> ServedViewer:
        stderr_path = tmp_path_factory.mktemp("serve") / "stderr.txt"
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen([str(binary or mimicit_bin), "serve", str(yaml), "--port", "0", *map(str, args)],
                                       stdout=subprocess.PIPE, stderr=stderr, text=True)
        started.append(process)
        ready, _, _ = select.select([process.stdout], [], [], SERVE_START_SECONDS)
        line = process.stdout.readline() if ready else ""
        match = re.match(r"Serving (http://\S+/)$", line.strip())
        if not match:
            process.kill()
            process.wait()
            raise AssertionError(f"mimicit serve printed {line!r}, not 'Serving URL'; "
                                 f"stderr: {stderr_path.read_text(errors='replace')}")
        return ServedViewer(match.group(1), process, stderr_path)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


@pytest.fixture(scope="module")
def dask_client():
    """A dask.distributed client on a LocalCluster of 2 worker processes (one
    thread each), closed when the module's tests are done. Per module, not per
    session: test_dask_convert kills a worker on purpose."""
    import logging
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.CRITICAL)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()
