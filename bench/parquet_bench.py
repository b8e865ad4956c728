#!/usr/bin/env python3
"""Parquet benchmarks of mimicit against pyarrow and duckdb, on the same files, in one run.

    python3 bench/parquet_bench.py [--size-gib 1] [--out bench/out]

(a) Full scan of a ~1 GiB string column of base64 "images" (snappy and zstd):
    ours   = `build/mimicit parquet check FILE --columns base64 --threads 1`
    pyarrow = pq.read_table(FILE, columns=["base64"], use_threads=False)
    duckdb  = SELECT sum(strlen(base64)) FROM read_parquet(FILE), threads=1
(b) Fetch one row (id + payload) of a 100k-row store, by position and by id
    (sorted id column with statistics and page index), p50/p90 latency over
    random probes:
    ours    = bench/lookup_bench.cc (C++, Google Benchmark): ParquetFile
              opened once, RowReader seek + next; by id find_sorted first
    duckdb  = SELECT id, base64 FROM read_parquet(F) WHERE id = ? / LIMIT 1 OFFSET ?
              (bound parameter; PREPARE + EXECUTE; + parquet_metadata_cache)
    pyarrow = pq.read_table(filters=[("id", "=", key)]) / read_row_group + slice,
              opened per call and kept open

The data is generated here, deterministically (fixed seeds), with pyarrow into
a scratch folder (default /tmp/mimicit-bench) and reused while its parameters
match. The Markdown table goes to stdout and OUT/parquet_bench.md, the raw
numbers to OUT/parquet_bench.json. See docs/benchmarks.md for what each
variant does and the latest results.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import duckdb

from bench_common import children_cpu, machine, wait_for_quiet

REPO = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = 1  # bump when the generated data changes
SCAN_SEED = 20240601
LOOKUP_SEED = 20240602
PROBE_SEED = 20240603


# ---------------------------------------------------------------------------
# Data generation


def _manifest_matches(path: Path, params: dict) -> bool:
    manifest = path.with_suffix(path.suffix + ".json")
    if not path.exists() or not manifest.exists():
        return False
    try:
        return json.loads(manifest.read_text()) == params
    except ValueError:
        return False


def _write_manifest(path: Path, params: dict) -> None:
    path.with_suffix(path.suffix + ".json").write_text(json.dumps(params, sort_keys=True))


def scan_table(size_gib: float) -> pa.Table:
    """Rows of base64 strings of random bytes (JPEG-like entropy) whose
    lengths are uniform in about 20..200 KB, until the column holds
    size_gib GiB of text; plus an id column."""
    rng = np.random.default_rng(SCAN_SEED)
    target = int(size_gib * (1 << 30))
    raw_sizes = []
    total = 0
    while total < target:
        raw = int(rng.integers(15_000, 150_000))  # base64: 20_000 .. 200_000 chars
        raw_sizes.append(raw)
        total += 4 * ((raw + 2) // 3)
    blob = rng.bytes(sum(raw_sizes))
    values = []
    start = 0
    for raw in raw_sizes:
        values.append(base64.b64encode(blob[start:start + raw]).decode("ascii"))
        start += raw
    ids = [f"SD_IMG_{i:012d}" for i in range(len(values))]
    return pa.table({"id": pa.array(ids, pa.string()), "base64": pa.array(values, pa.string())})


def lookup_table(rows: int) -> pa.Table:
    """A MIMIC-IT-like store: a sorted unique id column "LA_IMG_<12 digits>"
    (random gaps) and a base64 payload of a few KB."""
    rng = np.random.default_rng(LOOKUP_SEED)
    numbers = np.cumsum(rng.integers(1, 1000, rows, dtype=np.int64))
    ids = [f"LA_IMG_{n:012d}" for n in numbers.tolist()]
    raw_sizes = rng.integers(1_000, 3_000, rows).tolist()
    blob = rng.bytes(sum(raw_sizes))
    payload = []
    start = 0
    for raw in raw_sizes:
        payload.append(base64.b64encode(blob[start:start + raw]).decode("ascii"))
        start += raw
    return pa.table({"id": pa.array(ids, pa.string()), "base64": pa.array(payload, pa.string())})


def generate(scratch: Path, size_gib: float, rows: int, row_group_rows: int, force: bool) -> dict:
    scratch.mkdir(parents=True, exist_ok=True)
    files = {}
    scan_params = {"version": GENERATOR_VERSION, "seed": SCAN_SEED, "size_gib": size_gib,
                   "pyarrow": pa.__version__}
    table = None
    for codec in ("snappy", "zstd"):
        path = scratch / f"scan_{size_gib:g}gib_{codec}.parquet"
        params = dict(scan_params, codec=codec)
        if force or not _manifest_matches(path, params):
            if table is None:
                print(f"generating {size_gib:g} GiB of base64 strings ...", file=sys.stderr)
                table = scan_table(size_gib)
            print(f"writing {path} ({codec}, pyarrow defaults)", file=sys.stderr)
            pq.write_table(table, path, compression=codec)
            _write_manifest(path, params)
        files[f"scan_{codec}"] = path
    del table

    path = scratch / f"lookup_{rows}.parquet"
    params = {"version": GENERATOR_VERSION, "seed": LOOKUP_SEED, "rows": rows,
              "row_group_rows": row_group_rows, "pyarrow": pa.__version__}
    if force or not _manifest_matches(path, params):
        print(f"writing {path} ({rows} rows)", file=sys.stderr)
        pq.write_table(lookup_table(rows), path, compression="snappy",
                       row_group_size=row_group_rows, write_statistics=True,
                       write_page_index=True)
        _write_manifest(path, params)
    files["lookup"] = path
    return files


def describe_file(path: Path, column: str) -> dict:
    md = pq.ParquetFile(path).metadata
    index = md.schema.names.index(column)
    compressed = uncompressed = 0
    for rg in range(md.num_row_groups):
        chunk = md.row_group(rg).column(index)
        compressed += chunk.total_compressed_size
        uncompressed += chunk.total_uncompressed_size
    return {"path": str(path), "file_bytes": path.stat().st_size, "rows": md.num_rows,
            "row_groups": md.num_row_groups, "column": column,
            "column_compressed_bytes": compressed, "column_uncompressed_bytes": uncompressed,
            "created_by": md.created_by}


# ---------------------------------------------------------------------------
# (a) full scan


def best_of(fn, repeat: int, cpu_clock=time.process_time) -> dict:
    """Runs fn once to warm up (page cache, library), then `repeat` times;
    wall and CPU seconds (user + system) of each run, best of both."""
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        cpu = cpu_clock()
        start = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(cpu_clock() - cpu)
    return {"seconds": min(walls), "cpu_seconds": min(cpus), "all_seconds": walls,
            "all_cpu_seconds": cpus}


CHECK_LINE = re.compile(r"read ([0-9.]+) MB in ([0-9.]+) s .*: (\S+)")


def scan_ours(mimicit: Path, path: Path, repeat: int) -> dict:
    cmd = [str(mimicit), "parquet", "check", str(path), "--columns", "base64", "--threads", "1"]
    inner = []

    def run():
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        match = CHECK_LINE.search(out)
        if not match or match.group(3) != "ok":
            raise RuntimeError(f"unexpected `parquet check` output:\n{out}")
        inner.append(float(match.group(2)))
        return out

    result = best_of(run, repeat, cpu_clock=children_cpu)
    result.update(in_process_seconds=min(inner[1:]), command=" ".join(cmd))
    return result


def scan_pyarrow(path: Path, repeat: int, memory_map: bool) -> dict:
    def run():
        table = pq.read_table(path, columns=["base64"], use_threads=False, memory_map=memory_map)
        # read_table decodes and copies every value into Arrow buffers
        # (nothing is lazy); nbytes only sums the buffer sizes.
        column = table.column(0)
        return len(column), column.nbytes

    return best_of(run, repeat)


def duckdb_connect():
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute("SET enable_progress_bar = false")
    return con


def scan_duckdb(path: Path, repeat: int, function: str) -> dict:
    con = duckdb_connect()
    sql = f"SELECT sum({function}(base64)) FROM read_parquet('{path}')"

    def run():
        return con.execute(sql).fetchone()[0]

    result = best_of(run, repeat)
    con.close()
    result["sql"] = sql
    return result


def run_scan(files: dict, mimicit: Path, repeat: int) -> dict:
    results = {}
    for codec in ("snappy", "zstd"):
        path = files[f"scan_{codec}"]
        info = describe_file(path, "base64")
        text_bytes = pq.read_table(path, columns=["base64"]).column(0)
        info["value_bytes"] = int(pc.sum(pc.binary_length(text_bytes)).as_py())
        del text_bytes
        print(f"(a) scan {path.name} ...", file=sys.stderr)
        variants = {
            "ours": scan_ours(mimicit, path, repeat),
            "pyarrow": scan_pyarrow(path, repeat, memory_map=False),
            "pyarrow_mmap": scan_pyarrow(path, repeat, memory_map=True),
            "duckdb_strlen": scan_duckdb(path, repeat, "strlen"),
            "duckdb_length": scan_duckdb(path, repeat, "length"),
        }
        for name, variant in variants.items():
            variant["mb_per_s"] = info["value_bytes"] / 1e6 / variant["seconds"]
            variant["cpu_mb_per_s"] = info["value_bytes"] / 1e6 / variant["cpu_seconds"]
        results[codec] = {"file": info, "variants": variants}
    return results


# ---------------------------------------------------------------------------
# (b) lookups


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    def at(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50_us": statistics.median(ordered) * 1e6, "p90_us": at(0.9) * 1e6,
            "min_us": ordered[0] * 1e6, "n": len(ordered)}


def time_probes(fn, probes: list, check, warmup: int = 10) -> dict:
    for probe in probes[:warmup]:
        check(probe, fn(probe))
    samples = []
    for probe in probes:
        start = time.perf_counter()
        result = fn(probe)
        samples.append(time.perf_counter() - start)
        check(probe, result)
    return percentiles(samples)


def lookup_peers(path: Path, probes: list[tuple[int, str]], ids: list[str]) -> dict:
    results = {}
    spath = str(path)

    def check_id(probe, row):
        if row[0] != probe[1] or not row[1]:
            raise RuntimeError(f"wrong row for {probe}: {row[0]}")

    # --- duckdb: one connection, one thread. "duckdb": the Python API with a
    # bound parameter (con.execute(sql, [value])); "duckdb_prepared": a SQL
    # PREPARE once, then EXECUTE per probe; "duckdb_prepared_metadata_cache":
    # the same with the parquet footer cached across queries.
    by_id_sql = f"SELECT id, base64 FROM read_parquet('{spath}') WHERE id = $1"
    by_pos_sql = f"SELECT id, base64 FROM read_parquet('{spath}') LIMIT 1 OFFSET $1"
    for name, prepared, cache in (("duckdb", False, False), ("duckdb_prepared", True, False),
                                  ("duckdb_prepared_metadata_cache", True, True)):
        con = duckdb_connect()
        con.execute(f"SET parquet_metadata_cache = {str(cache).lower()}")
        print(f"(b) {name} ...", file=sys.stderr)
        if prepared:
            con.execute(f"PREPARE by_id AS {by_id_sql}")
            con.execute(f"PREPARE by_pos AS {by_pos_sql}")
            # EXECUTE takes its arguments as literals (ids hold no quotes).
            by_id = lambda p: con.execute(f"EXECUTE by_id('{p[1]}')").fetchone()
            by_pos = lambda p: con.execute(f"EXECUTE by_pos({int(p[0])})").fetchone()
        else:
            by_id = lambda p: con.execute(by_id_sql, [p[1]]).fetchone()
            by_pos = lambda p: con.execute(by_pos_sql, [p[0]]).fetchone()
        results[name] = {"by_id": time_probes(by_id, probes, check_id),
                         "by_position": time_probes(by_pos, probes, check_id)}
        con.close()

    # --- pyarrow, re-opening the file on every call.
    print("(b) pyarrow ...", file=sys.stderr)

    def pa_by_id(probe):
        table = pq.read_table(spath, filters=[("id", "=", probe[1])], use_threads=False)
        return table.column(0)[0].as_py(), table.column(1)[0].as_py()

    def row_group_slice(pf, starts, row):
        rg = bisect.bisect_right(starts, row) - 1
        table = pf.read_row_group(rg, use_threads=False).slice(row - starts[rg], 1)
        return table.column(0)[0].as_py(), table.column(1)[0].as_py()

    def starts_of(md):
        starts, total = [], 0
        for rg in range(md.num_row_groups):
            starts.append(total)
            total += md.row_group(rg).num_rows
        return starts

    def pa_by_pos(probe):
        pf = pq.ParquetFile(spath)
        return row_group_slice(pf, starts_of(pf.metadata), probe[0])

    results["pyarrow"] = {"by_id": time_probes(pa_by_id, probes, check_id),
                          "by_position": time_probes(pa_by_pos, probes, check_id)}

    # --- pyarrow, file kept open: a ParquetFile (position) and a dataset
    # fragment with its row-group statistics loaded once (id).
    print("(b) pyarrow_open ...", file=sys.stderr)
    pf = pq.ParquetFile(spath)
    starts = starts_of(pf.metadata)
    fragment = next(ds.dataset(spath, format="parquet").get_fragments())
    fragment.ensure_complete_metadata()

    def pa_open_by_id(probe):
        table = fragment.to_table(filter=pc.field("id") == probe[1], use_threads=False)
        return table.column(0)[0].as_py(), table.column(1)[0].as_py()

    results["pyarrow_open"] = {
        "by_id": time_probes(pa_open_by_id, probes, check_id),
        "by_position": time_probes(lambda p: row_group_slice(pf, starts, p[0]), probes, check_id),
    }
    return results


def lookup_ours(lookup_bench: Path, path: Path, probe_file: Path, repeats: int) -> dict:
    cmd = [str(lookup_bench), f"--file={path}", f"--probes={probe_file}",
           f"--repeats={repeats}", "--benchmark_format=json"]
    print("(b) ours (lookup_bench) ...", file=sys.stderr)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    results = {}
    for bench in report["benchmarks"]:
        variant, kind = bench["name"].split("/")[:2]
        results.setdefault(variant, {})[kind] = {
            "p50_us": bench["p50_us"], "p90_us": bench["p90_us"], "min_us": bench["min_us"],
            "n": int(bench["samples"])}
    return {"command": " ".join(cmd), "variants": results}


def run_lookup(files: dict, lookup_bench: Path, scratch: Path, num_probes: int,
               repeats: int) -> dict:
    path = files["lookup"]
    info = describe_file(path, "base64")
    ids = pq.read_table(path, columns=["id"]).column(0).to_pylist()
    rng = np.random.default_rng(PROBE_SEED)
    rows = rng.integers(0, len(ids), num_probes).tolist()
    probes = [(row, ids[row]) for row in rows]
    probe_file = scratch / f"lookup_{len(ids)}.probes.tsv"
    probe_file.write_text("".join(f"{row}\t{key}\n" for row, key in probes))
    ours = lookup_ours(lookup_bench, path, probe_file, repeats)
    peers = lookup_peers(path, probes, ids)
    return {"file": info, "probes": num_probes, "ours": ours, "peers": peers}


# ---------------------------------------------------------------------------
# Report


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if a > 0 and b > 0 else "-"


def markdown(results: dict) -> str:
    lines = []
    m = results["machine"]
    loads = [m["load"][0]] + [results[k] for k in ("load_before_scan", "load_before_lookup")
                              if k in results] + [results["load_after"][0]]
    lines.append(f"Machine: {m['nproc']} cores, {m['cpu']}, 1-min load average "
                 f"{' -> '.join(f'{x:.2f}' for x in loads)} (start, before each part, end); "
                 f"pyarrow {m['pyarrow']}, duckdb {m['duckdb']}, Python {m['python']}.")
    lines.append("")
    if "scan" in results:
        lines.append("### (a) Full scan of the `base64` string column, one thread")
        lines.append("")
        lines.append("MB/s = decoded string bytes (sum of value lengths) / seconds, best of "
                     f"{results['repeat']} runs after a warm-up run (page cache warm). Wall = "
                     "elapsed; CPU = user + system of the process (less sensitive to other "
                     "load). Ratio = our MB/s / theirs (> 1: ours faster).")
        lines.append("")
        labels = {"ours": "**ours** `mimicit parquet check --threads 1` (whole process)",
                  "pyarrow": "pyarrow `read_table(use_threads=False)`",
                  "pyarrow_mmap": "pyarrow `read_table(use_threads=False, memory_map=True)`",
                  "duckdb_strlen": "duckdb `sum(strlen(base64))`, threads=1",
                  "duckdb_length": "duckdb `sum(length(base64))`, threads=1"}
        for codec, scan in results["scan"].items():
            info = scan["file"]
            lines.append(f"**{codec}**: {info['file_bytes'] / 2**30:.2f} GiB file, "
                         f"{info['rows']} rows, {info['row_groups']} row group(s), "
                         f"{info['value_bytes'] / 1e6:.0f} MB of strings, column "
                         f"{info['column_compressed_bytes'] / 1e6:.0f} MB compressed.")
            lines.append("")
            lines.append("| variant | wall s | MB/s | ours/this | CPU s | MB/s (CPU) | ours/this (CPU) |")
            lines.append("|---|---:|---:|---:|---:|---:|---:|")
            ours = scan["variants"]["ours"]
            for name, v in scan["variants"].items():
                mine = name == "ours"
                lines.append(
                    f"| {labels[name]} | {v['seconds']:.3f} | {v['mb_per_s']:.0f} | "
                    f"{'-' if mine else ratio(v['seconds'], ours['seconds'])} | "
                    f"{v['cpu_seconds']:.3f} | {v['cpu_mb_per_s']:.0f} | "
                    f"{'-' if mine else ratio(v['cpu_seconds'], ours['cpu_seconds'])} |")
                if mine:
                    inner = v["in_process_seconds"]
                    lines.append(f"| ours: decode time printed by `check` (open/exit excluded) | "
                                 f"{inner:.3f} | {info['value_bytes'] / 1e6 / inner:.0f} | | | | |")
            lines.append("")
    if "lookup" in results:
        lk = results["lookup"]
        info = lk["file"]
        lines.append(f"### (b) One row (id + payload) of a {info['rows']}-row store, "
                     f"{info['row_groups']} row groups, {lk['probes']} random probes")
        lines.append("")
        lines.append("Latency in microseconds (p50 / p90). Ratio = their p50 / our p50 "
                     "(ours = file opened once).")
        lines.append("")
        ours = lk["ours"]["variants"]
        base = ours["open_once"]
        lines.append("| variant | by position p50 | p90 | by id p50 | p90 | "
                     "ours faster (position) | ours faster (id) |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        labels = {
            "open_once": "ours: file open once, RowReader per lookup (C++)",
            "open_once_reuse": "ours: file open once, one RowReader reused (C++)",
            "reopen": "ours: open file per lookup (C++)",
            "duckdb": "duckdb `con.execute(sql, [param])`, connection reused",
            "duckdb_prepared": "duckdb `PREPARE` once + `EXECUTE`",
            "duckdb_prepared_metadata_cache": "duckdb `PREPARE` + `parquet_metadata_cache=true`",
            "pyarrow": "pyarrow, file opened per call",
            "pyarrow_open": "pyarrow, file kept open",
        }
        rows = [(k, v, True) for k, v in ours.items()] + \
               [(k, v, False) for k, v in lk["peers"].items()]
        for name, variant, is_ours in rows:
            pos, byid = variant["by_position"], variant["by_id"]
            lines.append(
                f"| {labels.get(name, name)} | {pos['p50_us']:.1f} | {pos['p90_us']:.1f} | "
                f"{byid['p50_us']:.1f} | {byid['p90_us']:.1f} | "
                f"{'-' if is_ours else ratio(pos['p50_us'], base['by_position']['p50_us'])} | "
                f"{'-' if is_ours else ratio(byid['p50_us'], base['by_id']['p50_us'])} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=1.0, help="scan file size (default 1)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the lookup file")
    parser.add_argument("--row-group-rows", type=int, default=10_000,
                        help="rows per row group of the lookup file")
    parser.add_argument("--probes", type=int, default=200, help="lookup probes")
    parser.add_argument("--repeat", type=int, default=5, help="scan runs (best of)")
    parser.add_argument("--lookup-repeats", type=int, default=5,
                        help="passes over the probes for our C++ lookups")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/mimicit-bench"))
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--build-dir", type=Path, default=REPO / "build",
                        help="where `mimicit` and `lookup_bench` are (cmake -DMIMICIT_BUILD_BENCH=ON)")
    parser.add_argument("--wait-load", type=float, default=0,
                        help="before each part, wait until the 1-min load average is below this")
    parser.add_argument("--wait-max", type=float, default=1800,
                        help="longest wait for --wait-load, seconds (then run anyway)")
    parser.add_argument("--only", choices=["scan", "lookup"], help="run one part only")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the data files")
    parser.add_argument("--generate-only", action="store_true",
                        help="write the data files and stop")
    args = parser.parse_args()

    if args.generate_only:
        files = generate(args.scratch, args.size_gib, args.rows, args.row_group_rows,
                         args.regenerate)
        for name, path in files.items():
            print(f"{name}: {path} ({path.stat().st_size} bytes)")
        return 0

    mimicit = args.build_dir / "mimicit"
    lookup_bench = args.build_dir / "lookup_bench"
    for tool, part in ((mimicit, "scan"), (lookup_bench, "lookup")):
        if args.only in (None, part) and not tool.exists():
            parser.error(f"{tool} is missing: cmake -S . -B {args.build_dir} -G Ninja "
                         f"-DMIMICIT_BUILD_BENCH=ON && cmake --build {args.build_dir}")

    files = generate(args.scratch, args.size_gib, args.rows, args.row_group_rows,
                     args.regenerate)
    results = {"machine": machine(pyarrow=pa.__version__, duckdb=duckdb.__version__), "command": " ".join([sys.executable] + sys.argv),
               "repeat": args.repeat}
    if args.only in (None, "scan"):
        results["load_before_scan"] = wait_for_quiet(args.wait_load, args.wait_max)
        results["scan"] = run_scan(files, mimicit, args.repeat)
    if args.only in (None, "lookup"):
        results["load_before_lookup"] = wait_for_quiet(args.wait_load, args.wait_max)
        results["lookup"] = run_lookup(files, lookup_bench, args.scratch, args.probes,
                                       args.lookup_repeats)
    results["load_after"] = os.getloadavg()

    table = markdown(results)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "parquet_bench.md").write_text(table + "\n")
    (args.out / "parquet_bench.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"wrote {args.out / 'parquet_bench.md'} and {args.out / 'parquet_bench.json'}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
