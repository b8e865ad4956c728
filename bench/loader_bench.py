#!/usr/bin/env python3
"""Training loader throughput and start-up (issue 4).

    python3 bench/loader_bench.py [--seconds 5] [--size 224] [--batch-size 16]
        [--instructions 1000000] [--wait-load 0.6] [--wait-max 900] [--out bench/out]

throughput  samples/s at S = 224 on ~640x480 JPEGs (the inputs of
            image_pipeline_bench.py: the test photos resized to 640x480 and
            Pillow-drawn scenes, JPEG quality 90), stored as base64 in a
            pandas-written Parquet store, one image per IMAGE_TEXT record:
  reference     the reference per-process path on the same base64 texts
                (image_pipeline_bench.reference: urlsafe_b64decode -> Pillow
                open/convert("RGB") -> resize((S, S), BICUBIC) -> ToTensor ->
                Normalize, torch.set_num_threads(1)), 1 process, and 2 for scale;
  ours          mimicit.Loader(yaml, batch_size, num_threads=T) iterated from
                Python (batches as torch tensors, epochs chained), T = 1 and 2:
                the whole path (store lookup, base64, decode, resize,
                normalise into the batch buffer, collate) in samples/s and
                samples per CPU-second (the process's CPU time, workers included);
                then with fast=True (DCT-scaled JPEG decoding, not pixel-exact), 1 thread.
start-up    a data YAML whose instruction file holds --instructions records
            (IMAGE_TEXT, one image id each): seconds from mimicit.Loader(...)
            to the object being ready (YAML, JSON validation and index,
            resampling, the epoch order), then to the first batch (the image
            store's index is built or mapped on first use). For scale, the
            reference's first step: orjson.loads of the same file.

Targets: ours with 1 thread >= 3x the reference's 1 process; 2 threads >=
1.8x 1 thread; start-up < 5 s. The machine is shared: each measurement waits
(at most --wait-max s) for the 1-minute load average to drop below
--wait-load and records the load. The table goes to stdout and
OUT/loader_bench.md, the raw numbers to OUT/loader_bench.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from pathlib import Path

import orjson
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine, wait_for_quiet  # noqa: E402
from image_pipeline_bench import make_inputs, reference  # noqa: E402

import mimicit  # noqa: E402

DATA_VERSION = 1
IMAGES = 256  # distinct ids over the 16 input files


def write_store_and_yaml(folder: Path, files: list[Path], records: int, name: str) -> Path:
    """An images.parquet of IMAGES ids and an instruction file of `records`
    IMAGE_TEXT records (record i shows image i % IMAGES); returns the YAML."""
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "images.parquet"
    if not store.exists():
        texts = {f"BENCH_IMG_{i:06d}": base64.b64encode(files[i % len(files)].read_bytes()).decode()
                 for i in range(IMAGES)}
        pd.DataFrame.from_dict(texts, orient="index", columns=["base64"]).to_parquet(store)
    instructions = folder / f"{name}_instructions.json"
    if not instructions.exists():
        data = {f"BENCH_INS_{i:08d}": {"instruction": f"What is shown in picture number {i}?",
                                       "answer": f"Picture {i} shows a scene with colour {i % 97}.",
                                       "image_ids": [f"BENCH_IMG_{i % IMAGES:06d}"], "rel_ins_ids": []}
                for i in range(records)}
        instructions.write_bytes(orjson.dumps({"meta": {"version": "0.0.1"}, "data": data}))
    yaml = folder / f"{name}.yaml"
    yaml.write_text(f"IMAGE_TEXT:\n  BENCH:\n    mimicit_path: {instructions}\n"
                    f"    images_path: {store}\n    num_samples: -1\n")
    return yaml


def ours(yaml: Path, threads: int, batch_size: int, size: int, seconds: float, fast: bool = False) -> dict:
    loader = mimicit.Loader(yaml, batch_size, num_threads=threads, image_size=size, fast=fast, rank=0,
                            world_size=1)
    epoch = 0
    for batch in loader:  # warm-up: one epoch (store opened, buffers sized)
        pass
    samples = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    while time.perf_counter() - start < seconds:
        epoch += 1
        loader.set_epoch(epoch)
        for batch in loader:
            samples += batch["nsentences"]
            assert tuple(batch["net_input"]["patch_images"].shape[3:]) == (3, size, size)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return {"samples_per_s": samples / elapsed, "samples": samples, "seconds": elapsed,
            "samples_per_cpu_s": samples / cpu, "cpu_seconds": cpu, "errors": loader.error_count}


def startup(yaml: Path, instructions: Path, batch_size: int) -> dict:
    start = time.perf_counter()
    loader = mimicit.Loader(yaml, batch_size, num_threads=2, rank=0, world_size=1, return_tensors="numpy")
    ready = time.perf_counter() - start
    next(iter(loader))
    first = time.perf_counter() - start
    size = sum(n for _, n in loader.groups())
    del loader
    start = time.perf_counter()
    records = len(orjson.loads(instructions.read_bytes())["data"])
    reference_json = time.perf_counter() - start
    assert records == size
    return {"instructions": size, "json_bytes": instructions.stat().st_size, "ready_seconds": ready,
            "first_batch_seconds": first, "reference_orjson_loads_seconds": reference_json}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--instructions", type=int, default=1_000_000)
    parser.add_argument("--wait-load", type=float, default=0.6)
    parser.add_argument("--wait-max", type=float, default=900)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/mimicit-bench"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = parser.parse_args()

    files = make_inputs(args.data_dir / "preprocess")
    texts = [base64.b64encode(f.read_bytes()) for f in files]
    folder = args.data_dir / f"loader-v{DATA_VERSION}"
    small = write_store_and_yaml(folder, files, IMAGES, "throughput")
    large = write_store_and_yaml(folder, files, args.instructions, f"startup_{args.instructions}")

    results: dict = {}

    def measure(name: str, fn) -> dict:
        before = wait_for_quiet(args.wait_load, args.wait_max)
        result = fn()
        result.update(load_before=before, load_after=__import__("os").getloadavg()[0])
        results[name] = result
        print(f"{name}: {json.dumps(result)}", file=sys.stderr)
        return result

    measure("reference_1_process", lambda: reference(texts, args.size, args.seconds, 1))
    measure("reference_2_processes", lambda: reference(texts, args.size, args.seconds, 2))
    for threads in (1, 2):
        measure(f"ours_{threads}_thread", lambda t=threads: ours(small, t, args.batch_size, args.size, args.seconds))
    measure("ours_1_thread_fast", lambda: ours(small, 1, args.batch_size, args.size, args.seconds, fast=True))
    measure("startup", lambda: startup(large, folder / f"startup_{args.instructions}_instructions.json",
                                       args.batch_size))

    ref1 = results["reference_1_process"]["samples_per_s"]
    one = results["ours_1_thread"]["samples_per_s"]
    two = results["ours_2_thread"]["samples_per_s"]
    start = results["startup"]
    lines = [
        f"# Loader benchmark (S = {args.size}, batch {args.batch_size}, ~640x480 JPEG q90)",
        "",
        "| path | samples/s | samples per CPU-s | load before/after |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, r in results.items():
        if name == "startup":
            continue
        lines.append(f"| {name} | {r['samples_per_s']:.1f} | {r['samples_per_cpu_s']:.1f} | "
                     f"{r['load_before']:.2f} / {r['load_after']:.2f} |")
    lines += [
        "",
        f"- ours 1 thread / reference 1 process: {one / ref1:.2f}x (target >= 3x); per CPU-second: "
        f"{results['ours_1_thread']['samples_per_cpu_s'] / results['reference_1_process']['samples_per_cpu_s']:.2f}x",
        f"- ours 2 threads / ours 1 thread: {two / one:.2f}x (target >= 1.8x; needs 2 idle cores)",
        f"- start-up on {start['instructions']:,} instructions ({start['json_bytes'] / 1e6:.0f} MB JSON): "
        f"{start['ready_seconds']:.2f} s to a ready Loader, {start['first_batch_seconds']:.2f} s to the "
        f"first batch (target < 5 s); the reference's orjson.loads alone: "
        f"{start['reference_orjson_loads_seconds']:.2f} s",
    ]
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "loader_bench.md").write_text(table + "\n")
    (args.out / "loader_bench.json").write_text(json.dumps(
        {"machine": machine(mimicit=mimicit.__version__), "args": {k: str(v) for k, v in vars(args).items()},
         "results": results}, indent=2))


if __name__ == "__main__":
    main()
