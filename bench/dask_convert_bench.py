#!/usr/bin/env python3
"""mimicit.dask.convert on LocalClusters of 1 and 2 workers (issue 15):
wall time, merge included, and the speed-up of 2 workers over 1.

    python3 bench/dask_convert_bench.py [--images 20000] [--size 320x240]
        [--workers 1,2] [--modes keep,png] [--max-partition-size 32MiB]
        [--repeat 3] [--warmup 1] [--input warm|cold] [--wait-load 1.0] [--wait-max 900]
        [--data-dir /tmp/mimicit-bench]
        [--out bench/out]

Data: --images unique JPEGs (quality 80-95) cut from the natural
photographs of $MIMICIT_TESTDATA/photos: a random 4:3 crop of each photo
(35-100 % of its size, random place, mirrored half the time) resized to
--size; stored base64 in a pandas-layout Parquet file (pyarrow, 256 rows per
row group) with the ids in random order, so the conversion goes through the
shards and the merge. The part size is scaled down with the data
(--max-partition-size) so that each worker has several parts to write, as
at full scale (10M images in 1.5 GiB parts is ~1300 parts).

Each cluster (n worker processes x 1 thread, one C++ thread per task) runs
each mode (keep: image bytes untouched; png: re-encoded with the fast PNG
encoder) --warmup times untimed (default 1: a new process's first run pays
for its first page faults and code loads), then --repeat times (default 3;
the table gives the median run and the range), each run after waiting (at most --wait-max s) for the 1-minute load
average to fall below --wait-load. The input's page-cache state is set the
same way before every run (--input): `warm` (default) reads the input file
through first, as a conversion finds data it has just written or read;
`cold` drops the page cache first (root), so the input comes from disk.
Without either, what this VM's proactive reclaim (DAMON pageout of pages
idle for 6 s) left of the input would differ from run to run. Recorded per
run: wall seconds (plan, shards, part plan, parts, commit), the merge's
seconds, the CPU seconds of the workers and of the driver, and the CPU
seconds the rest of the machine used meanwhile (/proc/stat busy time minus
ours: other sessions' contention), the load average before and after; the
output is checked byte-identical to `mimicit convert`'s (run on all cores,
also timed). The table goes to stdout and OUT/dask_convert_bench.md, the raw
numbers to OUT/dask_convert_bench.json. The CLI is $MIMICIT_BIN (default
build/mimicit).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_common import children_cpu, machine, wait_for_quiet  # noqa: E402

REPO = HERE.parent
DATA_VERSION = 1


def cli() -> Path:
    return Path(os.environ.get("MIMICIT_BIN", REPO / "build" / "mimicit"))


def photos_dir() -> Path:
    return Path(os.environ.get("MIMICIT_TESTDATA", REPO.parent / "shared" / "testdata")) / "photos"


def make_store(folder: Path, count: int, size: tuple[int, int]) -> Path:
    """The input store (cached in `folder` by its parameters)."""
    import io

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image, ImageOps

    params = {"version": DATA_VERSION, "images": count, "size": list(size)}
    path = folder / f"photos_{count}_{size[0]}x{size[1]}.parquet"
    manifest = path.with_suffix(".json")
    if path.exists() and manifest.exists() and json.loads(manifest.read_text()) == params:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    photos = [Image.open(p).convert("RGB") for p in sorted(photos_dir().iterdir())
              if p.suffix.lower() in (".png", ".jpg", ".jpeg")]
    if not photos:
        sys.exit(f"no photographs in {photos_dir()}")
    rng = random.Random(15)
    width, height = size
    order = list(range(count))
    rng.shuffle(order)
    ids, texts = [], []
    import base64
    for n, i in enumerate(order):
        photo = photos[i % len(photos)]
        fit = min(photo.width / 4, photo.height / 3)  # the largest 4:3 crop
        scale = rng.uniform(0.35, 1.0)
        w, h = max(8, int(4 * fit * scale)), max(6, int(3 * fit * scale))
        x, y = rng.randrange(photo.width - w + 1), rng.randrange(photo.height - h + 1)
        image = photo.crop((x, y, x + w, y + h)).resize((width, height), Image.BICUBIC)
        if rng.random() < 0.5:
            image = ImageOps.mirror(image)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=rng.randrange(80, 96))
        ids.append(f"BENCH_IMG_{i:08d}")
        texts.append(base64.b64encode(out.getvalue()).decode("ascii"))
        if (n + 1) % 5000 == 0:
            print(f"  {n + 1} images made", file=sys.stderr)
    frame = pd.DataFrame({"base64": texts}, index=ids)
    pq.write_table(pa.Table.from_pandas(frame), path, row_group_size=256)
    manifest.write_text(json.dumps(params))
    return path


def folder_bytes(path: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def cpu_busy() -> float:
    """Busy CPU-seconds of the whole machine so far (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def set_input_cache(source: Path, how: str) -> None:
    """Puts the input in the page cache (warm) or drops the page cache
    (cold), the same before every timed run."""
    if how == "warm":
        with open(source, "rb") as f:
            while f.read(1 << 24):
                pass
    else:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1\n")


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time, with every run's seconds beside it."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    return dict(ordered[len(ordered) // 2], all_seconds=[r["seconds"] for r in runs])


def own_cpu() -> float:
    """CPU-seconds of this process. Defined here, not in bench_common:
    client.run() ships a function of __main__ to the workers by value, and
    bench_common is not importable there."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cli_run(source: Path, out: Path, flags: list[str]) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    cpu0, start = children_cpu(), time.perf_counter()
    subprocess.run([str(cli()), "convert", str(source), "-o", str(out), "--threads", "0", *flags],
                   check=True, capture_output=True)
    return {"seconds": time.perf_counter() - start, "cpu_seconds": children_cpu() - cpu0,
            "load_before": load}


def dask_run(client, source: Path, out: Path, keywords: dict) -> dict:
    import mimicit.dask
    shutil.rmtree(out, ignore_errors=True)
    workers_cpu = lambda: sum(client.run(own_cpu).values())  # noqa: E731
    load = os.getloadavg()
    w0, d0, b0 = workers_cpu(), own_cpu(), cpu_busy()
    start = time.perf_counter()
    report = mimicit.dask.convert([source], out, client=client, **keywords)
    seconds = time.perf_counter() - start
    busy, workers, driver = cpu_busy() - b0, workers_cpu() - w0, own_cpu() - d0
    return {"seconds": seconds, "merge_seconds": report["merge_seconds"],
            "plan_parts_seconds": report["plan_parts_seconds"], "shards": report["shards"],
            "partitions": report["partitions"], "bytes_out": report["bytes_out"],
            "workers_cpu_seconds": workers, "driver_cpu_seconds": driver,
            "others_cpu_seconds": max(0.0, busy - workers - driver),
            "load_before": load[0], "load_after": os.getloadavg()[0]}


def spread(run: dict) -> str:
    return f"{min(run['all_seconds']):.2f}-{max(run['all_seconds']):.2f}"


def markdown(results: dict) -> str:
    r = results
    lines = ["# dask_convert_bench", "", f"machine: {json.dumps(r['machine'])}", "",
             f"{r['images']} images of {r['size']} ({r['input_bytes'] / 2**20:.0f} MiB of Parquet), "
             f"--max-partition-size {r['max_partition_size']}", "",
             f"input page cache: {r['input']}; each row is the median of {r['repeat']} runs after "
             f"{r['warmup']} untimed (wall s: median, with the fastest and slowest)", "",
             "| run | wall s | images/s | merge s (part plan s) | shards / parts | workers CPU s | "
             "others' CPU s | load before -> after | identical |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for mode in r["modes"]:
        c = r["runs"][f"cli_{mode}"]
        lines.append(f"| `mimicit convert --threads 0` (reference), {mode} | {c['seconds']:.2f} "
                     f"({spread(c)}) | "
                     f"{r['images'] / c['seconds']:.0f} | | | {c['cpu_seconds']:.1f} | | "
                     f"{c['load_before']:.2f} | |")
        for n in r["workers"]:
            d = r["runs"][f"dask_{n}_{mode}"]
            lines.append(f"| dask {n} worker{'s' if n > 1 else ''} x 1 thread, {mode} | {d['seconds']:.2f} "
                         f"({spread(d)}) | "
                         f"{r['images'] / d['seconds']:.0f} | {d['merge_seconds']:.2f} "
                         f"({d['plan_parts_seconds']:.2f}) | {d['shards']} / {d['partitions']} | "
                         f"{d['workers_cpu_seconds']:.1f} | {d['others_cpu_seconds']:.1f} | "
                         f"{d['load_before']:.2f} -> {d['load_after']:.2f} | {d['identical_to_cli']} |")
    lines.append("")
    for mode in r["modes"]:
        if 1 in r["workers"] and 2 in r["workers"]:
            lines.append(f"- {mode}: 2 workers are **{r['speedup'][mode]:.2f}x** 1 worker (wall time, merge "
                         "included)")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--modes", default="keep,png")
    parser.add_argument("--max-partition-size", default="32MiB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--input", choices=["warm", "cold"], default="warm")
    parser.add_argument("--wait-load", type=float, default=1.0)
    parser.add_argument("--wait-max", type=float, default=900)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/mimicit-bench"))
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()

    import dask
    import distributed
    size = tuple(int(v) for v in args.size.split("x"))
    workers = [int(v) for v in args.workers.split(",")]
    modes = args.modes.split(",")
    source = make_store(args.data_dir / "dask_convert", args.images, size)
    import mimicit
    mimicit.ImageStore(str(source))  # the saved index, as a second run would have it
    work = args.data_dir / "dask_convert" / "out"
    flags_of = {"keep": [], "png": ["--reencode", "png"]}
    keywords_of = {"keep": {}, "png": {"reencode": "png"}}
    results: dict = {"images": args.images, "size": args.size, "input_bytes": source.stat().st_size,
                     "max_partition_size": args.max_partition_size, "workers": workers, "modes": modes,
                     "repeat": args.repeat, "warmup": args.warmup, "input": args.input, "runs": {}}

    def timed(run):  # one run, after the same wait and the same page-cache state
        wait_for_quiet(args.wait_load, args.wait_max)
        set_input_cache(source, args.input)
        return run()

    for mode in modes:
        flags = flags_of[mode] + ["--max-partition-size", args.max_partition_size]
        runs = [timed(lambda: cli_run(source, work / f"cli_{mode}", flags)) for _ in range(args.repeat)]
        results["runs"][f"cli_{mode}"] = median_run(runs)
        print(f"cli {mode}: {results['runs'][f'cli_{mode}']}", file=sys.stderr)
    for n in workers:
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.CRITICAL)
        with distributed.Client(cluster) as client:
            client.run(lambda: __import__("mimicit.dask"))
            for mode in modes:
                out = work / f"dask_{n}_{mode}"
                keywords = dict(keywords_of[mode], max_partition_size=args.max_partition_size)
                for _ in range(args.warmup):
                    timed(lambda: dask_run(client, source, out, keywords))
                runs = []
                for _ in range(args.repeat):
                    run = timed(lambda: dask_run(client, source, out, keywords))
                    run["identical_to_cli"] = folder_bytes(out) == folder_bytes(work / f"cli_{mode}")
                    shutil.rmtree(out, ignore_errors=True)
                    runs.append(run)
                    print(f"dask {n} {mode}: {run}", file=sys.stderr)
                results["runs"][f"dask_{n}_{mode}"] = dict(
                    median_run(runs), identical_to_cli=all(r["identical_to_cli"] for r in runs))
        cluster.close()
    results["speedup"] = {m: results["runs"][f"dask_1_{m}"]["seconds"] / results["runs"][f"dask_2_{m}"]["seconds"]
                          for m in modes if 1 in workers and 2 in workers}
    results["machine"] = machine(dask=dask.__version__, distributed=distributed.__version__)
    shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dask_convert_bench.json").write_text(json.dumps(results, indent=1))
    text = markdown(results)
    (args.out / "dask_convert_bench.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
