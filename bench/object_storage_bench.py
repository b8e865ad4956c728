#!/usr/bin/env python3
"""The training loader reading from object storage (issue 14).

    python3 bench/object_storage_bench.py [--images 256] [--epochs 2] [--size 224]
        [--batch-size 16] [--threads 2] [--gets 40] [--wait-load 0.6] [--wait-max 600]
        [--out bench/out]

The data: --images distinct ~640x480 JPEG q90 pictures (the inputs of
image_pipeline_bench.py, each marked with its number and re-encoded, so no
two are equal and pyarrow cannot dictionary-encode them away), base64 in a
pandas-written Parquet store (pandas' defaults: 1 MiB pages, snappy), and
one IMAGE_TEXT record per image. The same
files are read from local disk and from moto's S3 server on loopback (its
own process, started here; requests signed with Signature V4):

  loader img/s  mimicit.Loader(yaml, batch_size, num_threads=T) over
                --epochs epochs: local files; s3:// with a cold node cache
                (an empty MIMICIT_CACHE_DIR, the first epoch fetches); s3://
                with the warm cache (a new Loader on the filled cache folder).
  per get       mimicit.ImageStore(url).get_bytes(id) of --gets random ids,
                one at a time, from mimicit.remote_stats(): requests and bytes
                of the open and per get: the first open on a node (it reads
                the ids and walks the pages for their seek tables, saved with
                the index in the cache folder); then with the index cached
                but no object bytes (the folder's objects/ removed); then warm.

Loopback S3 has no network latency: the cold numbers show the client's and
moto's own costs (moto is a Python server), not a WAN's. The machine is
shared: each measurement waits (at most --wait-max s) for the 1-minute load
average to drop below --wait-load. The table goes to stdout and
OUT/object_storage_bench.md, the raw numbers to OUT/object_storage_bench.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "python"))
from bench_common import machine, wait_for_quiet  # noqa: E402
from image_pipeline_bench import make_inputs  # noqa: E402
from object_servers import MotoS3  # noqa: E402

import mimicit  # noqa: E402

BUCKET = "bench"


def write_data(folder: Path, files: list[Path], images: int) -> tuple[Path, Path, Path]:
    import io

    import orjson
    import pandas as pd
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "images.parquet"
    if not store.exists():
        texts = {}
        for i in range(images):
            picture = Image.open(files[i % len(files)]).convert("RGB")
            ImageDraw.Draw(picture).rectangle([8 + i % 97, 8, 40 + i % 97, 24], fill=(i % 251, 255 - i % 199, 90))
            out = io.BytesIO()
            picture.save(out, "JPEG", quality=90)
            texts[f"BENCH_IMG_{i:06d}"] = base64.b64encode(out.getvalue()).decode()
        pd.DataFrame.from_dict(texts, orient="index", columns=["base64"]).to_parquet(store)
    instructions = folder / "instructions.json"
    data = {f"BENCH_INS_{i:08d}": {"instruction": f"What is shown in picture number {i}?",
                                   "answer": f"Picture {i} shows a scene with colour {i % 97}.",
                                   "image_ids": [f"BENCH_IMG_{i:06d}"], "rel_ins_ids": []} for i in range(images)}
    instructions.write_bytes(orjson.dumps({"meta": {"version": "0.0.1"}, "data": data}))
    yaml = folder / "local.yaml"
    yaml.write_text(f"IMAGE_TEXT:\n  BENCH:\n    mimicit_path: {instructions}\n"
                    f"    images_path: {store}\n    num_samples: -1\n")
    return yaml, store, instructions


def loader_run(yaml: str, args) -> dict:
    mimicit.remote_stats(reset=True)
    start = time.perf_counter()
    loader = mimicit.Loader(yaml, args.batch_size, num_threads=args.threads, image_size=args.size,
                            rank=0, world_size=1, drop_last=False)
    samples = 0
    for epoch in range(args.epochs):
        loader.set_epoch(epoch)
        for batch in loader:
            samples += batch["nsentences"]
    elapsed = time.perf_counter() - start
    stats = mimicit.remote_stats(reset=True)
    return {"samples_per_s": samples / elapsed, "samples": samples, "seconds": elapsed,
            "errors": loader.error_count, "requests": stats["requests"], "bytes": stats["bytes"]}


def per_get(url: str, ids: list[str]) -> dict:
    store = mimicit.ImageStore(url)
    opened = mimicit.remote_stats(reset=True)
    requests, fetched = [], []
    for image_id in ids:
        store.get_bytes(image_id)
        cost = mimicit.remote_stats(reset=True)
        requests.append(cost["requests"])
        fetched.append(cost["bytes"])
    return {"open_requests": opened["requests"], "open_bytes": opened["bytes"],
            "requests_mean": sum(requests) / len(ids), "requests_max": max(requests),
            "bytes_mean": sum(fetched) / len(ids), "bytes_max": max(fetched)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gets", type=int, default=40)
    parser.add_argument("--wait-load", type=float, default=0.6)
    parser.add_argument("--wait-max", type=float, default=600)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/mimicit-bench"))
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()

    files = make_inputs(args.data_dir / "preprocess")
    folder = args.data_dir / f"object-storage-{args.images}"
    local_yaml, store, instructions = write_data(folder, files, args.images)

    server = MotoS3()
    work = Path(tempfile.mkdtemp(prefix="mimicit-s3-bench-"))
    results: dict = {}
    try:
        server.client.create_bucket(Bucket=BUCKET)
        server.client.upload_file(str(store), BUCKET, "objects/images.parquet")
        server.client.upload_file(str(instructions), BUCKET, "objects/instructions.json")
        remote_yaml = work / "remote.yaml"
        remote_yaml.write_text(f"IMAGE_TEXT:\n  BENCH:\n    mimicit_path: s3://{BUCKET}/objects/instructions.json\n"
                               f"    images_path: s3://{BUCKET}/objects/images.parquet\n    num_samples: -1\n")
        os.environ.update(server.env)

        def measure(name: str, fn) -> dict:
            before = wait_for_quiet(args.wait_load, args.wait_max)
            result = fn()
            result.update(load_before=before, load_after=os.getloadavg()[0])
            results[name] = result
            print(f"{name}: {json.dumps(result)}", file=sys.stderr)
            return result

        os.environ["MIMICIT_CACHE_DIR"] = str(work / "cache-local")
        measure("local files", lambda: loader_run(str(local_yaml), args))
        os.environ["MIMICIT_CACHE_DIR"] = str(work / "cache-loader")
        measure("s3, cold cache", lambda: loader_run(str(remote_yaml), args))
        measure("s3, warm cache", lambda: loader_run(str(remote_yaml), args))

        ids = random.Random(0).sample([f"BENCH_IMG_{i:06d}" for i in range(args.images)], min(args.gets, args.images))
        os.environ["MIMICIT_CACHE_DIR"] = str(work / "cache-gets")
        url = f"s3://{BUCKET}/objects/images.parquet"
        measure("first open on a node (builds the index)", lambda: per_get(url, ids[:1]))
        shutil.rmtree(work / "cache-gets" / "objects")  # the saved index stays
        measure("get, index cached, objects not", lambda: per_get(url, ids))
        measure("get, warm cache", lambda: per_get(url, ids))
        # The index published beside the store (`mimicit images index s3://...`),
        # then a node with an empty cache folder.
        mimicit_bin = os.environ.get("MIMICIT_BIN", str(HERE.parent / "build" / "mimicit"))
        subprocess.run([mimicit_bin, "images", "index", url], check=True, stdout=subprocess.DEVNULL)
        os.environ["MIMICIT_CACHE_DIR"] = str(work / "cache-new-node")
        mimicit.remote_stats(reset=True)
        measure("first open on a new node, index published", lambda: per_get(url, ids[:1]))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    size = store.stat().st_size
    lines = [
        f"# Loader from object storage (moto S3 on loopback; {args.images} images, ~640x480 JPEG q90, "
        f"store {size / 1e6:.1f} MB; S = {args.size}, batch {args.batch_size}, {args.threads} threads, "
        f"{args.epochs} epochs)",
        "",
        "| run | img/s | vs local | requests | MB fetched | load before/after |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    local = results["local files"]["samples_per_s"]
    for name in ("local files", "s3, cold cache", "s3, warm cache"):
        r = results[name]
        lines.append(f"| {name} | {r['samples_per_s']:.1f} | {r['samples_per_s'] / local:.2f}x | {r['requests']} | "
                     f"{r['bytes'] / 1e6:.2f} | {r['load_before']:.2f} / {r['load_after']:.2f} |")
    lines += ["", "| ImageStore.get_bytes | requests/get (mean, max) | KB/get (mean, max) | open: requests, KB |",
              "| --- | ---: | ---: | ---: |"]
    for name in ("first open on a node (builds the index)", "get, index cached, objects not", "get, warm cache",
                 "first open on a new node, index published"):
        r = results[name]
        lines.append(f"| {name} | {r['requests_mean']:.2f}, {r['requests_max']} | "
                     f"{r['bytes_mean'] / 1e3:.0f}, {r['bytes_max'] / 1e3:.0f} | "
                     f"{r['open_requests']}, {r['open_bytes'] / 1e3:.0f} |")
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "object_storage_bench.md").write_text(table + "\n")
    (args.out / "object_storage_bench.json").write_text(json.dumps(
        {"machine": machine(mimicit=mimicit.__version__), "args": {k: str(v) for k, v in vars(args).items()},
         "results": results}, indent=2))


if __name__ == "__main__":
    main()
