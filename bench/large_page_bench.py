#!/usr/bin/env python3
"""Gets and the training loader on the stores users hold (issue 12): pages of
200-500 MB, as pandas and dask write them with pyarrow's defaults.

    python3 bench/large_page_bench.py [--images 2048] [--probes 300]
        [--seconds 5] [--size 224] [--wait-load 0.8] [--wait-max 900]
        [--skip-loader] [--out bench/out] [--work /tmp/mimicit-bench/large-pages]

Stores (generated once into --work, kept between runs): --images unique
natural photographs, random crops of $MIMICIT_TESTDATA/photos (scaled,
flipped, colour-shifted so no two are alike), held as base64 text:
  jpeg-pandas-{snappy,zstd,gzip}  1280x960 JPEG q90 (~200 KB),
      DataFrame.from_dict(..., orient="index", columns=["base64"])
      .to_parquet(path, compression=C): one row group, the first 1024 values
      in one dictionary page (~250 MB), the rest in PLAIN pages of 1024;
  png-dask  576x432 PNG as Pillow writes it by default (~350 KB), the way the
      reference's converter writes: dd.from_pandas(df, npartitions=1)
      .to_parquet(dir, engine="pyarrow") (pages of ~450 MB);
  and each one's converted copy (`mimicit convert STORE -o OUT`: sorted,
  pages of 256 KiB), which is what mimicit was fast on before.

Measured, for every store against its converted copy, in one run:
  index    `mimicit images index` on the store: seconds, GB/s of page data,
           seek-table bytes as a share of the store;
  gets     ImageStore.get_bytes of --probes random ids in one thread: p50/p99 ms;
  loader   mimicit.Loader(yaml, 16, num_threads=T) iterated from Python at
           S = 224, T = 1 and 2, in images/s (one image per sample);
           for png-dask also the reference's per-process path on the same
           PNGs (urlsafe_b64decode -> Pillow -> convert("RGB") -> BICUBIC
           -> normalise; image_pipeline_bench.reference), 1 process.
Targets: get p50 <= 2 ms; loader on 1 thread >= 0.8x the converted copy;
PNG loader >= 3x the reference per process; 2 threads >= 1.8x one.

The table goes to stdout and OUT/large_page_bench.md, the numbers to
OUT/large_page_bench.json.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow.parquet as pq
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine, wait_for_quiet  # noqa: E402

import mimicit  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA_VERSION = 1


def photos() -> list[Image.Image]:
    folder = Path(os.environ.get("MIMICIT_TESTDATA", REPO.parent / "shared" / "testdata")) / "photos"
    return [Image.open(p).convert("RGB") for p in sorted(folder.iterdir()) if p.suffix in (".png", ".jpg")]


def unique_photo(sources: list[Image.Image], rng: random.Random, width: int, height: int) -> Image.Image:
    """A crop of a photo scaled to width x height, maybe mirrored, with a
    small colour shift: natural content, never the same twice."""
    src = sources[rng.randrange(len(sources))]
    scale = rng.uniform(0.55, 1.0)
    cw, ch = int(src.width * scale), int(src.height * scale)
    x, y = rng.randrange(src.width - cw + 1), rng.randrange(src.height - ch + 1)
    img = src.crop((x, y, x + cw, y + ch)).resize((width, height), Image.BICUBIC)
    if rng.random() < 0.5:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    shift = np.array([rng.randint(-12, 12) for _ in range(3)], np.int16)
    pixels = np.clip(np.asarray(img, np.int16) + shift, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def encoded_images(kind: str, count: int, seed: int) -> dict[str, str]:
    sources = photos()
    rng = random.Random(seed)
    out = {}
    for i in range(count):
        buf = io.BytesIO()
        if kind == "jpeg":
            unique_photo(sources, rng, 1280, 960).save(buf, "JPEG", quality=90)
        else:
            unique_photo(sources, rng, 576, 432).save(buf, "PNG")  # Pillow's defaults, as the reference
        out[f"BENCH_IMG_{(i * 7919) % 1000003:08d}"] = base64.b64encode(buf.getvalue()).decode()
    return out


def make_stores(work: Path, count: int, mimicit_bin: Path) -> dict[str, dict]:
    """The stores and their converted copies, generated once."""
    manifest = work / "manifest.json"
    params = {"version": DATA_VERSION, "images": count}
    if manifest.exists() and json.loads(manifest.read_text()).get("params") == params:
        return json.loads(manifest.read_text())["stores"]
    # Written stores of an interrupted run are kept (each is written under
    # a temporary name first); only the manifest says a set is complete.
    work.mkdir(parents=True, exist_ok=True)
    stores = {}
    jpeg = None
    for codec in ("snappy", "zstd", "gzip"):
        path = work / f"jpeg-pandas-{codec}.parquet"
        if not path.exists():
            if jpeg is None:
                jpeg = pd.DataFrame.from_dict(encoded_images("jpeg", count, 1), orient="index", columns=["base64"])
            print(f"writing {path.name}", file=sys.stderr)
            jpeg.to_parquet(path.with_suffix(".tmp"), compression=codec)
            path.with_suffix(".tmp").rename(path)
        stores[f"jpeg-pandas-{codec}"] = {"path": str(path), "kind": "jpeg"}
    del jpeg
    path = work / "png-dask"
    if not path.exists():
        import dask.dataframe as dd
        png = pd.DataFrame.from_dict(encoded_images("png", count, 2), orient="index", columns=["base64"])
        print(f"writing {path.name}", file=sys.stderr)
        dd.from_pandas(png, npartitions=1).to_parquet(str(work / "png-dask.tmp"), engine="pyarrow")
        (work / "png-dask.tmp").rename(path)
        del png
    stores["png-dask"] = {"path": str(path), "kind": "png"}
    for name, store in stores.items():
        converted = work / f"{name}.converted"
        if not converted.exists():
            subprocess.run([str(mimicit_bin), "convert", store["path"], "-o", str(converted)], check=True,
                           stdout=subprocess.DEVNULL)
        store["converted"] = str(converted)
        store["bytes"] = dir_bytes(Path(store["path"]))
        store["largest_page"] = largest_page(Path(store["path"]))
    manifest.write_text(json.dumps({"params": params, "stores": stores}))
    return stores


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*.parquet"))


def largest_page(path: Path) -> int:
    """The largest uncompressed page of the payload column (pyarrow's
    metadata has no page sizes: the chunk's size over its page count is a
    floor; the dictionary page holds 1024 of the values)."""
    files = [path] if path.is_file() else sorted(path.rglob("*.parquet"))
    best = 0
    for f in files:
        meta = pq.ParquetFile(f).metadata
        for rg in range(meta.num_row_groups):
            col = meta.row_group(rg).column(0)
            rows = meta.row_group(rg).num_rows
            best = max(best, col.total_uncompressed_size * min(rows, 1024) // max(rows, 1))
    return best


def remove_indexes(path: Path, cache: Path) -> None:
    for p in ([path.parent / f".{path.name}.mimicit-index"] if path.is_file() else [path / ".mimicit-index"]):
        p.unlink(missing_ok=True)
    shutil.rmtree(cache, ignore_errors=True)


def run_index(mimicit_bin: Path, path: Path, cache: Path) -> dict:
    remove_indexes(path, cache)
    subprocess.run(["sync"], check=True)
    start = time.perf_counter()
    out = subprocess.run([str(mimicit_bin), "images", "index", str(path)], check=True, capture_output=True,
                         text=True, env=dict(os.environ, MIMICIT_CACHE_DIR=str(cache))).stdout
    seconds = time.perf_counter() - start
    info = mimicit.ImageStore(path, cache_dir=cache).index_info()
    return {"seconds": seconds, "seek_table_bytes": info["seek_table_bytes"], "report": out}


def percentiles(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"p50_ms": 1000 * s[len(s) // 2], "p99_ms": 1000 * s[min(len(s) - 1, int(len(s) * 0.99))],
            "mean_ms": 1000 * statistics.fmean(s)}


def run_gets(path: Path, cache: Path, probes: list[str]) -> dict:
    store = mimicit.ImageStore(path, cache_dir=cache)
    for image_id in probes[:5]:
        store.get_bytes(image_id)
    times = []
    for image_id in probes:
        start = time.perf_counter()
        store.get_bytes(image_id)
        times.append(time.perf_counter() - start)
    return percentiles(times)


def write_yaml(folder: Path, name: str, store: Path, ids: list[str]) -> Path:
    instructions = folder / f"{name}_instructions.json"
    data = {f"BENCH_INS_{i:08d}": {"instruction": f"What is shown in picture {i}?",
                                   "answer": f"Picture {i}.", "image_ids": [image_id], "rel_ins_ids": []}
            for i, image_id in enumerate(ids)}
    instructions.write_bytes(orjson.dumps({"meta": {"version": "0.0.1"}, "data": data}))
    yaml = folder / f"{name}.yaml"
    yaml.write_text(f"IMAGE_TEXT:\n  BENCH:\n    mimicit_path: {instructions}\n"
                    f"    images_path: {store}\n    num_samples: -1\n")
    return yaml


def run_loader(yaml: Path, threads: int, size: int, seconds: float) -> dict:
    from loader_bench import ours
    result = ours(yaml, threads, 16, size, seconds)
    return {"images_per_s": result["samples_per_s"], "images_per_cpu_s": result["samples_per_cpu_s"],
            "errors": result["errors"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--wait-load", type=float, default=0.8)
    parser.add_argument("--wait-max", type=float, default=900)
    parser.add_argument("--skip-loader", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated store names")
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--work", type=Path, default=Path("/tmp/mimicit-bench/large-pages"))
    args = parser.parse_args()
    mimicit_bin = args.build_dir / "mimicit"
    stores = make_stores(args.work, args.images, mimicit_bin)
    cache = args.work / "cache"
    results = {"machine": machine(mimicit=getattr(mimicit, "__version__", "?")), "stores": {}}
    only = set(filter(None, args.only.split(",")))
    for name, store in stores.items():
        if only and name not in only:
            continue
        path, converted = Path(store["path"]), Path(store["converted"])
        ids = mimicit.ImageStore(converted, cache_dir=cache).ids()
        probes = random.Random(4).sample(ids, min(args.probes, len(ids)))
        r = {"bytes": store["bytes"], "largest_page": store["largest_page"]}
        r["load_before_index"] = wait_for_quiet(args.wait_load, args.wait_max)
        r["index"] = run_index(mimicit_bin, path, cache)
        r["gets"] = run_gets(path, cache, probes)
        r["gets_converted"] = run_gets(converted, cache, probes)
        print(f"{name}: index {r['index']['seconds']:.1f} s, get p50 {r['gets']['p50_ms']:.2f} ms "
              f"(converted {r['gets_converted']['p50_ms']:.2f} ms)", file=sys.stderr)
        if not args.skip_loader:
            order = list(ids)
            random.Random(5).shuffle(order)
            yaml = write_yaml(args.work, name, path, order)
            yaml_converted = write_yaml(args.work, name + ".converted", converted, order)
            for threads in (1, 2):
                r[f"load_t{threads}"] = wait_for_quiet(args.wait_load, args.wait_max)
                r[f"loader_t{threads}"] = run_loader(yaml, threads, args.size, args.seconds)
                r[f"loader_converted_t{threads}"] = run_loader(yaml_converted, threads, args.size, args.seconds)
            if store["kind"] == "png":
                from image_pipeline_bench import reference
                texts = [base64.b64encode(mimicit.ImageStore(converted, cache_dir=cache).get_bytes(i))
                         for i in order[:64]]
                r["load_reference"] = wait_for_quiet(args.wait_load, args.wait_max)
                ref = reference([t.replace(b"+", b"-").replace(b"/", b"_") for t in texts], args.size,
                                args.seconds, 1)
                r["reference_t1"] = {"images_per_s": ref["samples_per_s"],
                                     "images_per_cpu_s": ref["samples_per_cpu_s"]}
        results["stores"][name] = r
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "large_page_bench.json").write_text(json.dumps(results, indent=1))
    table = markdown(results)
    (args.out / "large_page_bench.md").write_text(table)
    print(table)
    return 0


def markdown(results: dict) -> str:
    gib = 1 << 30
    lines = ["| store | size | largest page | index: s (GB/s), tables % | get p50 / p99 ms | converted p50 / p99 ms |",
             "|---|---|---|---|---|---|"]
    for name, r in results["stores"].items():
        idx = r["index"]
        lines.append(
            f"| {name} | {r['bytes'] / gib:.2f} GiB | {r['largest_page'] / 2**20:.0f} MB | "
            f"{idx['seconds']:.1f} ({r['bytes'] / idx['seconds'] / 1e9:.2f}), "
            f"{100 * idx['seek_table_bytes'] / r['bytes']:.3f} % | "
            f"{r['gets']['p50_ms']:.2f} / {r['gets']['p99_ms']:.2f} | "
            f"{r['gets_converted']['p50_ms']:.2f} / {r['gets_converted']['p99_ms']:.2f} |")
    if any("loader_t1" in r for r in results["stores"].values()):
        lines += ["", "| store | loader 1 thread img/s | converted | ratio | 2 threads | x 1 thread | "
                  "reference 1 process | ours / reference |", "|---|---|---|---|---|---|---|---|"]
        for name, r in results["stores"].items():
            if "loader_t1" not in r:
                continue
            t1, c1, t2 = (r["loader_t1"]["images_per_s"], r["loader_converted_t1"]["images_per_s"],
                          r["loader_t2"]["images_per_s"])
            ref = r.get("reference_t1", {}).get("images_per_s")
            lines.append(f"| {name} | {t1:.0f} | {c1:.0f} | {t1 / c1:.2f} | {t2:.0f} | {t2 / t1:.2f} | "
                         f"{f'{ref:.0f}' if ref else '-'} | {f'{t1 / ref:.2f}' if ref else '-'} |")
    load = results["machine"]["load"]
    lines.append(f"\n{results['machine']['cpu']}, {results['machine']['nproc']} cores; load at start "
                 f"{load[0]:.2f}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
