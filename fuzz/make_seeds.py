#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (fuzz/README.md).

    python3 fuzz/make_seeds.py OUT_DIR

OUT_DIR/<target>/ receives small files, deterministically: the same test data
gives the same seeds. Sources:
  - Parquet: the parquet-testing files of $MIMICIT_TESTDATA (data/ and
    bad_data/), and small files pyarrow writes here with every encoding,
    codec, page version, nulls, lists, page indexes and CRCs;
  - images: $MIMICIT_TESTDATA/images, and small images Pillow writes here in
    every format and mode mimicit decodes (the photos are too large to fuzz
    well, so a resized one is used instead);
  - JSON, YAML, base64: small valid and edge-case files written here.
Nothing is downloaded.
"""

import io
import json
import os
import random
import shutil
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

TESTDATA = Path(os.environ.get("MIMICIT_TESTDATA") or Path(__file__).resolve().parents[2] / "shared" / "testdata")
MAX_PARQUET_SEED = 64 << 10
CODECS = {"UNCOMPRESSED": 0, "SNAPPY": 1, "GZIP": 2, "LZO": 3, "BROTLI": 4, "LZ4": 5, "ZSTD": 6, "LZ4_RAW": 7}
TYPES = {"BOOLEAN": 0, "INT32": 1, "INT64": 2, "INT96": 3, "FLOAT": 4, "DOUBLE": 5, "BYTE_ARRAY": 6,
         "FIXED_LEN_BYTE_ARRAY": 7}


class Seeds:
    """One target's seed folder; files are named by their index."""

    def __init__(self, root, target):
        self.dir = Path(root) / target
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.count = 0

    def add(self, data, name=""):
        if isinstance(data, str):
            data = data.encode()
        suffix = f"-{name}" if name else ""
        (self.dir / f"{self.count:04d}{suffix}").write_bytes(data)
        self.count += 1


# ---------------------------------------------------------------------------
# Parquet


def written_parquet_files(folder):
    """Small files in the shapes mimicit reads, written by pyarrow."""
    rng = np.random.default_rng(7)
    n = 300
    ints = rng.integers(-1000, 1000, n)
    strings = [f"id_{i % 37:03d}" for i in range(n)]
    table = pa.table({
        "b": pa.array([i % 3 == 0 for i in range(n)]),
        "i32": pa.array(ints.astype(np.int32)),
        "i64": pa.array(ints.astype(np.int64) * 1_000_003),
        "f": pa.array(rng.random(n).astype(np.float32)),
        "d": pa.array(rng.random(n)),
        "s": pa.array([None if i % 11 == 0 else s for i, s in enumerate(strings)]),
        "bin": pa.array([bytes([i % 256]) * (i % 5) for i in range(n)], pa.binary()),
        "fixed": pa.array([struct.pack("<i", i) for i in range(n)], pa.binary(4)),
        "lst": pa.array([None if i % 13 == 0 else list(range(i % 4)) for i in range(n)], pa.list_(pa.int32())),
        "ts": pa.array(ints.astype("datetime64[ms]")),
        "dec": pa.array([i for i in range(n)], pa.decimal128(9, 2)),
    })
    paths = []

    def write(name, t, **kwargs):
        path = Path(folder) / f"{name}.parquet"
        pq.write_table(t, path, row_group_size=128, data_page_size=512, **kwargs)
        paths.append(path)

    for codec in ["NONE", "SNAPPY", "GZIP", "ZSTD", "BROTLI", "LZ4"]:
        write(f"codec_{codec.lower()}", table, compression=codec)
    write("v2_pages", table, data_page_version="2.0", compression="SNAPPY")
    write("page_index_crc", table, write_page_index=True, write_page_checksum=True, compression="NONE")
    write("plain", table, use_dictionary=False, compression="NONE")
    flat = table.drop(["lst"])
    write("delta", flat.select(["i32", "i64", "s", "bin"]), use_dictionary=False, compression="NONE",
          column_encoding={"i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED",
                           "s": "DELTA_BYTE_ARRAY", "bin": "DELTA_LENGTH_BYTE_ARRAY"})
    write("byte_stream_split", flat.select(["f", "d", "i32", "i64", "fixed"]), use_dictionary=False,
          compression="NONE", column_encoding={c: "BYTE_STREAM_SPLIT" for c in ["f", "d", "i32", "i64", "fixed"]})
    write("rle_bool", flat.select(["b"]), use_dictionary=False, compression="NONE",
          column_encoding={"b": "RLE"}, data_page_version="2.0")
    # An image store as pandas writes it: an index column and base64 text.
    store = pa.table({"base64": pa.array(["iVBORw0KGgo=", "/9j/4AAQ", None, ""]),
                      "__index_level_0__": pa.array(["LA_IMG_1", "LA_IMG_2", "LA_IMG_3", "LA_IMG_4"])})
    write("store", store, compression="SNAPPY")
    return paths


def parquet_files():
    base = TESTDATA / "parquet-testing"
    files = sorted((base / "data").glob("*.parquet")) + sorted((base / "bad_data").glob("*.parquet"))
    return [f for f in files if f.stat().st_size <= MAX_PARQUET_SEED]


def footer(data):
    if len(data) < 12 or data[-4:] != b"PAR1":
        return None
    length = struct.unpack("<I", data[-8:-4])[0]
    return data[-8 - length:-8] if length <= len(data) - 12 else None


def column_chunks(path):
    """(prefix fields, chunk bytes) of every column chunk pyarrow can describe."""
    data = path.read_bytes()
    try:
        pf = pq.ParquetFile(path)
    except Exception:  # bad_data, encryption, shapes pyarrow refuses
        return
    meta = pf.metadata
    for rg in range(meta.num_row_groups):
        for col in range(meta.num_columns):
            c = meta.row_group(rg).column(col)
            start = c.data_page_offset
            if c.dictionary_page_offset is not None and 4 <= c.dictionary_page_offset < start:
                start = c.dictionary_page_offset
            chunk = data[start:start + c.total_compressed_size]
            if not chunk or len(chunk) > MAX_PARQUET_SEED:
                continue
            s = pf.schema.column(col)
            yield dict(type=TYPES.get(c.physical_type, 0), codec=CODECS.get(c.compression, 0),
                       def_level=s.max_definition_level, rep_level=s.max_repetition_level,
                       type_length=(s.length or 0) & 0xFF, num_values=c.num_values,
                       num_rows=meta.row_group(rg).num_rows, start=start), chunk


def page_prefix(f, flags):
    # fuzz/parquet_page_fuzz.cc: type, codec, def, rep, width, converted
    # type (none), scale, precision, num_values, num_rows, flags.
    return bytes([f["type"], f["codec"], f["def_level"], f["rep_level"], f["type_length"], 0xFF, 2, 9]) + \
        struct.pack("<II", f["num_values"] & 0xFFFFFFFF, f["num_rows"] & 0xFFFFFFFF) + bytes([flags])


def parquet_seeds(out, scratch):
    files = parquet_files() + written_parquet_files(scratch)
    cat = Seeds(out, "parquet_cat_fuzz")
    meta = Seeds(out, "parquet_metadata_fuzz")
    page = Seeds(out, "parquet_page_fuzz")
    for path in files:
        data = path.read_bytes()
        if len(data) <= MAX_PARQUET_SEED:
            cat.add(data, path.stem)
        f = footer(data)
        if f:
            meta.add(f, path.stem)
        for i, (fields, chunk) in enumerate(column_chunks(path)):
            page.add(page_prefix(fields, flags=1 | (i % 2) * 2) + chunk, path.stem)
            if i < 4:  # a few page headers (with the page data behind them)
                meta.add(data[fields["start"]:fields["start"] + 512], path.stem + "-page")


# ---------------------------------------------------------------------------
# Page compression


def hadoop_lz4(data):
    block = pa.compress(data, codec="lz4_raw", asbytes=True)
    return struct.pack(">II", len(data), len(block)) + block


def page_stream_seeds(out):
    seeds = Seeds(out, "page_stream_fuzz")
    rng = random.Random(11)
    payloads = [
        b"",
        b"a",
        b"hello parquet page " * 40,
        bytes(rng.getrandbits(8) for _ in range(3000)),
        bytes(70000),
        bytes(range(256)) * 300,  # crosses the streams' 64 KiB snappy window
        "".join(f"LA_IMG_{i:012d}" for i in range(2000)).encode(),
    ]
    for i, payload in enumerate(payloads):
        plan = struct.pack("<I", rng.getrandbits(32))
        size = struct.pack("<I", len(payload))
        seeds.add(bytes([0]) + size + plan + payload, f"uncompressed{i}")
        for codec, pa_name in [("SNAPPY", "snappy"), ("GZIP", "gzip"), ("BROTLI", "brotli"),
                               ("ZSTD", "zstd"), ("LZ4_RAW", "lz4_raw"), ("LZ4", "lz4")]:
            packed = pa.compress(payload, codec=pa_name, asbytes=True)
            seeds.add(bytes([CODECS[codec]]) + size + plan + packed, f"{pa_name}{i}")
        seeds.add(bytes([CODECS["LZ4"]]) + size + plan + hadoop_lz4(payload), f"lz4_hadoop{i}")
    # Two gzip members back to back, as some writers store a page.
    a, b = b"first member " * 10, b"second member " * 10
    both = pa.compress(a, codec="gzip", asbytes=True) + pa.compress(b, codec="gzip", asbytes=True)
    seeds.add(bytes([CODECS["GZIP"]]) + struct.pack("<I", len(a) + len(b)) + bytes(4) + both, "gzip_members")


# ---------------------------------------------------------------------------
# Text formats


def base64_seeds(out):
    import base64
    seeds = Seeds(out, "base64_fuzz")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
    std = base64.b64encode(png).decode()
    for text in [
        "", "QQ==", "QUI=", "QUJD", "QQ", "QUI", std, std.rstrip("="),
        base64.urlsafe_b64encode(bytes(range(256))).decode(),
        "\n".join(std[i:i + 76] for i in range(0, len(std), 76)) + "\n",
        " Q U J D \t\r\n",
        "data:image/png;base64," + std,
        "DATA:image/jpeg;BASE64," + std,
        "QUJD=", "QQ=", "Q===", "QU=JD", "QUJD\x00", "QUJD!", "Q", "QQ==QQ==", "QQ== x",
        "+/-_", "////", "____",
    ]:
        seeds.add(text)


def json_index_seeds(out):
    seeds = Seeds(out, "json_index_fuzz")
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
    for doc in [
        "{}",
        json.dumps({"LA_IMG_000000377944": png, "LA_IMG_2": "/9j/4AAQSkZJRg=="}),
        json.dumps({"a": [png, "extra", {"k": [1, 2.5e3, True, None]}], "b": [png]}),
        '\ufeff{"bom": "QUJD"}',
        '{"esc\\u00e9\\ud83d\\ude00\\n": "QUJD", "dup": "QQ==", "dup": "QUI="}',
        '{\n  "pretty": "QUJD",\n  "list": [\n    "QQ=="\n  ]\n}\n',
        '{"bad base64": "!!!!", "empty": ""}',
        '{"a": "QUJD",}', '{"a" "QUJD"}', '{"a": 1}', '{"a": []}', '[]', '{"a": "\\ud800"}',
        '{"deep": ["x", ' + "[" * 70 + "]" * 70 + "]}",
        '{"a": "QUJD"} trailing',
    ]:
        seeds.add(doc)


def instruction_seeds(out):
    seeds = Seeds(out, "instruction_json_fuzz")
    record = {"instruction": "What is in the <image> picture?", "answer": "A cat, sitting. ## Yes!",
              "image_ids": ["LA_IMG_1", "LA_IMG_2"], "rel_ins_ids": ["LA_INS_2"], "extra": {"k": [1, 2]}}
    docs = [
        {"meta": {"version": "0.0.1", "time": "2023-10-29", "author": "fuzz"},
         "data": {"LA_INS_1": record, "LA_INS_2": dict(record, rel_ins_ids=[], image_ids=None)}},
        {"data": {"V_INS_1": {"instruction": "Describe the video.", "answer": "Frames.",
                              "image_ids": [f"V_IMG_{i}" for i in range(7)]}}},
        {"data": {"T_INS_1": {"instruction": "Ünïcödé “quotes” 𝔘 \u200b tabs\tand\nlines",
                              "answer": "Ans\u00a0wer", "image_ids": [], "rel_ins_ids": None}}},
        {"data": {"X": {"answer": "no instruction"}, "Y": {"instruction": 5, "answer": "typed wrong"}}},
        {"LA_INS_1": ["LA_INS_2", "LA_INS_3"], "LA_INS_2": []},  # a train config
        {"data": {}},
        {"meta": None},
    ]
    for doc in docs:
        seeds.add(json.dumps(doc, ensure_ascii=False))
    seeds.add('\ufeff{"data": {"A": {"instruction": "i", "answer": "a"}, "A": {"instruction": "j", "answer": "b"}}}')
    seeds.add('{"data": {"A": {"instruction": "\\ud83d\\ude00 \\u0000", "answer": "a"}}}')
    seeds.add('{"data": {"A": {"instruction": "i", "answer": "a"}')
    seeds.add(b'{"data": {"A": {"instruction": "\xff\xfe", "answer": "a"}}}')


def data_yaml_seeds(out):
    seeds = Seeds(out, "data_yaml_fuzz")
    for doc in [
        "IMAGE_TEXT:\n  LADD:\n    mimicit_path: json/LA/LADD_instructions.json\n"
        "    images_path: Parquets/LA.parquet\n    num_samples: -1\n"
        "TEXT_ONLY:\n  LIMA:\n    mimicit_path: /abs/LIMA_instructions.json\n    num_samples: 20000\n",
        "VIDEO_TEXT:\n  DC:\n    mimicit_path: dc.json\n    images_path: [a.parquet, b/]\n"
        "    train_config_path: dc_train.json\n    task_description: [\"one\", 'two']\n",
        "IMAGE_TEXT_IN_CONTEXT:\n  X: {mimicit_path: x.json, images_path: x.json, task_description: one}\n"
        "  X: {mimicit_path: y.json}\n",
        "IMAGE_TEXT:\n  A:\n    mimicit_path: a.json\n    other_path: [p, q]\n    unknown: &anchor {k: v}\n"
        "  B:\n    <<: *anchor\n    mimicit_path: b.json\n",
        "BAD_GROUP:\n  A: {mimicit_path: a.json}\n",
        "IMAGE_TEXT:\n  A:\n    num_samples: 3\n",
        "IMAGE_TEXT:\n  A:\n    mimicit_path: a.json\n    num_samples: 1e3\n",
        "IMAGE_TEXT: [1, 2]\n", "- a\n- b\n", "", "# nothing\n", "IMAGE_TEXT:\n  A: !!binary aGVsbG8=\n",
        "{IMAGE_TEXT: {A: {mimicit_path: \"a\\u00e9.json\"}}}\n",
        "IMAGE_TEXT:\n  A:\n    mimicit_path: |\n      multi\n      line\n",
        "IMAGE_TEXT:\n\tA: tab\n", "IMAGE_TEXT:\n  A: {mimicit_path: [unclosed\n",
    ]:
        seeds.add(doc)


# ---------------------------------------------------------------------------
# Images


def image_seeds(out):
    seeds = Seeds(out, "image_fuzz")
    for path in sorted((TESTDATA / "images").rglob("*")):
        if path.is_file() and path.suffix.lower() in {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif",
                                                      ".tiff", ".ppm", ".pgm", ".pbm", ".tga", ".ico", ".pcx",
                                                      ".jp2", ".j2k", ".avif"}:
            seeds.add(path.read_bytes(), path.stem)
    photos = sorted((TESTDATA / "photos").glob("*.png"))
    base = Image.open(photos[0]).convert("RGB").resize((40, 30)) if photos else \
        Image.fromarray(np.arange(40 * 30 * 3, dtype=np.uint8).reshape(30, 40, 3))

    def save(image, fmt, name, **kwargs):
        buf = io.BytesIO()
        image.save(buf, fmt, **kwargs)
        seeds.add(buf.getvalue(), name)

    save(base, "JPEG", "baseline", quality=80)
    save(base, "JPEG", "progressive", quality=80, progressive=True)
    save(base, "JPEG", "444", quality=90, subsampling=0)
    save(base.convert("L"), "JPEG", "grey")
    save(base.convert("CMYK"), "JPEG", "cmyk")
    exif = Image.Exif()
    exif[0x0112] = 6
    save(base, "JPEG", "exif_rotated", exif=exif.tobytes())
    save(base, "PNG", "rgb")
    save(base.convert("RGBA"), "PNG", "rgba")
    save(base.convert("L"), "PNG", "grey")
    save(base.convert("LA"), "PNG", "grey_alpha")
    save(base.convert("P", palette=Image.ADAPTIVE, colors=16), "PNG", "palette", bits=4)
    save(base.convert("1"), "PNG", "bilevel")
    save(Image.fromarray((np.arange(30 * 40, dtype=np.uint16) * 50).reshape(30, 40)), "PNG", "grey16")
    save(base, "PNG", "exif_rotated", exif=exif.tobytes())
    save(base, "WEBP", "lossy", quality=70)
    save(base, "WEBP", "lossless", lossless=True)
    save(base.convert("RGBA"), "WEBP", "alpha")
    frames = [base, base.rotate(90, expand=False)]
    frames[0].save(buf := io.BytesIO(), "WEBP", save_all=True, append_images=frames[1:], duration=50)
    seeds.add(buf.getvalue(), "animated_webp")
    save(base.convert("P"), "GIF", "gif")
    frames[0].save(buf := io.BytesIO(), "GIF", save_all=True, append_images=frames[1:], duration=50)
    seeds.add(buf.getvalue(), "animated_gif")
    save(base, "BMP", "bmp24")
    save(base.convert("P", palette=Image.ADAPTIVE, colors=200), "BMP", "bmp8")
    save(base.convert("1"), "BMP", "bmp1")
    save(base.convert("RGBA"), "BMP", "bmp32")
    small = base.resize((20, 15))
    for compression in (None, "tiff_lzw", "tiff_adobe_deflate", "packbits", "jpeg"):
        save(small, "TIFF", f"tiff_{compression or 'raw'}", compression=compression)
    save(small.convert("1"), "TIFF", "tiff_group4", compression="group4")
    save(small.convert("P"), "TIFF", "tiff_palette")
    save(Image.fromarray((np.arange(15 * 20, dtype=np.uint16) * 200).reshape(15, 20)), "TIFF", "tiff_grey16")
    save(small.convert("CMYK"), "TIFF", "tiff_cmyk", compression="tiff_lzw")
    save(small.convert("YCbCr"), "TIFF", "tiff_ycbcr_jpeg", compression="jpeg")
    save(small, "PPM", "ppm")
    save(small.convert("L"), "PPM", "pgm")
    save(small.convert("1"), "PPM", "pbm")
    seeds.add(b"P3\n2 2\n1000\n0 500 1000 1 2 3\n# comment\n4 5 6 7 8 9\n", "ppm_plain")
    save(small, "TGA", "tga_rle", rle=True)
    save(small.convert("P"), "TGA", "tga_palette", orientation=1)
    save(small.convert("LA"), "TGA", "tga_grey_alpha")
    save(small.convert("RGBA"), "ICO", "ico_png")
    save(small, "ICO", "ico_bmp", bitmap_format="bmp")
    save(small, "PCX", "pcx_rgb")
    save(small.convert("P"), "PCX", "pcx_palette")
    save(small.convert("1"), "PCX", "pcx_1bit")
    save(small, "JPEG2000", "jp2")
    save(small.convert("L"), "JPEG2000", "j2k", no_jp2=True, tile_size=(8, 8))
    save(small.convert("RGBA"), "JPEG2000", "jp2_rgba", irreversible=True)
    try:
        save(small, "AVIF", "avif")
        save(small.convert("RGBA"), "AVIF", "avif_alpha", subsampling="4:4:4")
    except (KeyError, OSError, ValueError):
        pass  # a Pillow without AVIF


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mimicit_seeds_") as scratch:
        parquet_seeds(out, scratch)
    page_stream_seeds(out)
    base64_seeds(out)
    json_index_seeds(out)
    instruction_seeds(out)
    data_yaml_seeds(out)
    image_seeds(out)
    for target in sorted(p for p in out.iterdir() if p.is_dir()):
        print(f"{target.name}: {len(list(target.iterdir()))} seeds")


if __name__ == "__main__":
    main()
