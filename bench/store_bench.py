#!/usr/bin/env python3
"""Image-store benchmarks of issue 3: mimicit against the reference and its peers, one run.

    python3 bench/store_bench.py [--size-gib 2.05] [--json-size-gib 2.05] [--out bench/out]

(a) Open a >= 2 GiB pandas-written store and fetch one image, each variant a
    fresh process timed with /usr/bin/time (wall, peak RSS):
    ours       = python -c "import mimicit; mimicit.ImageStore(p).get_bytes(id)"
                 (no saved index; then re-open with the saved index) and
                 `mimicit images get p id -o /dev/null`
    reference  = pq.ParquetFile(p).iter_batches(batch_size=1000) -> to_pandas
                 -> pd.concat -> .loc[id]
(b) Random get p50/p99 over random ids, store kept open (as a training
    process does): ours (mimicit.ImageStore.get_bytes) vs duckdb
    (SELECT base64 FROM read_parquet(..) WHERE __index_level_0__ = ?,
    connection reused) and pyarrow (read_table(filters=...), and a dataset
    fragment kept open), on the pandas store (part b) and on a store written
    by `mimicit convert` (sorted, page index): the keep output of (c) (part B).
(c) Convert a >= 2 GiB legacy images.json of real JPEG/PNG images: the
    reference converter (bench/reference_convert.py: orjson, Pillow PNG in a
    thread pool, dask to_parquet) vs `mimicit convert --reencode png` and
    `mimicit convert` (keep): wall time and peak RSS.

The data is generated here, deterministically (fixed seeds), into a scratch
folder (default /tmp/mimicit-bench/store) and reused while its parameters
match. The Markdown tables go to stdout and OUT/store_bench.md, the raw
numbers to OUT/store_bench.json. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import base64
import glob
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import duckdb

from bench_common import machine, wait_for_quiet

REPO = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = 1  # bump when the generated data changes
STORE_SEED = 20240611
JSON_SEED = 20240612
PROBE_SEED = 20240613
CHUNK_ROWS = 1000  # rows per DataFrame chunk (and so per row group) of the pandas store


# ---------------------------------------------------------------------------
# Helpers


def _manifest(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _manifest_matches(path: Path, params: dict) -> bool:
    try:
        return path.exists() and json.loads(_manifest(path).read_text())["params"] == params
    except (OSError, ValueError, KeyError):
        return False


def _read_manifest(path: Path) -> dict:
    return json.loads(_manifest(path).read_text())


def _write_manifest(path: Path, params: dict, extra: dict) -> None:
    _manifest(path).write_text(json.dumps({"params": params, **extra}, sort_keys=True))


def timed_process(cmd: list[str], env: dict | None = None, check: bool = True) -> dict:
    """Runs cmd as a fresh process under /usr/bin/time: wall, user, system
    seconds and peak RSS (MiB) of that process (the largest of its
    children's when it forks), plus its stdout."""
    fmt = "%e %U %S %M %x"
    with open(os.devnull, "w") as devnull:
        proc = subprocess.run(["/usr/bin/time", "-f", fmt, "-o", "/dev/stderr", *cmd],
                              capture_output=True, text=True, env=env)
    last = proc.stderr.strip().splitlines()[-1].split()
    wall, user, system, rss_kib, status = float(last[0]), float(last[1]), float(last[2]), \
        int(last[3]), last[4]
    result = {"command": " ".join(cmd), "seconds": wall, "cpu_seconds": user + system,
              "peak_rss_mib": rss_kib / 1024, "exit": proc.returncode, "stdout": proc.stdout[-2000:],
              "stderr": "\n".join(proc.stderr.strip().splitlines()[:-1])[-2000:]}
    if check and proc.returncode != 0:
        raise RuntimeError(f"{result['command']} failed ({status}):\n{proc.stderr[-3000:]}")
    return result


def warm_page_cache(paths: list[Path]) -> None:
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for f in files:
            with open(f, "rb") as fh:
                while fh.read(64 << 20):
                    pass


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def remove_saved_indexes(store: Path, cache_dir: Path) -> None:
    base = store if store.is_dir() else store.parent
    for name in glob.glob(str(base / "**" / "*.mimicit-index*"), recursive=True,
                          include_hidden=True):
        os.remove(name)
    shutil.rmtree(cache_dir, ignore_errors=True)


# ---------------------------------------------------------------------------
# Data: (a)/(b) a pandas-written Parquet store of JPEG-like payloads


def jpeg_like(rng: np.random.Generator, size: int) -> bytes:
    """Random bytes (the entropy of a JPEG) framed like a JPEG file."""
    body = rng.bytes(size - 6)
    return b"\xff\xd8\xff\xe0\x00\x10" + body[:-2] + b"\xff\xd9"


def generate_store(path: Path, size_gib: float, force: bool) -> dict:
    """What `DataFrame.from_dict(d, orient="index", columns=["base64"]).to_parquet(path)`
    writes, produced chunk by chunk (pa.Table.from_pandas(df, preserve_index=True)
    of a from_dict DataFrame per chunk, one ParquetWriter) so that generation
    stays within a few hundred MB: same schema and `pandas` metadata, snappy,
    pyarrow defaults; one row group per chunk of CHUNK_ROWS images. Payloads
    are 50..300 KB of random bytes, ids LA_IMG_<12 digits> in random order."""
    params = {"version": GENERATOR_VERSION, "seed": STORE_SEED, "size_gib": size_gib,
              "chunk_rows": CHUNK_ROWS, "pyarrow": pa.__version__, "pandas": pd.__version__}
    if not force and _manifest_matches(path, params):
        return _read_manifest(path)
    print(f"writing {path} ({size_gib:g} GiB pandas store) ...", file=sys.stderr)
    rng = np.random.default_rng(STORE_SEED)
    target = int(size_gib * (1 << 30))
    # Ids: distinct numbers in random order (a pandas store is not sorted).
    max_images = target // (4 * 50_000 // 3) + 1
    numbers = np.sort(rng.choice(10**12, size=max_images, replace=False))
    rng.shuffle(numbers)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    writer = None
    written = 0
    n = 0
    digests = {}
    while written < target * 0.985:  # the file ends up a bit over the text size
        d = {}
        for _ in range(CHUNK_ROWS):
            raw = jpeg_like(rng, int(rng.integers(50_000, 300_001)))
            image_id = f"LA_IMG_{int(numbers[n]):012d}"
            d[image_id] = base64.b64encode(raw).decode("ascii")
            if n % 997 == 0:
                digests[image_id] = hashlib.sha256(raw).hexdigest()
            n += 1
            written += len(d[image_id])
            if written >= target * 0.985:
                break
        df = pd.DataFrame.from_dict(d, orient="index", columns=["base64"])
        table = pa.Table.from_pandas(df, preserve_index=True)
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, compression="snappy")
        writer.write_table(table)
        del d, df, table
    writer.close()
    os.replace(tmp, path)
    extra = {"images": n, "text_bytes": written, "digests": digests}
    _write_manifest(path, params, extra)
    return _read_manifest(path)


# ---------------------------------------------------------------------------
# Data: (c) a legacy images.json of real JPEG/PNG images


def make_images(count: int, seed: int) -> list[bytes]:
    """`count` distinct real images (Pillow): a smooth random background,
    random shapes and mild noise, 256..640 px a side; half JPEG (quality
    85..95), half PNG."""
    from PIL import Image, ImageDraw
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        w, h = (int(x) for x in rng.integers(256, 641, 2))
        # smooth background: a coarse random grid upscaled (bilinear)
        coarse = rng.integers(0, 256, (int(rng.integers(2, 9)), int(rng.integers(2, 9)), 3),
                              dtype=np.uint8)
        image = Image.fromarray(coarse, "RGB").resize((w, h), Image.BILINEAR)
        draw = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(3, 15))):
            x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
            x1, y1 = x0 + int(rng.integers(10, w // 2)), y0 + int(rng.integers(10, h // 2))
            color = tuple(int(c) for c in rng.integers(0, 256, 3))
            shape = int(rng.integers(0, 3))
            if shape == 0:
                draw.rectangle([x0, y0, x1, y1], fill=color)
            elif shape == 1:
                draw.ellipse([x0, y0, x1, y1], fill=color)
            else:
                draw.line([x0, y0, x1, y1], fill=color, width=int(rng.integers(1, 8)))
        pixels = np.asarray(image, dtype=np.int16)
        noise = rng.normal(0, 3.0, pixels.shape)
        pixels = np.clip(pixels + noise, 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels, "RGB")
        buf = io.BytesIO()
        if k % 2 == 0:
            image.save(buf, format="JPEG", quality=int(rng.integers(85, 96)))
        else:
            image.save(buf, format="PNG")
        out.append(buf.getvalue())
    return out


def generate_json(path: Path, size_gib: float, distinct: int, force: bool) -> dict:
    params = {"version": GENERATOR_VERSION, "seed": JSON_SEED, "size_gib": size_gib,
              "distinct": distinct}
    if not force and _manifest_matches(path, params):
        return _read_manifest(path)
    import PIL
    print(f"writing {path} ({size_gib:g} GiB images.json, {distinct} distinct images) ...",
          file=sys.stderr)
    images = make_images(distinct, JSON_SEED)
    texts = [base64.b64encode(b).decode("ascii") for b in images]
    rng = np.random.default_rng(JSON_SEED + 1)
    target = int(size_gib * (1 << 30))
    tmp = path.with_name(path.name + ".tmp")
    n = written = 0
    numbers = rng.permutation(10**6)  # ids in random order
    with open(tmp, "w") as f:
        f.write("{")
        written += 1
        while written < target:
            text = texts[int(rng.integers(0, distinct))]
            item = f'{"," if n else ""}"LA_IMG_{int(numbers[n]):012d}": "{text}"'
            f.write(item)
            written += len(item)
            n += 1
        f.write("}")
    os.replace(tmp, path)
    jpeg = sum(1 for b in images if b[:2] == b"\xff\xd8")
    extra = {"images": n, "file_bytes": path.stat().st_size, "pillow": PIL.__version__,
             "distinct_jpeg": jpeg, "distinct_png": distinct - jpeg,
             "distinct_bytes_mean": float(np.mean([len(b) for b in images]))}
    _write_manifest(path, params, extra)
    return _read_manifest(path)


# ---------------------------------------------------------------------------
# (a) open + one get, a fresh process per variant


OURS_PY = """
import hashlib, sys, time
t0 = time.perf_counter()
import mimicit
t1 = time.perf_counter()
s = mimicit.ImageStore(sys.argv[1], use_saved_index=sys.argv[3] == "1")
t2 = time.perf_counter()
b = s.get_bytes(sys.argv[2])
t3 = time.perf_counter()
print(hashlib.sha256(b).hexdigest(), len(s), f"import={t1-t0:.4f} open={t2-t1:.4f} get={t3-t2:.4f}")
"""

REFERENCE_PY = """
import base64, hashlib, sys, time
t0 = time.perf_counter()
import pandas as pd, pyarrow.parquet as pq
t1 = time.perf_counter()
pf = pq.ParquetFile(sys.argv[1])
df = pd.concat([b.to_pandas() for b in pf.iter_batches(batch_size=1000)])
t2 = time.perf_counter()
b = base64.b64decode(df.loc[sys.argv[2]]["base64"])
t3 = time.perf_counter()
print(hashlib.sha256(b).hexdigest(), len(df), f"import={t1-t0:.4f} open={t2-t1:.4f} get={t3-t2:.4f}")
"""

IMPORT_PY = "import mimicit"


def run_open(store: Path, manifest: dict, mimicit: Path, cache_dir: Path, repeat: int) -> dict:
    probe_id, digest = sorted(manifest["digests"].items())[len(manifest["digests"]) // 2]
    env = dict(os.environ, MIMICIT_CACHE_DIR=str(cache_dir))
    py = sys.executable
    warm_page_cache([store])
    variants = {}

    def check(result):
        first = result["stdout"].split()[0] if result["stdout"].strip() else ""
        if first != digest:
            raise RuntimeError(f"wrong image for {probe_id}: {result['stdout']!r}")
        return result

    def runs(name, make_cmd, before=None, n=repeat, post=None):
        out = []
        for _ in range(n):
            if before:
                before()
            r = timed_process(make_cmd(), env=env)
            if name != "python_import":
                (post or check)(r)
            out.append(r)
        best = min(out, key=lambda r: r["seconds"])
        variants[name] = dict(best, runs=[{k: r[k] for k in ("seconds", "cpu_seconds",
                                                            "peak_rss_mib", "stdout")}
                                          for r in out],
                              median_seconds=statistics.median(r["seconds"] for r in out),
                              max_peak_rss_mib=max(r["peak_rss_mib"] for r in out))

    print("(a) ours ...", file=sys.stderr)
    runs("python_import", lambda: [py, "-c", IMPORT_PY])
    runs("ours_py_no_index", lambda: [py, "-c", OURS_PY, str(store), probe_id, "0"],
         before=lambda: remove_saved_indexes(store, cache_dir))
    # build and save the index once, then re-open with it
    remove_saved_indexes(store, cache_dir)
    timed_process([py, "-c", OURS_PY, str(store), probe_id, "1"], env=env)
    saved = sorted(glob.glob(str(store.parent / "*.mimicit-index*"), include_hidden=True)) + \
        sorted(glob.glob(str(cache_dir / "**" / "*"), recursive=True))
    runs("ours_py_saved_index", lambda: [py, "-c", OURS_PY, str(store), probe_id, "1"])
    cli_out = cache_dir.parent / "cli_get.out"

    def cli_cmd():
        cli_out.unlink(missing_ok=True)
        return [str(mimicit), "images", "get", str(store), probe_id, "-o", str(cli_out)]

    def cli_check(result):
        result["stdout"] = hashlib.sha256(cli_out.read_bytes()).hexdigest()
        return check(result)
    runs("ours_cli_saved_index", cli_cmd, post=cli_check)
    print("(a) reference (pandas) ...", file=sys.stderr)
    runs("reference", lambda: [py, "-c", REFERENCE_PY, str(store), probe_id], n=1)
    return {"probe_id": probe_id, "sha256": digest, "store_bytes": store.stat().st_size,
            "saved_index_files": {p: os.path.getsize(p) for p in saved if os.path.isfile(p)},
            "variants": variants}


# ---------------------------------------------------------------------------
# (b) random gets, store kept open


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50_ms": statistics.median(ordered) * 1e3, "p99_ms": at(0.99) * 1e3,
            "p90_ms": at(0.9) * 1e3, "max_ms": ordered[-1] * 1e3, "n": len(ordered)}


def time_gets(fn, probes: list[str], budget_s: float, warmup: int = 5) -> dict:
    """p50/p99 of fn(id) over the probes, after `warmup` calls; stops after
    budget_s seconds (slow peers) and reports how many ran."""
    for probe in probes[:warmup]:
        fn(probe)
    samples = []
    deadline = time.perf_counter() + budget_s
    for probe in probes:
        start = time.perf_counter()
        fn(probe)
        samples.append(time.perf_counter() - start)
        if start > deadline:
            break
    return percentiles(samples)


def run_gets(label: str, store: Path, duck_glob: str, probes: list[str], expect: dict,
             budget_s: float, cache_dir: Path) -> dict:
    import mimicit
    results = {}
    print(f"(b) {label}: ours ...", file=sys.stderr)
    s = mimicit.ImageStore(str(store), cache_dir=str(cache_dir))
    for pid, b64 in expect.items():
        if s.get_bytes(pid) != base64.b64decode(b64):
            raise RuntimeError(f"ours: wrong bytes for {pid}")
    results["ours"] = time_gets(s.get_bytes, probes, budget_s * 4)
    results["ours_b64encode"] = time_gets(lambda p: base64.b64encode(s.get_bytes(p)), probes,
                                          budget_s * 4)
    del s

    for name, cache in (("duckdb", False), ("duckdb_metadata_cache", True)):
        print(f"(b) {label}: {name} ...", file=sys.stderr)
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET parquet_metadata_cache = {str(cache).lower()}")
        sql = f"SELECT base64 FROM read_parquet('{duck_glob}') WHERE __index_level_0__ = ?"

        def duck(pid):
            row = con.execute(sql, [pid]).fetchone()
            return row[0]
        for pid, b64 in expect.items():
            if duck(pid) != b64:
                raise RuntimeError(f"{name}: wrong value for {pid}")
        results[name] = time_gets(duck, probes, budget_s)
        results[name]["threads"] = con.execute("SELECT current_setting('threads')").fetchone()[0]
        con.close()

    print(f"(b) {label}: pyarrow ...", file=sys.stderr)
    spath = str(store)

    def pa_filters(pid):
        table = pq.read_table(spath, columns=["base64"],
                              filters=[("__index_level_0__", "=", pid)])
        return table.column(0)[0].as_py()
    for pid, b64 in list(expect.items())[:2]:
        if pa_filters(pid) != b64:
            raise RuntimeError(f"pyarrow: wrong value for {pid}")
    results["pyarrow"] = time_gets(pa_filters, probes, budget_s, warmup=1)

    print(f"(b) {label}: pyarrow kept open ...", file=sys.stderr)
    dataset = ds.dataset(spath, format="parquet")
    fragments = list(dataset.get_fragments())
    for fragment in fragments:
        fragment.ensure_complete_metadata()
    dataset = ds.FileSystemDataset(fragments, dataset.schema, dataset.format)

    def pa_open(pid):
        table = dataset.to_table(columns=["base64"], filter=pc.field("__index_level_0__") == pid)
        return table.column(0)[0].as_py()
    for pid, b64 in list(expect.items())[:2]:
        if pa_open(pid) != b64:
            raise RuntimeError(f"pyarrow open: wrong value for {pid}")
    results["pyarrow_open"] = time_gets(pa_open, probes, budget_s, warmup=1)
    return results


def probes_and_expect(store: Path, id_column: str, num_probes: int) -> tuple[list, dict, int]:
    """num_probes random ids of the store (fixed seed) and the base64 text of
    three of them (to check every variant returns the right image)."""
    ids = ds.dataset(str(store), format="parquet").to_table(columns=[id_column]).column(0).to_pylist()
    rng = np.random.default_rng(PROBE_SEED)
    probes = [ids[i] for i in rng.integers(0, len(ids), num_probes).tolist()]
    sample = ds.dataset(str(store), format="parquet").to_table(
        columns=[id_column, "base64"], filter=pc.field(id_column).isin(probes[:3]))
    expect = dict(zip(sample.column(0).to_pylist(), sample.column(1).to_pylist()))
    return probes, expect, len(ids)


def run_b(store: Path, num_probes: int, budget_s: float, cache_dir: Path) -> dict:
    """Random gets on the pandas-written store."""
    probes, expect, count = probes_and_expect(store, "__index_level_0__", num_probes)
    out = {"probes": num_probes, "images": count, "budget_s": budget_s}
    warm_page_cache([store])
    out["pandas_store"] = run_gets("pandas store", store, str(store), probes, expect, budget_s,
                                   cache_dir)
    return out


def run_b_converted(converted: Path, num_probes: int, budget_s: float, cache_dir: Path) -> dict:
    """Random gets on a store written by `mimicit convert` (sorted, page index)."""
    probes, expect, count = probes_and_expect(converted, "__index_level_0__", num_probes)
    parts = sorted(converted.glob("*.parquet"))
    out = {"probes": num_probes, "images": count, "budget_s": budget_s,
           "parts": [p.name for p in parts], "bytes": dir_bytes(converted),
           "row_groups": [pq.ParquetFile(p).metadata.num_row_groups for p in parts]}
    warm_page_cache([converted])
    out["gets"] = run_gets("converted store", converted, str(converted / "*.parquet"), probes,
                           expect, budget_s, cache_dir)
    return out


# ---------------------------------------------------------------------------
# (c) convert images.json


def run_c(src: Path, scratch: Path, mimicit: Path, wait_load: float, wait_max: float,
          skip_reference: bool, gets_after_keep=None) -> dict:
    out_dir = scratch / "convert_out"
    py = sys.executable
    results = {"input_bytes": src.stat().st_size}
    variants = [("ours_keep", [str(mimicit), "convert", str(src), "-o", str(out_dir)]),
                ("ours_png", [str(mimicit), "convert", str(src), "-o", str(out_dir),
                              "--reencode", "png"])]
    if not skip_reference:
        variants.append(("reference_png", [py, str(REPO / "bench" / "reference_convert.py"),
                                           str(src), str(out_dir)]))
    for name, cmd in variants:
        shutil.rmtree(out_dir, ignore_errors=True)
        warm_page_cache([src])
        load = wait_for_quiet(wait_load, wait_max)
        print(f"(c) {name} (load {load:.2f}) ...", file=sys.stderr)
        r = timed_process(cmd, check=False)
        r["load_before"] = load
        if out_dir.exists():
            parts = sorted(out_dir.glob("*.parquet"))
            r["output_bytes"] = dir_bytes(out_dir)
            r["output_parts"] = len(parts)
            try:
                r["output_rows"] = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
            except Exception as error:  # noqa: BLE001
                r["output_rows"] = f"unreadable: {error}"
        results[name] = r
        print(f"    {r['seconds']:.1f} s, {r['peak_rss_mib']:.0f} MiB, exit {r['exit']}",
              file=sys.stderr)
        if name == "ours_keep" and gets_after_keep is not None and r["exit"] == 0:
            results["gets_on_keep_output"] = gets_after_keep(out_dir)
        shutil.rmtree(out_dir, ignore_errors=True)  # outputs are large: keep the disk use low
    return results


# ---------------------------------------------------------------------------
# Report


def ratio(theirs: float, ours: float) -> str:
    return f"{theirs / ours:.1f}x" if theirs > 0 and ours > 0 else "-"


def markdown(results: dict) -> str:
    lines = []
    m = results["machine"]
    loads = " -> ".join(f"{x:.2f}" for x in results["loads"])
    lines.append(f"Machine: {m['nproc']} cores, {m['cpu']}, {m['ram_bytes'] / 2**30:.0f} GiB RAM, "
                 f"1-min load average {loads} (start, before each part, end); Python "
                 f"{m['python']}, pyarrow {m['pyarrow']}, pandas {m['pandas']}, duckdb {m['duckdb']}.")
    lines.append("")
    if "a" in results:
        a = results["a"]
        size = a["store_bytes"]
        lines.append(f"### (a) Open a {size / 2**30:.2f} GiB pandas-written store "
                     f"({a['images']} images) and fetch one image (fresh process each)")
        lines.append("")
        lines.append("Wall and peak RSS of the whole process (`/usr/bin/time`); ours best of "
                     f"{a['repeat']} runs, the reference one run; page cache warm. In-process "
                     "split as the script measured it. Ratios: reference / ours.")
        lines.append("")
        lines.append("| variant | wall s | peak RSS MiB | RSS / store | in-process | faster | less RSS |")
        lines.append("|---|---:|---:|---:|---|---:|---:|")
        labels = {"python_import": "`python -c 'import mimicit'` (interpreter + import only)",
                  "ours_py_no_index": "ours, Python: `ImageStore(p)` without saved index + `get_bytes`",
                  "ours_py_saved_index": "ours, Python: re-open with the saved index + `get_bytes`",
                  "ours_cli_saved_index": "ours, CLI: `mimicit images get p id` (saved index)",
                  "reference": "reference: `iter_batches(1000)` -> `to_pandas` -> `concat` -> `.loc`"}
        ref = a["variants"].get("reference")
        for name, v in a["variants"].items():
            inproc = v["stdout"].split()[2:] if name not in ("ours_cli_saved_index", "python_import") \
                else []
            lines.append(
                f"| {labels.get(name, name)} | {v['seconds']:.3f} | {v['peak_rss_mib']:.0f} | "
                f"{100 * v['peak_rss_mib'] * 2**20 / size:.2f} % | {' '.join(inproc)} | "
                f"{ratio(ref['seconds'], v['seconds']) if ref and name != 'reference' and name != 'python_import' else '-'} | "
                f"{ratio(ref['peak_rss_mib'], v['peak_rss_mib']) if ref and name != 'reference' and name != 'python_import' else '-'} |")
        lines.append("")
    if "b" in results or "b_converted" in results:
        b = results.get("b") or results["b_converted"]
        lines.append("### (b) Random `get` of one image, store kept open")
        lines.append("")
        lines.append("Latency per call in ms (p50 / p99), from Python, after a warm-up; "
                     f"peers stop after {b['budget_s']:.0f} s (n = calls timed). Ours returns the "
                     "decoded image bytes; the peers return the base64 text (not decoded). "
                     "Ratio = their p50 / our p50.")
        lines.append("")
        labels = {"ours": "**ours** `ImageStore.get_bytes(id)`",
                  "ours_b64encode": "ours + `base64.b64encode` (same output as the peers)",
                  "duckdb": "duckdb `SELECT base64 ... WHERE __index_level_0__ = ?` (connection reused)",
                  "duckdb_metadata_cache": "duckdb, the same + `parquet_metadata_cache=true`",
                  "pyarrow": "pyarrow `pq.read_table(p, filters=[(idx, '=', id)])`",
                  "pyarrow_open": "pyarrow dataset kept open, `to_table(filter=...)`"}
        tables = []
        if "pandas_store" in b:
            tables.append((f"pandas-written store ({b['images']} images, unsorted ids, 1 file, "
                           f"{b['probes']} random ids)", b["pandas_store"]))
        bc = results.get("b_converted")
        if bc:
            tables.append((f"a store written by `mimicit convert` (keep) from the images.json of "
                           f"(c): {bc['images']} images, sorted, page index, "
                           f"{len(bc['parts'])} part(s), {bc['bytes'] / 2**30:.2f} GiB; "
                           f"{bc['probes']} random ids", bc["gets"]))
        for title, table in tables:
            lines.append(f"**{title}**")
            lines.append("")
            lines.append("| variant | p50 ms | p99 ms | n | ours faster (p50) |")
            lines.append("|---|---:|---:|---:|---:|")
            ours = table["ours"]["p50_ms"]
            for name, v in table.items():
                mine = name.startswith("ours")
                lines.append(f"| {labels.get(name, name)} | {v['p50_ms']:.3f} | {v['p99_ms']:.3f} | "
                             f"{v['n']} | {'-' if mine else ratio(v['p50_ms'], ours)} |")
            lines.append("")
    if "c" in results:
        c = results["c"]
        lines.append(f"### (c) Convert a {c['input_bytes'] / 2**30:.2f} GiB `images.json` "
                     f"({c['images']} images, {c['distinct']} distinct real JPEG/PNG)")
        lines.append("")
        lines.append("Wall, CPU (user + system) and peak RSS of the whole process "
                     "(`/usr/bin/time`), one run each. Ratios: reference / ours.")
        lines.append("")
        lines.append("| variant | wall s | CPU s | peak RSS MiB | output | faster | less RSS |")
        lines.append("|---|---:|---:|---:|---|---:|---:|")
        labels = {"reference_png": "reference (`bench/reference_convert.py`): orjson, Pillow PNG, dask",
                  "ours_png": "**ours** `mimicit convert --reencode png`",
                  "ours_keep": "ours `mimicit convert` (keep)"}
        ref = c.get("reference_png")
        ref_ok = ref is not None and ref["exit"] == 0
        for name in ("reference_png", "ours_png", "ours_keep"):
            v = c.get(name)
            if v is None:
                continue
            output = (f"{v.get('output_rows', '?')} rows, {v.get('output_parts', '?')} parts, "
                      f"{v.get('output_bytes', 0) / 2**30:.2f} GiB") if v["exit"] == 0 else \
                f"failed (exit {v['exit']})"
            mine = name.startswith("ours")
            lines.append(f"| {labels[name]} | {v['seconds']:.1f} | {v['cpu_seconds']:.1f} | "
                         f"{v['peak_rss_mib']:.0f} | {output} | "
                         f"{ratio(ref['seconds'], v['seconds']) if mine and ref_ok else '-'} | "
                         f"{ratio(ref['peak_rss_mib'], v['peak_rss_mib']) if mine and ref_ok else '-'} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=2.05, help="pandas store size (a, b)")
    parser.add_argument("--json-size-gib", type=float, default=2.05, help="images.json size (c)")
    parser.add_argument("--distinct", type=int, default=2000, help="distinct images in (c)")
    parser.add_argument("--probes", type=int, default=500, help="random ids for (b)")
    parser.add_argument("--budget", type=float, default=60, help="seconds per peer variant in (b)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of our (a) variants (best of)")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/mimicit-bench/store"))
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument("--wait-load", type=float, default=0)
    parser.add_argument("--wait-max", type=float, default=300)
    parser.add_argument("--only", default="abBc",
                        help="parts to run: a, b (pandas store), B (gets on the converted "
                             "store of c), c; e.g. ab or Bc")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other parts' results from OUT/store_bench.json")
    parser.add_argument("--skip-reference-convert", action="store_true")
    parser.add_argument("--keep-data", action="store_true",
                        help="keep the generated data (default: delete each part's data after it)")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()

    mimicit = args.build_dir / "mimicit"
    if not mimicit.exists():
        parser.error(f"{mimicit} is missing: cmake -S . -B {args.build_dir} -G Ninja "
                     f"-DMIMICIT_BUILD_BENCH=ON && cmake --build {args.build_dir}")
    args.scratch.mkdir(parents=True, exist_ok=True)
    cache_dir = args.scratch / "index_cache"
    store = args.scratch / f"pandas_{args.size_gib:g}gib.parquet"
    src = args.scratch / f"images_{args.json_size_gib:g}gib.json"

    results = {"machine": machine(pyarrow=pa.__version__, pandas=pd.__version__, duckdb=duckdb.__version__), "command": " ".join([sys.executable] + sys.argv),
               "loads": [os.getloadavg()[0]]}
    out_md, out_json = args.out / "store_bench.md", args.out / "store_bench.json"
    args.out.mkdir(parents=True, exist_ok=True)
    if args.merge and out_json.exists():  # keep the parts of an earlier run not rerun now
        earlier = json.loads(out_json.read_text())
        for part in ("a", "b", "b_converted", "c"):
            if part in earlier and part not in results:
                results[part] = earlier[part]
                results.setdefault("merged_from_earlier_run", []).append(part)

    def save():
        results["loads_now"] = os.getloadavg()
        out_json.write_text(json.dumps(results, indent=2, default=str) + "\n")

    if "a" in args.only or "b" in args.only:
        manifest = generate_store(store, args.size_gib, args.regenerate)
        if "a" in args.only:
            results["loads"].append(wait_for_quiet(args.wait_load, args.wait_max))
            results["a"] = run_open(store, manifest, mimicit, cache_dir, args.repeat)
            results["a"].update(images=manifest["images"], repeat=args.repeat)
            save()
        if "b" in args.only:
            results["loads"].append(wait_for_quiet(args.wait_load, args.wait_max))
            results["b"] = run_b(store, args.probes, args.budget, cache_dir)
            save()
        if not args.keep_data:
            remove_saved_indexes(store, cache_dir)
            for p in (store, _manifest(store)):
                p.unlink(missing_ok=True)
    if "c" in args.only:
        manifest = generate_json(src, args.json_size_gib, args.distinct, args.regenerate)
        results["loads"].append(os.getloadavg()[0])
        gets = None
        if "B" in args.only:  # (b) on a converted store: our `convert` (keep) output of (c)
            def gets(out_dir):
                results["b_converted"] = run_b_converted(out_dir, args.probes, args.budget,
                                                         cache_dir)
                save()
                return {"see": "b_converted"}
        results["c"] = run_c(src, args.scratch, mimicit, args.wait_load, args.wait_max,
                             args.skip_reference_convert, gets)
        results["c"].update(images=manifest["images"], distinct=args.distinct, data=manifest)
        save()
        if not args.keep_data:
            for p in (src, _manifest(src)):
                p.unlink(missing_ok=True)
    results["loads"].append(os.getloadavg()[0])
    save()
    table = markdown(results)
    print(table)
    out_md.write_text(table + "\n")
    print(f"wrote {out_md} and {out_json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
