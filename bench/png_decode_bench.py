#!/usr/bin/env python3
"""PNG decode speed (issue 12): ms per image for mimicit's PNG decoder
(libdeflate + SIMD unfiltering), the row-by-row path it falls back to
(internal::decode_png_rowwise: zlib as Pillow reads; libspng row by row
before issue 13) and Pillow, on
640x480 photographs written by Pillow's default PNG encoder.

    python3 bench/png_decode_bench.py [--build-dir build] [--seconds 2]
        [--rounds 5] [--wait-load 0] [--wait-max 600] [--out bench/out]

Inputs (generated into /tmp/mimicit-bench/png): each photo of
$MIMICIT_TESTDATA/photos as RGB, scaled up (BICUBIC) to cover 640x480 when
smaller, the centre 640x480 cut out, saved with `img.save(buf, "PNG")`
(zlib level 6, Pillow's adaptive filters: mostly Paeth on photographs).

new, previous  build/png_decode_bench (bench/png_decode_bench.cc, built
               with -DMIMICIT_BUILD_BENCH=ON): both decoders alternating in
               `rounds` rounds, median of the rounds' means; it also checks
               that they give the same pixels.
python         mimicit._core.decode_rgb(data) from Python, if the module is
               installed (adds the binding's copy of the pixels to bytes).
pillow         numpy.asarray(Image.open(io.BytesIO(data)).convert("RGB")),
               the reference pipeline's decode, same rounds.
One run's ratios; the machine's load is recorded with them. The table goes
to stdout and OUT/png_decode_bench.md, the raw numbers to
OUT/png_decode_bench.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine, wait_for_quiet  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA_VERSION = 1  # bump when the generated inputs change


def testdata_dir() -> Path:
    return Path(os.environ.get("MIMICIT_TESTDATA", REPO.parent / "shared" / "testdata"))


def crop_640x480(im: Image.Image) -> Image.Image:
    w, h = im.size
    s = max(640 / w, 480 / h)
    if s > 1:
        im = im.resize((round(w * s + 0.5), round(h * s + 0.5)), Image.BICUBIC)
    w, h = im.size
    left, top = (w - 640) // 2, (h - 480) // 2
    return im.crop((left, top, left + 640, top + 480))


def make_inputs(folder: Path) -> list[Path]:
    params = {"version": DATA_VERSION, "pillow": Image.__version__}
    manifest = folder / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text())["params"] == params:
        return [folder / name for name in json.loads(manifest.read_text())["files"]]
    folder.mkdir(parents=True, exist_ok=True)
    photos = testdata_dir() / "photos"
    if not photos.is_dir():
        sys.exit(f"no photos in {photos}: set MIMICIT_TESTDATA")
    names = []
    for path in sorted(photos.iterdir()):
        if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
            names.append(f"{path.stem}.png")
            crop_640x480(Image.open(path).convert("RGB")).save(folder / names[-1], "PNG")
    manifest.write_text(json.dumps({"params": params, "files": names}))
    return [folder / name for name in names]


def mean_ms(fn, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and n >= 3:
            return elapsed * 1e3 / n


def python_side(files: list[Path], seconds: float, rounds: int) -> dict[str, dict[str, float]]:
    try:
        from mimicit import _core as core
    except ImportError:
        core = None
    out = {}
    for path in files:
        data = path.read_bytes()
        pillow = lambda: np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))  # noqa: E731
        ours = (lambda: core.decode_rgb(data)) if core is not None else None  # noqa: E731
        if ours is not None:
            height, width, pixels = core.decode_rgb(data)
            if not np.array_equal(np.frombuffer(pixels, np.uint8).reshape(height, width, 3), pillow()):
                sys.exit(f"{path.name}: mimicit and Pillow disagree")
        times = {"pillow": [], "python": []}
        for _ in range(rounds):
            times["pillow"].append(mean_ms(pillow, seconds / rounds / 2))
            if ours is not None:
                times["python"].append(mean_ms(ours, seconds / rounds / 2))
        out[path.name] = {k: statistics.median(v) for k, v in times.items() if v}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=str(REPO / "build"))
    ap.add_argument("--seconds", type=float, default=2.0, help="per file and decoder")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--wait-load", type=float, default=0.0, help="wait until the 1-min load is below this")
    ap.add_argument("--wait-max", type=float, default=600.0)
    ap.add_argument("--out", default=str(REPO / "bench" / "out"))
    args = ap.parse_args()

    binary = Path(args.build_dir) / "png_decode_bench"
    if not binary.exists():
        sys.exit(f"{binary} missing: scripts/build.sh -DMIMICIT_BUILD_BENCH=ON")
    files = make_inputs(Path("/tmp/mimicit-bench/png"))
    load_before = wait_for_quiet(args.wait_load, args.wait_max)

    native = json.loads(subprocess.run(
        [str(binary), f"--seconds={args.seconds}", f"--rounds={args.rounds}", *map(str, files)],
        check=True, capture_output=True, text=True).stdout)
    python = python_side(files, args.seconds, args.rounds)
    load_after = os.getloadavg()

    rows = []
    for entry in native["files"]:
        name = Path(entry["file"]).name
        rows.append({"file": name, "bytes": entry["bytes"], "new_ms": entry["fast_ms"],
                     "previous_ms": entry["rowwise_ms"], **{f"{k}_ms": v for k, v in python[name].items()}})
    mean = {key: statistics.mean(r[key] for r in rows)
            for key in ("new_ms", "previous_ms", "pillow_ms", "python_ms") if key in rows[0]}

    has_python = "python_ms" in rows[0]
    lines = ["| image (640x480 RGB, Pillow PNG) | KB | new ms | previous (row-by-row) ms | Pillow ms"
             + (" | new via Python ms" if has_python else "")
             + " | previous / new | Pillow / new |",
             "|---|---:|---:|---:|---:|" + ("---:|" if has_python else "") + "---:|---:|"]
    for r in rows + [{"file": "**mean**", "bytes": statistics.mean(r["bytes"] for r in rows), **mean}]:
        cells = [r["file"], f"{r['bytes'] / 1024:.0f}", f"{r['new_ms']:.2f}", f"{r['previous_ms']:.2f}",
                 f"{r['pillow_ms']:.2f}"]
        if has_python:
            cells.append(f"{r['python_ms']:.2f}")
        cells += [f"{r['previous_ms'] / r['new_ms']:.2f}x", f"{r['pillow_ms'] / r['new_ms']:.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    info = machine(pillow=Image.__version__)
    lines.append("")
    lines.append(f"{info['cpu']}, {info['nproc']} cores; load (1/5/15 min) before "
                 f"{load_before:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}; "
                 f"Pillow {Image.__version__}; {args.rounds} rounds x {args.seconds} s per file.")
    table = "\n".join(lines)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "png_decode_bench.md").write_text(table + "\n")
    (out / "png_decode_bench.json").write_text(json.dumps(
        {"rows": rows, "mean": mean, "machine": info, "load_before": load_before,
         "load_after": load_after}, indent=1))


if __name__ == "__main__":
    main()
