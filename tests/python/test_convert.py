"""`mimicit convert`: stores of every kind in, one sorted partitioned store
out that pandas and dask read with the ids as index; bad images listed in
_dropped.jsonl and nothing else lost; byte-identical reruns; atomic output."""

from __future__ import annotations

import base64
import io
import json
import random
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from PIL import Image


def make_images(count: int, seed: int = 7) -> dict[str, bytes]:
    """Small real PNG and JPEG files, ids in scrambled order."""
    rng = random.Random(seed)
    images = {}
    for i in rng.sample(range(count * 3), count):
        image = Image.new("RGB", (16 + i % 20, 12 + i % 9), (i % 256, (7 * i) % 256, (13 * i) % 256))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG" if i % 2 else "JPEG")
        images[f"LA_IMG_{i:012d}"] = buffer.getvalue()
    return images


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def write_pandas_store(path: Path, images: dict[str, bytes]) -> None:
    """As the reference does: DataFrame.from_dict(orient="index").to_parquet."""
    frame = pd.DataFrame.from_dict({k: b64(v) for k, v in images.items()}, orient="index",
                                   columns=["base64"])
    frame.to_parquet(path)


def read_output(out: Path) -> dict[str, bytes]:
    # The folder whole, as the reference's loader reads it (a _dropped.jsonl is skipped).
    frame = pd.read_parquet(out)
    return {index: base64.b64decode(value) for index, value in frame["base64"].items()}


def convert(run_cli, *args):
    result = run_cli("convert", *map(str, args))
    assert result.returncode == 0, result.stderr.decode()
    return result


def test_pandas_store_converts_sorted_and_readable_by_pandas_and_dask(tmp_path: Path, run_cli) -> None:
    import dask.dataframe as dd
    images = make_images(300)
    write_pandas_store(tmp_path / "in.parquet", images)
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "in.parquet", "-o", out, "--max-partition-size", "64KiB")

    parts = sorted(out.glob("part.*.parquet"), key=lambda p: int(p.name.split(".")[1]))
    assert len(parts) > 1
    for part in parts:
        assert part.stat().st_size <= 64 * 1024
    ids = [i for part in parts for i in pq.read_table(part).column("__index_level_0__").to_pylist()]
    assert ids == sorted(images)
    assert read_output(out) == images
    assert not (out / "_dropped.jsonl").exists()  # a clean run leaves only Parquet parts

    ddf = dd.read_parquet(out)
    some_id = sorted(images)[123]
    assert base64.b64decode(ddf.loc[some_id].compute()["base64"].iloc[0]) == images[some_id]


def test_legacy_json_with_bad_base64_drops_only_that_image(tmp_path: Path, run_cli) -> None:
    images = make_images(50)
    legacy = {k: b64(v) for k, v in images.items()}
    legacy["LA_IMG_broken"] = "@@@ not base64 @@@"
    legacy["LA_IMG_null"] = None  # not an image: dropped and listed, the rest converts
    first = next(iter(images))
    legacy[first] = [legacy[first], "extra"]  # a list value: the first element is the image
    (tmp_path / "images.json").write_text(json.dumps(legacy))
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "images.json", "-o", out)
    assert read_output(out) == images
    dropped = [json.loads(line) for line in (out / "_dropped.jsonl").read_text().splitlines()]
    assert [d["id"] for d in dropped] == ["LA_IMG_broken", "LA_IMG_null"]
    assert "base64" in dropped[0]["reason"]
    assert "LA_IMG_null" in dropped[1]["reason"]
    assert not (out / "dropped.jsonl").exists()


def test_dropped_list_does_not_stop_pyarrow_pandas_and_dask_reading_the_folder(tmp_path: Path, run_cli) -> None:
    import dask.dataframe as dd
    import pyarrow.dataset as ds
    images = make_images(40)
    legacy = {k: b64(v) for k, v in images.items()}
    legacy["LA_IMG_broken"] = "@@@ not base64 @@@"
    (tmp_path / "images.json").write_text(json.dumps(legacy))
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "images.json", "-o", out, "--max-partition-size", "16KiB")
    assert (out / "_dropped.jsonl").exists() and len(list(out.glob("*.parquet"))) > 1
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".parquet")) == ["_dropped.jsonl"]
    frame = pd.read_parquet(out)  # the folder whole, as the reference's pd.read_parquet(images_path)
    assert sorted(frame.index) == sorted(images)
    assert {k: base64.b64decode(v) for k, v in frame["base64"].items()} == images
    table = ds.dataset(out, format="parquet").to_table()
    assert table.num_rows == len(images)
    assert sorted(table.column("__index_level_0__").to_pylist()) == sorted(images)
    assert sorted(dd.read_parquet(out).compute().index) == sorted(images)
    assert run_cli("images", "ls", out).stdout.decode().split() == sorted(images)


def test_merges_sources_last_wins_and_binary_payload(tmp_path: Path, run_cli) -> None:
    old = make_images(40, seed=1)
    new = {k: v + b"\x00" for k, v in list(old.items())[:10]}
    write_pandas_store(tmp_path / "old.parquet", old)
    write_pandas_store(tmp_path / "new.parquet", new)
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "old.parquet", tmp_path / "new.parquet", "-o", out,
            "--payload", "binary", "--compression", "zstd")
    frame = pd.read_parquet(out)
    assert dict(frame["image"].items()) == {**old, **new}


def test_rerun_is_byte_identical_and_replaces_the_output(tmp_path: Path, run_cli) -> None:
    write_pandas_store(tmp_path / "in.parquet", make_images(80))
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "in.parquet", "-o", out, "--max-partition-size", "32KiB")
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "stale.txt").write_text("from an older run")
    convert(run_cli, tmp_path / "in.parquet", "-o", out, "--max-partition-size", "32KiB")
    second = {p.name: p.read_bytes() for p in out.iterdir()}
    assert first == second
    assert not list(tmp_path.glob("out.tmp-*"))


def test_failed_run_leaves_previous_output_intact(tmp_path: Path, run_cli) -> None:
    write_pandas_store(tmp_path / "in.parquet", make_images(20))
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "in.parquet", "-o", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run_cli("convert", str(tmp_path / "missing.parquet"), "-o", str(out))
    assert result.returncode != 0
    assert "missing.parquet" in result.stderr.decode()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob("out.tmp-*"))


def test_image_folder_source(tmp_path: Path, run_cli) -> None:
    images = make_images(12)
    folder = tmp_path / "folder"
    folder.mkdir()
    for image_id, data in images.items():
        suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
        (folder / (image_id + suffix)).write_bytes(data)
    out = tmp_path / "out"
    convert(run_cli, folder, "-o", out)
    assert read_output(out) == images


def pillow_accepts(data: bytes) -> bool:
    """As the reference pipeline judges an image: Pillow opens and converts
    it, truncated images allowed, decompression-bomb warnings fatal."""
    import warnings
    from PIL import ImageFile
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.open(io.BytesIO(data)).convert("RGB")
        return True
    except Exception:  # noqa: BLE001 - any Pillow failure means "undecodable"
        return False
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def test_verify_keeps_what_pillow_decodes_and_drops_the_rest(tmp_path: Path, run_cli, testdata: Path) -> None:
    files = sorted(p for p in (testdata / "images").rglob("*") if p.is_file() and p.suffix.lower()
                   in {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"})
    assert files, "no test images"
    images = {str(p.relative_to(testdata / "images")): p.read_bytes() for p in files}
    write_pandas_store(tmp_path / "in.parquet", images)
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "in.parquet", "-o", out, "--verify")
    kept = read_output(out)
    expected = {name for name, data in images.items() if pillow_accepts(data)}
    assert set(kept) == expected
    assert all(kept[name] == images[name] for name in kept)  # verify keeps the bytes untouched
    dropped = []
    if (out / "_dropped.jsonl").exists():
        dropped = [json.loads(line) for line in (out / "_dropped.jsonl").read_text().splitlines()]
    assert {d["id"] for d in dropped} == set(images) - expected
    assert all(d["reason"] for d in dropped)


@pytest.mark.parametrize("codec", ["png", "jpeg"])
def test_reencode_gives_decodable_images_of_the_same_size(tmp_path: Path, run_cli, codec: str) -> None:
    images = make_images(20)
    write_pandas_store(tmp_path / "in.parquet", images)
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "in.parquet", "-o", out, "--reencode", codec)
    for image_id, data in read_output(out).items():
        got, original = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(images[image_id]))
        assert got.format == codec.upper()
        assert got.size == original.size


def textured_images(count: int) -> dict[str, bytes]:
    """Random-noise PNGs and JPEGs of assorted sizes: a flat color would
    resize to itself and hide any resampling difference."""
    import numpy as np
    rng = np.random.default_rng(3)
    images = {}
    for i in range(count):
        size = (int(rng.integers(5, 90)), int(rng.integers(5, 90)))
        image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG" if i % 2 else "JPEG")
        images[f"img_{i:03d}"] = buffer.getvalue()
    return images


@pytest.mark.parametrize("codec", ["png", "jpeg"])
def test_resize_gives_pillow_bicubic_n_x_n(tmp_path: Path, run_cli, codec: str) -> None:
    import numpy as np
    images = textured_images(20)
    write_pandas_store(tmp_path / "in.parquet", images)
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "in.parquet", "-o", out, "--resize", "32", "--reencode", codec)
    converted = read_output(out)
    assert converted.keys() == images.keys()
    for image_id, data in converted.items():
        got = Image.open(io.BytesIO(data))
        assert got.format == codec.upper() and got.size == (32, 32)
        expected = np.asarray(Image.open(io.BytesIO(images[image_id])).convert("RGB")
                              .resize((32, 32), Image.BICUBIC), dtype=np.int16)
        diff = np.abs(np.asarray(got.convert("RGB"), dtype=np.int16) - expected)
        if codec == "png":  # lossless: exactly Pillow's resize
            assert diff.max() == 0, image_id
        else:  # JPEG re-encoding of noise is lossy: only close on average
            assert diff.mean() < 40, image_id


def test_resize_rejects_a_size_beyond_the_pixel_limit(tmp_path: Path, run_cli) -> None:
    write_pandas_store(tmp_path / "in.parquet", make_images(2))
    result = run_cli("convert", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out"),
                     "--resize", "100000")
    assert result.returncode != 0
    assert b"--resize 100000" in result.stderr


def test_png_level_trades_size_for_speed_with_identical_pixels(tmp_path: Path, run_cli) -> None:
    import numpy as np
    images = make_images(10)
    write_pandas_store(tmp_path / "in.parquet", images)
    outputs = {}
    for level in ("1", "9", "fast", None):
        out = tmp_path / f"out{level}"
        extra = ("--png-level", level) if level else ()
        convert(run_cli, tmp_path / "in.parquet", "-o", out, "--reencode", "png", *extra)
        outputs[level] = read_output(out)
    assert sum(map(len, outputs["9"].values())) <= sum(map(len, outputs["1"].values()))
    assert outputs[None] == outputs["fast"]  # the default
    for image_id in images:
        decoded = [np.asarray(Image.open(io.BytesIO(outputs[k][image_id]))) for k in ("1", "9", "fast")]
        assert np.array_equal(decoded[0], decoded[1]) and np.array_equal(decoded[0], decoded[2])
    assert run_cli("convert", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "x"),
                   "--png-level", "12").returncode == 2


def test_large_pandas_pages_convert_through_the_spill(tmp_path: Path, run_cli) -> None:
    # 40 images of ~230 KB base64 in random id order: pandas puts them all in
    # one ~9 MB dictionary page, which convert streams once (storage order),
    # then sorts through its spill file; the output is sorted, complete, the
    # spill file gone, and a rerun byte-identical.
    rng = random.Random(5)
    images = {f"LA_IMG_{rng.randrange(10**12):012d}": b"\xff\xd8\xff\xe0" + rng.randbytes(170_000) + b"\xff\xd9"
              for _ in range(40)}
    write_pandas_store(tmp_path / "in.parquet", images)
    out = tmp_path / "out"
    convert(run_cli, tmp_path / "in.parquet", "-o", out, "--max-partition-size", "3MiB")
    parts = sorted(out.glob("part.*.parquet"), key=lambda p: int(p.name.split(".")[1]))
    assert len(parts) > 1
    ids = [i for part in parts for i in pq.read_table(part).column("__index_level_0__").to_pylist()]
    assert ids == sorted(images)
    assert read_output(out) == images
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in parts)
    first = {p.name: p.read_bytes() for p in parts}
    convert(run_cli, tmp_path / "in.parquet", "-o", out, "--max-partition-size", "3MiB")
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == first


def test_round_trip_json_parquet_json_keeps_every_id_and_byte(tmp_path: Path, run_cli) -> None:
    # Ids with escapes, quotes and non-ASCII; values in the URL-safe alphabet
    # without padding, as found in the wild.
    images = make_images(40)
    tricky = {f'LA_IMG_{i}_"quoted"\\é\u2028': data for i, data in enumerate(list(images.values())[:5])}
    images.update(tricky)
    legacy = {k: base64.urlsafe_b64encode(v).decode().rstrip("=") for k, v in images.items()}
    (tmp_path / "images.json").write_text(json.dumps(legacy, ensure_ascii=True))
    convert(run_cli, tmp_path / "images.json", "-o", tmp_path / "pq")
    back = read_output(tmp_path / "pq")
    assert back == images
    # ... and back to a legacy JSON (what a user would write with pandas), then again.
    (tmp_path / "again.json").write_text(json.dumps({k: b64(v) for k, v in back.items()}, ensure_ascii=False))
    convert(run_cli, tmp_path / "again.json", "-o", tmp_path / "pq2")
    assert read_output(tmp_path / "pq2") == images
    assert [p.read_bytes() for p in sorted((tmp_path / "pq").glob("*.parquet"))] == \
        [p.read_bytes() for p in sorted((tmp_path / "pq2").glob("*.parquet"))]
