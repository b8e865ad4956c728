"""Resource limits end to end, through the real CLI under a 1 GiB address
space limit (so an attempt to expand or allocate what the input claims
would fail with an out-of-memory instead of passing): a "billion laughs"
data YAML, a data YAML over the size limit, and a decompression-bomb PNG
in an image store. Each is refused at once with a clear error naming the
file; docs/reliability.md lists the limits. About 1 s in all."""

from __future__ import annotations

import json
import resource
import struct
import subprocess
import time
import zlib
from pathlib import Path

ADDRESS_SPACE = 1 << 30


def run_limited(binary: Path, *args: object) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    return subprocess.run([str(binary), *map(str, args)], capture_output=True, timeout=30, check=False,
                          preexec_fn=limit)


def billion_laughs(mimicit_path: Path) -> str:
    """A billion laughs shaped like a data YAML: 1000 aliases of a 1000-byte
    task description, 1000 datasets aliasing that one, the group 1000 times:
    27 KB of text standing for 10^12 bytes."""
    lines = [f"IMAGE_TEXT: &g\n  d0: &d {{mimicit_path: '{mimicit_path}', task_description: [&s '{'a' * 1000}'"
             + ", *s" * 999 + "]}"]
    lines += [f"  d{i}: *d" for i in range(1, 1000)]
    lines += ["IMAGE_TEXT: *g"] * 999
    return "\n".join(lines) + "\n"


def test_billion_laughs_yaml_is_a_one_line_limit_error(tmp_path: Path, mimicit_bin: Path) -> None:
    (tmp_path / "x_instructions.json").write_text('{"meta": {}, "data": {}}')
    yaml = tmp_path / "laughs.yaml"
    yaml.write_text(billion_laughs(tmp_path / "x_instructions.json"))
    assert yaml.stat().st_size < 40_000
    start = time.monotonic()
    result = run_limited(mimicit_bin, "sample", yaml)
    assert time.monotonic() - start < 5
    assert result.returncode == 1, result.stderr
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert str(yaml) in lines[0]
    assert "the document expands to more than 67108864 bytes of text" in lines[0]
    assert result.stdout == b""

    # validate reports it as the YAML's one problem (bad_file) and stops there.
    result = run_limited(mimicit_bin, "validate", yaml, "--json")
    assert result.returncode == 1, result.stderr
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["kind"] == "bad_file" and "expands to more than" in problem["detail"]


def test_oversized_yaml_is_refused_before_reading(tmp_path: Path, mimicit_bin: Path) -> None:
    yaml = tmp_path / "big.yaml"
    yaml.write_text("# padding\n" * 110_000)  # 1.1 MB of comments
    result = run_limited(mimicit_bin, "sample", yaml)
    assert result.returncode == 1
    assert result.stderr.decode().strip() == (
        f"mimicit: {yaml}: the data YAML has 1100000 bytes, over the limit of 1048576 bytes "
        "(a data YAML is a few KB)")


def png_bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def test_decompression_bomb_png_is_dropped_by_convert(tmp_path: Path, mimicit_bin: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "LA_IMG_bomb.png").write_bytes(png_bomb(100_000, 100_000))
    (folder / "LA_IMG_ok.png").write_bytes(png_bomb(4, 4))  # a real (black) 4x4 image
    out = tmp_path / "store"
    result = run_limited(mimicit_bin, "convert", folder, "-o", out, "--verify", "--threads", 1)
    assert result.returncode == 0, result.stderr
    [dropped] = [json.loads(line) for line in (out / "_dropped.jsonl").read_text().splitlines()]
    assert dropped["id"] == "LA_IMG_bomb"
    assert "png: image size (10000000000 pixels) exceeds limit of 89478485 pixels" in dropped["reason"]
    assert "decompression bomb" in dropped["reason"]
    listed = subprocess.run([str(mimicit_bin), "images", "ls", out], capture_output=True, check=True)
    assert listed.stdout.split() == [b"LA_IMG_ok"]


def test_reference_pixel_limit_is_the_training_default(tmp_path: Path, mimicit_bin: Path) -> None:
    """An image over Pillow's default limit (89,478,485 pixels) but under the
    reference's (its training setup sets Image.MAX_IMAGE_PIXELS = 1e9)
    trains by default, as in the reference; max_pixels lower refuses it
    with Pillow's wording. A 1-bit PNG written by Pillow: 30 KB on disk,
    270 MB decoded."""
    import base64
    import warnings

    import pandas as pd
    import pytest
    from PIL import Image

    mimicit = pytest.importorskip("mimicit")
    side = 9500  # 90,250,000 pixels
    png = tmp_path / "huge.png"
    Image.new("1", (side, side), 1).save(png)
    assert png.stat().st_size < 100_000
    with warnings.catch_warnings(record=True) as caught:  # Pillow's default: a bomb warning
        warnings.simplefilter("always")
        Image.open(png).close()
    assert any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught)

    pd.DataFrame.from_dict({"HUGE": base64.b64encode(png.read_bytes()).decode()}, orient="index",
                           columns=["base64"]).to_parquet(tmp_path / "images.parquet")
    record = {"instruction": "What is it?", "answer": "White.", "image_ids": ["HUGE"], "rel_ins_ids": []}
    (tmp_path / "ins.json").write_text(json.dumps({"meta": {}, "data": {"INS_HUGE": record}}))
    yaml = tmp_path / "data.yaml"
    yaml.write_text(f"IMAGE_TEXT:\n  H:\n    mimicit_path: {tmp_path}/ins.json\n"
                    f"    images_path: {tmp_path}/images.parquet\n")

    dataset = mimicit.Dataset(yaml, "IMAGE_TEXT", image_size=16, dtype="uint8", cache_dir=tmp_path / "cache")
    pixels = dataset[0]["patch_images"]
    assert (pixels == 255).all()  # white, resized
    strict = mimicit.Dataset(yaml, "IMAGE_TEXT", image_size=16, max_pixels=89478485, cache_dir=tmp_path / "cache")
    with pytest.raises(mimicit.LimitError, match="image size \\(90250000 pixels\\) exceeds limit of 89478485 pixels"):
        strict[0]
    loader = mimicit.Loader(yaml, 1, image_size=16, max_pixels=89478485, num_threads=1, drop_last=False,
                            return_tensors="numpy", rank=0, world_size=1, cache_dir=tmp_path / "cache")
    assert [i for batch in loader for i in batch["id"]] == []
    [error] = loader.errors()
    assert error["id"] == "INS_HUGE" and error["code"] == "limit" and "89478485" in error["message"]

    result = subprocess.run([str(mimicit_bin), "validate", yaml, "--decode", "--json"], capture_output=True)
    assert result.returncode == 0, result.stdout
    result = subprocess.run([str(mimicit_bin), "validate", yaml, "--decode", "--json", "--max-pixels", "89478485"],
                            capture_output=True)
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["kind"] == "undecodable_image" and "exceeds limit of 89478485 pixels" in problem["detail"]
