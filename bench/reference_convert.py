#!/usr/bin/env python3
"""The reference converter (MIMIC-IT images.json -> Parquet), as the spec
(section 3) describes it, for bench/store_bench.py part (c).

    python3 bench/reference_convert.py images.json OUT [--max-partition-size 1.5e9]

What it does, like the reference: load the whole JSON into memory (orjson),
re-encode every image to PNG with Pillow in a thread pool (os.cpu_count()
workers), fixing missing base64 padding (urlsafe_b64decode) and dropping the
images it cannot decode (their ids are printed), then
dd.from_pandas(df, npartitions=max(1, input_bytes // 1.5 GB)).to_parquet(OUT,
engine="pyarrow"). Its memory use is several times the input size.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import dask.dataframe as dd
import orjson
import pandas as pd
from PIL import Image


def reencode_png(item):
    image_id, value = item
    if isinstance(value, list):
        value = value[0]
    try:
        text = value.strip()
        text += "=" * (-len(text) % 4)
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_"))
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            out = io.BytesIO()
            image.save(out, format="PNG")
        return image_id, base64.b64encode(out.getvalue()).decode("ascii")
    except Exception as error:  # the reference drops what it cannot decode
        return image_id, error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src")
    parser.add_argument("out")
    parser.add_argument("--max-partition-size", type=float, default=1.5e9)
    args = parser.parse_args()

    start = time.perf_counter()
    input_bytes = os.path.getsize(args.src)
    with open(args.src, "rb") as f:
        data = orjson.loads(f.read())
    loaded = time.perf_counter()

    kept, dropped = {}, []
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        for image_id, result in pool.map(reencode_png, data.items(), chunksize=16):
            if isinstance(result, str):
                kept[image_id] = result
            else:
                dropped.append((image_id, str(result)))
    del data
    encoded = time.perf_counter()

    df = pd.DataFrame.from_dict(kept, orient="index", columns=["base64"])
    del kept
    npartitions = max(1, int(input_bytes // args.max_partition_size))
    dd.from_pandas(df, npartitions=npartitions).to_parquet(args.out, engine="pyarrow")
    done = time.perf_counter()
    for image_id, reason in dropped:
        print(f"dropped {image_id}: {reason}", file=sys.stderr)
    print(f"reference_convert: {len(df)} images, {len(dropped)} dropped, {npartitions} partitions; "
          f"load {loaded - start:.1f} s, re-encode {encoded - loaded:.1f} s, "
          f"write {done - encoded:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
