#!/usr/bin/env python3
"""The web viewer (`mimicit serve`, issue 5): start-up, background work and
requests per second on a large data YAML.

    python3 bench/serve_bench.py [--instructions 1000000] [--clients 16]
        [--requests 4000] [--wait-load 0.6] [--wait-max 900] [--out bench/out]

data        one IMAGE_TEXT dataset of --instructions records (one image id
            each, ~250 B of JSON a record at 1M) over a pandas-written
            Parquet store of 1000 64x48 JPEGs; made once and kept in OUT.
start-up    seconds from starting `mimicit serve DATA.yaml --port 0` to its
            "Serving URL" line (the YAML, the instruction file's validation
            and index, the store's id index), median of 3, and the peak RSS
            at the end of the run.
background  seconds until /api/stats reports "done" (200 000 records and
            2000 images sampled), and until /api/validation does (the whole
            of mimicit validate, on half the cores).
requests    requests/s and the median latency with --clients keep-alive
            clients (Python http.client threads on the same machine, so a
            lower bound) for /api/samples?limit=20 at spread offsets,
            /thumb/<id> over the 1000 images (cold, then from the cache) and
            /sample/<id> pages.

The machine is shared: each run waits (at most --wait-max s) for the
1-minute load average to drop below --wait-load and records the load. The
table goes to stdout and OUT/serve_bench.md, the numbers to
OUT/serve_bench.json.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine, wait_for_quiet  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA_VERSION = 1
IMAGES = 1000


def write_data(folder: Path, records: int) -> Path:
    import numpy as np
    import pandas as pd
    from PIL import Image
    yaml = folder / "data.yaml"
    if yaml.exists():
        return yaml
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(DATA_VERSION)
    images = {}
    for i in range(IMAGES):
        out = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), "RGB").save(out, "JPEG", quality=90)
        images[f"BIG_IMG_{i:04d}"] = base64.b64encode(out.getvalue()).decode()
    pd.DataFrame.from_dict(images, orient="index", columns=["base64"]).to_parquet(folder / "images.parquet")
    with open(folder / "instructions.json", "w") as f:
        f.write('{"meta": {}, "data": {')
        for i in range(records):
            record = {"instruction": f"What is in image {i}? Describe it in detail please.",
                      "answer": "A random noise picture " * (1 + i % 7), "image_ids": [f"BIG_IMG_{i % IMAGES:04d}"],
                      "rel_ins_ids": []}
            f.write(("," if i else "") + json.dumps(f"BIG_INS_{i:07d}") + ":" + json.dumps(record))
        f.write("}}")
    yaml.write_text(f"IMAGE_TEXT:\n  BIG:\n    mimicit_path: {folder / 'instructions.json'}\n"
                    f"    images_path: {folder / 'images.parquet'}\n")
    return yaml


class Viewer:
    def __init__(self, binary: Path, yaml: Path, *args: str):
        self.started = time.monotonic()
        self.process = subprocess.Popen([str(binary), "serve", str(yaml), "--port", "0", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        self.startup = time.monotonic() - self.started
        match = re.match(r"Serving http://127\.0\.0\.1:(\d+)/", line)
        if not match:
            self.process.kill()
            raise SystemExit(f"mimicit serve printed {line!r}")
        self.port = int(match.group(1))

    def get_json(self, path: str) -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("GET", path)
        body = json.loads(connection.getresponse().read())
        connection.close()
        return body

    def wait_done(self, path: str) -> float:
        while self.get_json(path)["state"] not in ("done", "failed"):
            time.sleep(0.05)
        return time.monotonic() - self.started

    def peak_rss(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1]) * 1024

    def stop(self) -> None:
        self.process.send_signal(2)
        self.process.wait(timeout=30)


def load(viewer: Viewer, paths: list[str], clients: int) -> tuple[float, float]:
    """Requests/s and median latency (ms) of `paths` over `clients` keep-alive clients."""
    def client(share: list[str]) -> list[float]:
        connection = http.client.HTTPConnection("127.0.0.1", viewer.port, timeout=60)
        latencies = []
        for path in share:
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: {response.status}")
            latencies.append(time.perf_counter() - started)
        connection.close()
        return latencies
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [t for share in pool.map(client, [paths[k::clients] for k in range(clients)]) for t in share]
    return len(paths) / (time.perf_counter() - started), statistics.median(latencies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instructions", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--wait-load", type=float, default=0.6)
    parser.add_argument("--wait-max", type=float, default=900)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--bin", type=Path, default=Path(os.environ.get("MIMICIT_BIN", ROOT / "build" / "mimicit")))
    args = parser.parse_args()

    yaml = write_data(args.out / f"serve_data_v{DATA_VERSION}_{args.instructions}", args.instructions)
    results: dict = {"instructions": args.instructions, "clients": args.clients, "requests": args.requests}

    startups = []
    for _ in range(3):
        results["load_startup"] = wait_for_quiet(args.wait_load, args.wait_max)
        viewer = Viewer(args.bin, yaml, "--no-validate")
        startups.append(viewer.startup)
        viewer.stop()
    results["startup_s"] = statistics.median(startups)

    results["load_background"] = wait_for_quiet(args.wait_load, args.wait_max)
    viewer = Viewer(args.bin, yaml)
    results["stats_done_s"] = viewer.wait_done("/api/stats")
    results["validation_done_s"] = viewer.wait_done("/api/validation")
    n = args.requests
    endpoints = {
        "samples": [f"/api/samples?group=IMAGE_TEXT&offset={i * 7919 % max(1, args.instructions - 20)}&limit=20"
                    for i in range(n)],
        "thumb_cold": [f"/thumb/BIG_IMG_{i:04d}" for i in range(IMAGES)],
        "thumb_cached": [f"/thumb/BIG_IMG_{i % IMAGES:04d}" for i in range(n)],
        "sample_page": [f"/sample/BIG_INS_{i * 7919 % args.instructions:07d}" for i in range(n)],
    }
    for name, paths in endpoints.items():
        results[f"load_{name}"] = wait_for_quiet(args.wait_load, args.wait_max)
        results[f"{name}_rps"], results[f"{name}_median_ms"] = load(viewer, paths, args.clients)
    results["peak_rss_bytes"] = viewer.peak_rss()
    viewer.stop()
    results["machine"] = machine()

    table = [
        "| measure | value |", "|---|---|",
        f"| start-up to 'Serving' ({args.instructions:,} records, median of 3) | {results['startup_s']:.2f} s |",
        f"| statistics done (background, sampled) | {results['stats_done_s']:.2f} s after start |",
        f"| validation done (background) | {results['validation_done_s']:.2f} s after start |",
    ]
    for name in endpoints:
        table.append(f"| {name} ({args.clients} clients) | {results[name + '_rps']:,.0f} requests/s, "
                     f"median {results[name + '_median_ms']:.1f} ms |")
    table.append(f"| peak RSS (file pages of the mapped JSON included) | {results['peak_rss_bytes'] / 2**20:.0f} MiB |")
    text = "\n".join(table)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "serve_bench.md").write_text(text + "\n")
    (args.out / "serve_bench.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
