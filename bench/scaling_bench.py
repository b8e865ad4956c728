#!/usr/bin/env python3
"""Single-node figures for docs/scaling.md (issue 6).

    python3 bench/scaling_bench.py [--seconds 5] [--convert-images 600]
        [--index-ids 1000000] [--wait-load 1.0] [--wait-max 600] [--only lmocd]
        [--data-dir /tmp/mimicit-bench] [--out bench/out]

Parts (each waits, at most --wait-max s, for the 1-minute load average to
drop below --wait-load, and records the load it ran at):

  l  loader     samples/s and samples per CPU-second of mimicit.Loader at
                S = 224 on 640x480 JPEGs (loader_bench.py's data: one image
                per record, base64 in a pandas-written store), 1 thread; and
                the image bytes a sample reads (store payload and decoded).
  m  memory     one training rank as its own process: `import torch`, a
                Loader on a YAML of 1M instructions (loader_bench.py's
                start-up data), iterated for --seconds with 1 worker thread:
                VmRSS, RssAnon (the rank's own memory), RssFile and the
                resident pages of the store file's mappings, after
                construction and after the run; VmHWM.
  o  open       seconds to a ready Loader on the 1M-instruction YAML (YAML,
                instruction JSON, resampling, order) and to its first batch;
                an image store of --index-ids ids (pandas layout, ids in
                random order): open without a saved index (the id column is
                scanned and the index saved), open with it (mapped), and the
                index bytes per image.
  c  convert    images/s and images per CPU-second: `mimicit convert` of a
                legacy images.json of --convert-images 640x480 JPEGs (ids in
                random order: the spill and merge path) with --threads 1,
                keep and --reencode png; and mimicit.dask.convert of the same
                on a LocalCluster of 2 worker processes x 1 thread (keep and
                png), whose output is checked byte-identical to the CLI's.
  d  decode     validate's decode pass (decode_range over the whole store)
                on the convert input, 1 thread: images/s.

The table goes to stdout and OUT/scaling_bench.md, the raw numbers to
OUT/scaling_bench.json. The CLI is $MIMICIT_BIN (default build/mimicit).
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_common import children_cpu, machine, wait_for_quiet  # noqa: E402
from image_pipeline_bench import make_inputs  # noqa: E402
from loader_bench import IMAGES, startup, write_store_and_yaml  # noqa: E402

import mimicit  # noqa: E402

REPO = HERE.parent


def cli() -> Path:
    return Path(os.environ.get("MIMICIT_BIN", REPO / "build" / "mimicit"))


# -- l: loader ---------------------------------------------------------------

def loader_part(data: Path, inputs: list[Path], seconds: float) -> dict:
    yaml = write_store_and_yaml(data / "loader-v1", inputs, IMAGES, "throughput")
    loader = mimicit.Loader(yaml, 16, num_threads=1, image_size=224, rank=0, world_size=1)
    for _ in loader:  # warm-up epoch: store opened, buffers sized
        pass
    samples, epoch = 0, 0
    start, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        epoch += 1
        loader.set_epoch(epoch)
        for batch in loader:
            samples += batch["nsentences"]
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    jpeg = float(np.mean([p.stat().st_size for p in inputs]))
    return {"samples_per_s": samples / wall, "samples_per_cpu_s": samples / cpu, "samples": samples,
            "jpeg_bytes_mean": jpeg, "base64_bytes_mean": jpeg * 4 / 3,
            "decoded_bytes": 640 * 480 * 3, "tensor_bytes": 3 * 224 * 224 * 4}


# -- m: memory per rank ------------------------------------------------------

RANK_SCRIPT = r"""
import json, sys, time
import torch
import mimicit

def status(store):
    out = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) * 1024
    rss, inside = 0, False
    for line in open("/proc/self/smaps"):
        f = line.split()
        if f and "-" in f[0] and len(f) >= 5:
            inside = len(f) >= 6 and f[5] == store
        elif inside and f and f[0] == "Rss:":
            rss += int(f[1]) * 1024
    out["store_rss"] = rss
    return out

yaml, store, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
base = status(store)
loader = mimicit.Loader(yaml, 16, num_threads=1, image_size=224, rank=0, world_size=8)
built = status(store)
samples, start = 0, time.perf_counter()
for batch in loader:
    samples += batch["nsentences"]
    if time.perf_counter() - start > seconds:
        break
print(json.dumps({"import": base, "constructed": built, "after": status(store), "samples": samples}))
"""


def memory_part(data: Path, inputs: list[Path], seconds: float) -> dict:
    yaml = write_store_and_yaml(data / "loader-v1", inputs, 1_000_000, "startup_1000000")
    store = data / "loader-v1" / "images.parquet"
    out = subprocess.run([sys.executable, "-c", RANK_SCRIPT, str(yaml), str(store), str(seconds)],
                         capture_output=True, check=True, text=True)
    result = json.loads(out.stdout)
    result["instructions_json_bytes"] = (data / "loader-v1" / "startup_1000000_instructions.json").stat().st_size
    result["store_bytes"] = store.stat().st_size
    return result


# -- o: open -----------------------------------------------------------------

def index_store(data: Path, ids: int) -> Path:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    path = data / "scaling" / f"ids_{ids}.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        order = np.random.default_rng(6).permutation(ids)
        frame = pd.DataFrame({"base64": ["aGk="] * ids}, index=[f"LA_IMG_{i:012d}" for i in order])
        pq.write_table(pa.Table.from_pandas(frame), path)
    return path


def open_part(data: Path, inputs: list[Path], ids: int) -> dict:
    yaml = write_store_and_yaml(data / "loader-v1", inputs, 1_000_000, "startup_1000000")
    loader = startup(yaml, data / "loader-v1" / "startup_1000000_instructions.json", 16)
    store = index_store(data, ids)
    for saved in store.parent.glob(f".{store.name}.mimicit-index"):
        saved.unlink()
    start = time.perf_counter()
    opened = mimicit.ImageStore(store)
    scan = time.perf_counter() - start
    size = len(opened)
    del opened
    start = time.perf_counter()
    mapped = mimicit.ImageStore(store)
    mapped_s = time.perf_counter() - start
    index_file = store.parent / f".{store.name}.mimicit-index"
    return {"loader": loader, "store_ids": size, "store_bytes": store.stat().st_size,
            "open_scan_seconds": scan, "open_saved_index_seconds": mapped_s,
            "index_file_bytes": index_file.stat().st_size if index_file.exists() else None,
            "mapped_len": len(mapped)}


# -- c: convert --------------------------------------------------------------

def convert_input(data: Path, inputs: list[Path], count: int) -> Path:
    path = data / "scaling" / f"images_{count}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        rng = random.Random(5)
        texts = [base64.b64encode(p.read_bytes()).decode() for p in inputs]
        order = list(range(count))
        rng.shuffle(order)
        with path.open("w") as f:
            f.write("{")
            f.write(", ".join(f'"BENCH_IMG_{i:08d}": "{texts[rng.randrange(len(texts))]}"' for i in order))
            f.write("}")
    return path


def folder_bytes(path: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def run_cli_convert(source: Path, out: Path, args: list[str]) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cpu0, start = children_cpu(), time.perf_counter()
    subprocess.run([str(cli()), "convert", str(source), "-o", str(out), *args], check=True,
                   capture_output=True)
    return {"seconds": time.perf_counter() - start, "cpu_seconds": children_cpu() - cpu0}


def convert_part(data: Path, inputs: list[Path], count: int) -> dict:
    import distributed
    import mimicit.dask
    source = convert_input(data, inputs, count)
    mimicit.ImageStore(source)  # the saved index, as a second run would have it
    work = data / "scaling" / "out"
    results: dict = {"images": count, "input_bytes": source.stat().st_size}
    modes = {"keep": ([], {}), "png": (["--reencode", "png"], {"reencode": "png"})}
    for mode, (flags, keywords) in modes.items():
        single = run_cli_convert(source, work / f"cli_{mode}", ["--threads", "1", *flags])
        single["images_per_s"] = count / single["seconds"]
        single["images_per_cpu_s"] = count / single["cpu_seconds"]
        results[f"cli_1_thread_{mode}"] = single
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.CRITICAL)
    with distributed.Client(cluster) as client:
        for mode, (_, keywords) in modes.items():
            out = work / f"dask_{mode}"
            start = time.perf_counter()
            report = mimicit.dask.convert([source], out, client=client, **keywords)
            seconds = time.perf_counter() - start
            identical = folder_bytes(out) == folder_bytes(work / f"cli_{mode}")
            results[f"dask_2x1_{mode}"] = {"seconds": seconds, "images_per_s": count / seconds,
                                           "shards": report["shards"], "identical_to_cli": identical,
                                           "merge_seconds": report["merge_seconds"],
                                           "bytes_out": report["bytes_out"]}
    cluster.close()
    shutil.rmtree(work, ignore_errors=True)
    return results


# -- d: decode pass ----------------------------------------------------------

def decode_part(data: Path, inputs: list[Path], count: int) -> dict:
    from mimicit import _core
    source = convert_input(data, inputs, count)
    options = {"decode": True, "threads": 1, "base_dir": "", "cache_dir": "", "max_problems": 1000}
    whole = (0, 0, 2**32 - 1, 2**64 - 1, count)
    start, cpu0 = time.perf_counter(), time.process_time()
    images, _, _ = _core.validate_decode_range(str(source), whole, options)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    return {"images": images, "images_per_s": images / seconds, "images_per_cpu_s": images / cpu}


# -- report ------------------------------------------------------------------

def markdown(results: dict) -> str:
    lines = ["# scaling_bench", "", f"machine: {json.dumps(results['machine'])}", ""]
    if "loader" in results:
        r = results["loader"]
        lines += ["## loader (1 thread, S = 224)", "",
                  f"- {r['samples_per_s']:.1f} samples/s, {r['samples_per_cpu_s']:.1f} samples per CPU-second "
                  f"(load {r['load']:.1f})",
                  f"- a sample reads {r['base64_bytes_mean'] / 1024:.0f} KiB of base64 "
                  f"({r['jpeg_bytes_mean'] / 1024:.0f} KiB JPEG), decodes to {r['decoded_bytes'] / 2**20:.2f} MiB, "
                  f"becomes a {r['tensor_bytes'] / 2**20:.2f} MiB tensor", ""]
    if "memory" in results:
        r = results["memory"]
        lines += ["## one rank (torch imported, 1M instructions, 1 worker thread)", "",
                  "| when | VmRSS MiB | RssAnon MiB | RssFile MiB | store resident MiB |", "|---|---:|---:|---:|---:|"]
        for when in ("import", "constructed", "after"):
            m = r[when]
            lines.append(f"| {when} | {m['VmRSS'] / 2**20:.0f} | {m['RssAnon'] / 2**20:.0f} | "
                         f"{m['RssFile'] / 2**20:.0f} | {m['store_rss'] / 2**20:.1f} |")
        lines += ["", f"VmHWM {r['after']['VmHWM'] / 2**20:.0f} MiB; {r['samples']} samples; instruction JSON "
                  f"{r['instructions_json_bytes'] / 2**20:.0f} MiB; store {r['store_bytes'] / 2**20:.0f} MiB "
                  f"(load {r['load']:.1f})", ""]
    if "open" in results:
        r = results["open"]
        lo = r["loader"]
        lines += ["## open", "",
                  f"- Loader on {lo['instructions']:,} instructions ({lo['json_bytes'] / 2**20:.0f} MiB JSON): "
                  f"ready {lo['ready_seconds']:.2f} s, first batch {lo['first_batch_seconds']:.2f} s "
                  f"(orjson.loads alone: {lo['reference_orjson_loads_seconds']:.2f} s)",
                  f"- store of {r['store_ids']:,} ids ({r['store_bytes'] / 2**20:.0f} MiB): open scanning the ids "
                  f"{r['open_scan_seconds']:.2f} s, with the saved index {r['open_saved_index_seconds'] * 1000:.1f} ms; "
                  f"index file {r['index_file_bytes'] / r['store_ids']:.1f} B per image (load {r['load']:.1f})", ""]
    if "convert" in results:
        r = results["convert"]
        lines += [f"## convert ({r['images']} images, {r['input_bytes'] / 2**20:.0f} MiB images.json)", "",
                  "| run | s | images/s | images per CPU-s | note |", "|---|---:|---:|---:|---|"]
        for key, v in r.items():
            if not isinstance(v, dict):
                continue
            per_cpu = f"{v['images_per_cpu_s']:.1f}" if "images_per_cpu_s" in v else ""
            note = (f"{v['shards']} shards, identical to the CLI: {v['identical_to_cli']}; merge "
                    f"{v['merge_seconds']:.2f} s ({v['bytes_out'] / 2**20 / v['merge_seconds']:.0f} MiB/s written)"
                    if "shards" in v else "")
            lines.append(f"| {key} | {v['seconds']:.2f} | {v['images_per_s']:.1f} | {per_cpu} | {note} |")
        lines += ["", f"(load {r['load']:.1f})", ""]
    if "decode" in results:
        r = results["decode"]
        lines += ["## validate decode pass (1 thread)", "",
                  f"- {r['images_per_s']:.1f} images/s, {r['images_per_cpu_s']:.1f} per CPU-second "
                  f"(load {r['load']:.1f})", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--convert-images", type=int, default=600)
    parser.add_argument("--index-ids", type=int, default=1_000_000)
    parser.add_argument("--wait-load", type=float, default=1.0)
    parser.add_argument("--wait-max", type=float, default=600)
    parser.add_argument("--only", default="lmocd")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/mimicit-bench"))
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    inputs = make_inputs(args.data_dir / "preprocess")
    results: dict = {"machine": machine(mimicit=mimicit.__version__)}
    parts = {"l": ("loader", lambda: loader_part(args.data_dir, inputs, args.seconds)),
             "m": ("memory", lambda: memory_part(args.data_dir, inputs, args.seconds)),
             "o": ("open", lambda: open_part(args.data_dir, inputs, args.index_ids)),
             "c": ("convert", lambda: convert_part(args.data_dir, inputs, args.convert_images)),
             "d": ("decode", lambda: decode_part(args.data_dir, inputs, args.convert_images))}
    for letter, (name, run) in parts.items():
        if letter not in args.only:
            continue
        load = wait_for_quiet(args.wait_load, args.wait_max)
        print(f"{name} (load {load:.2f}) ...", file=sys.stderr)
        results[name] = {**run(), "load": load}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scaling_bench.json").write_text(json.dumps(results, indent=1))
    text = markdown(results)
    (args.out / "scaling_bench.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
