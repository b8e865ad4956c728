#!/usr/bin/env python3
"""Padding saved by the loader's batching modes (issue 15).

    python3 bench/batching_bench.py [--records 4000] [--batch-size 8] [--worlds 1,4] [--out bench/out]
    python3 bench/batching_bench.py --yaml DATA.yaml   # your data (or the demo's) instead

A generated data YAML (written once under OUT/batching_data): IMAGE_TEXT
records with 1 to 4 images (weights 4:3:2:1, as multi-image instructions
thin out) and answers of 3 to 300 words (log-uniform), TEXT_ONLY records of
3 to 300 words, and VIDEO_TEXT records (frames resampled to a fixed count:
never padded). Small PNGs: padding does not depend on the image size.

For each batching mode (reference, by_shape, by_length) and world size, one
epoch over every rank (in this process, rank by rank), counting
  image padding  image slots of the batches holding zeros: sum over batches
                 of samples * max images - images;
  token padding  positions of input_ids that are padding (attention mask 0),
                 with a whitespace tokenizer (one token per word, + BOS/EOS);
and the samples seen (the same multiset in every mode, checked). The table
goes to stdout and OUT/batching_bench.md, the numbers to OUT/batching_bench.json.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine  # noqa: E402

import mimicit  # noqa: E402

MODES = ("reference", "by_shape", "by_length")
WORDS = "the a picture shows colour scene of with and in on near left right small large red green blue".split()


def write_data(folder: Path, records: int, seed: int = 0) -> Path:
    import base64

    import pandas as pd
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    yaml = folder / f"data_{records}.yaml"
    if yaml.exists():
        return yaml
    rng = np.random.default_rng(seed)
    images = {}
    for i in range(64):
        out = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), np.uint8)).save(out, "PNG")
        images[f"BB_IMG_{i:04d}"] = base64.b64encode(out.getvalue()).decode()
    pd.DataFrame.from_dict(images, orient="index", columns=["base64"]).to_parquet(folder / "images.parquet")

    def text(low: int = 3, high: int = 300) -> str:
        words = int(np.exp(rng.uniform(np.log(low), np.log(high))))
        return " ".join(rng.choice(WORDS, words))

    def write(name: str, data: dict) -> Path:
        path = folder / f"{name}_{records}.json"
        path.write_text(json.dumps({"meta": {"version": "0.0.1"}, "data": data}))
        return path

    image_text = {f"BB_INS_{i:07d}": {"instruction": text(3, 20), "answer": text(),
                                      "image_ids": [f"BB_IMG_{int(k):04d}" for k in
                                                    rng.integers(0, 64, rng.choice(4, p=[.4, .3, .2, .1]) + 1)],
                                      "rel_ins_ids": []} for i in range(records)}
    text_only = {f"BT_INS_{i:07d}": {"instruction": text(3, 20), "answer": text(), "image_ids": [],
                                     "rel_ins_ids": []} for i in range(records // 4)}
    video = {f"BV_INS_{i:07d}": {"instruction": text(3, 20), "answer": text(),
                                 "image_ids": [f"BB_IMG_{(i + f) % 64:04d}" for f in range(8)], "rel_ins_ids": []}
             for i in range(records // 8)}
    store = folder / "images.parquet"
    parts = []
    for group, name, data in (("IMAGE_TEXT", "BB", image_text), ("TEXT_ONLY", "BT", text_only),
                              ("VIDEO_TEXT", "BV", video)):
        parts.append(f"{group}:\n  {name}:\n    mimicit_path: {write(name, data)}\n"
                     + ("" if group == "TEXT_ONLY" else f"    images_path: {store}\n") + "    num_samples: -1\n")
    yaml.write_text("".join(parts))
    return yaml


def tokenizer(text: str) -> list[int]:
    return [3 + len(w) for w in text.split()]  # one token per word (ids do not matter here)


def epoch(yaml: Path, mode: str, world: int, batch_size: int) -> dict:
    image_slots = images = token_slots = tokens = batches = 0
    seen: Counter = Counter()
    start = time.perf_counter()
    for rank in range(world):
        loader = mimicit.Loader(yaml, batch_size, rank=rank, world_size=world, batching=mode, image_size=16,
                                resample_frames=4, tokenizer=tokenizer, bos_token_id=1, eos_token_id=2,
                                pad_token_id=0, replacement=False, num_threads=2, return_tensors="numpy")
        for batch in loader:
            counts = batch["image_counts"]
            batches += 1
            image_slots += len(counts) * batch["net_input"]["patch_images"].shape[2]
            images += int(np.sum(counts))
            mask = batch["net_input"]["attention_masks"]
            token_slots += mask.size
            tokens += int(mask.sum())
            seen.update(batch["id"])
    return {"mode": mode, "world": world, "batch_size": batch_size, "batches": batches,
            "samples": sum(seen.values()), "image_slots": image_slots, "image_padding": image_slots - images,
            "token_slots": token_slots, "token_padding": token_slots - tokens,
            "seconds": time.perf_counter() - start, "seen": seen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--worlds", default="1,4")
    parser.add_argument("--yaml", type=Path, help="measure this data YAML instead of generated data")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = parser.parse_args()
    yaml = args.yaml or write_data(args.out / "batching_data", args.records)
    rows = []
    for world in (int(w) for w in args.worlds.split(",")):
        runs = [epoch(yaml, mode, world, args.batch_size) for mode in MODES]
        reference_seen = runs[0]["seen"]
        for run in runs:
            assert run.pop("seen") == reference_seen, f"{run['mode']}: another set of samples"
        rows += runs
    lines = [f"Data: {yaml}; batch size {args.batch_size} per rank; one epoch over every rank.", "",
             "| mode | world | batches | samples | image slots padded | saved | token slots padded | saved |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        base = next(r for r in rows if r["world"] == row["world"] and r["mode"] == "reference")

        def share(part: int, whole: int) -> str:
            return f"{100 * part / whole:.1f}%" if whole else "-"

        def saved(key: str) -> str:
            return share(base[key] - row[key], base[key])
        lines.append(f"| {row['mode']} | {row['world']} | {row['batches']} | {row['samples']} | "
                     f"{row['image_padding']} of {row['image_slots']} ({share(row['image_padding'], row['image_slots'])})"
                     f" | {saved('image_padding')} | {row['token_padding']} of {row['token_slots']} "
                     f"({share(row['token_padding'], row['token_slots'])}) | {saved('token_padding')} |")
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batching_bench.md").write_text(table + "\n")
    (args.out / "batching_bench.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
