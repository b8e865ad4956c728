"""Runs inside the virtual environment the wheel was installed into (see
run.sh): the `mimicit` command, an ImageStore get and a Loader batch on a
tiny dataset made here with the standard library and mimicit alone (no
Pillow, pandas or pyarrow: the environment has numpy and mimicit only).

    python smoke.py WORKDIR
"""

from __future__ import annotations

import base64
import json
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np

import mimicit


def png(pixels: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of `pixels` (H, W, 3), every row with filter 0."""
    height, width, _ = pixels.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    pictures = {f"IMG_{i}": rng.integers(0, 256, (12 + i, 20 - i, 3), dtype=np.uint8) for i in range(4)}
    files = {image_id: png(p) for image_id, p in pictures.items()}

    # The command: on PATH, with the libraries bundled in the wheel.
    command = shutil.which("mimicit")
    assert command is not None, "the wheel did not install the mimicit command"
    helped = subprocess.run([command, "--help"], capture_output=True, text=True, check=True)
    assert "Usage: mimicit" in helped.stdout, helped.stdout
    print(f"mimicit --help: ok ({command})")

    store_path = work / "images.parquet"
    ids = sorted(files)
    mimicit.parquet.write(store_path, {"id": ids, "base64": [base64.b64encode(files[i]).decode() for i in ids]},
                          codec="zstd", pandas_index="id")
    fetched = work / "IMG_2.png"
    subprocess.run([command, "images", "get", store_path, "IMG_2", "-o", fetched], check=True)
    assert fetched.read_bytes() == files["IMG_2"]
    print("mimicit images get: ok")

    store = mimicit.ImageStore(store_path)
    assert len(store) == len(files) and store.ids() == ids
    assert store.get_bytes("IMG_1") == files["IMG_1"]
    assert np.array_equal(store.get_image("IMG_3"), pictures["IMG_3"])  # PNG is lossless
    print("ImageStore get: ok")

    records = {f"INS_{i}": {"instruction": f"What is picture {i}?", "answer": f"Picture {i}.",
                            "image_ids": [f"IMG_{i}"], "rel_ins_ids": []} for i in range(4)}
    instructions = work / "LA_instructions.json"
    instructions.write_text(json.dumps({"meta": {"version": "0.0.1"}, "data": records}))
    yaml = work / "data.yaml"
    yaml.write_text(f"IMAGE_TEXT:\n  LA:\n    mimicit_path: {instructions}\n    images_path: {store_path}\n"
                    "    num_samples: -1\n")
    loader = mimicit.Loader(yaml, 2, image_size=16, num_threads=1, return_tensors="numpy", rank=0, world_size=1,
                            replacement=False)
    batch = next(iter(loader))
    images = batch["net_input"]["patch_images"]
    assert images.shape == (2, 1, 1, 3, 16, 16) and images.dtype == np.float32, images.shape
    assert batch["task_group"] == ["IMAGE_TEXT"] * 2 and set(batch["id"]) <= set(records)
    assert batch["errors"] == [] and np.isfinite(images).all() and images.std() > 0
    print(f"Loader batch: ok ({batch['id']})")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
    print(f"wheel smoke test passed (mimicit {mimicit.__version__}, numpy {np.__version__}, "
          f"python {sys.version.split()[0]})")
